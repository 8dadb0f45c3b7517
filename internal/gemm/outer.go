package gemm

// mulOuter sets c (m×n) to A·B for a contraction of length 1 — the outer
// product of A's column and B's row — with no packing of panels, at the
// speed of writing C, in the arithmetic of the kernels it replaces: the
// first step of a chain from +0, C[i, j] = fma(A[i, 0], B[0, j], +0), for
// the AVX2 8×8 kernel (n > 1), and A[i, 0]·B[0, j] + 0 for the portable
// kernel and the matrix-vector one (n = 1). The two differ only where a
// negative product underflows (−0 against +0).
func mulOuter(c []float32, m, n int, a RowPacker, b ColPacker, opts Options) {
	col, lda := columnOf(a, m)
	row := rowOf(b, n)
	rows := outerRowsGo
	if opts.assembly() && n > 1 {
		// n = 1 was the matrix-vector kernel's, whose depth below 8 is
		// summed in Go, +0 + a·b, rounded twice as outerRowsGo rounds
		rows = outerRowsAVX2
	}
	w := max(1, opts.Workers)
	if 2*m*n < parallelFlops {
		w = 1
	}
	w = min(w, m)
	fanOut(w, func(j int) {
		lo, hi := split(m, w, j)
		rows(hi-lo, col[lo*lda:], lda, row, n, c[lo*n:], n)
	})
}

// columnOf returns A's only column as a slice and the stride of its
// elements: a Matrix's own data, or the column packed.
func columnOf(a RowPacker, m int) ([]float32, int) {
	if am, ok := a.(Matrix); ok {
		return am.Data[am.Offset:], am.RowStride
	}
	col := make([]float32, m)
	var panel [MR]float32
	for i0 := 0; i0 < m; i0 += MR {
		rows := min(MR, m-i0)
		a.PackRows(panel[:], i0, rows, 0, 1)
		copy(col[i0:i0+rows], panel[:rows])
	}
	return col, 1
}

// rowOf returns B's only row, contiguous: a Matrix's own data when its
// columns are, else packed.
func rowOf(b ColPacker, n int) []float32 {
	if bm, ok := b.(Matrix); ok && bm.ColStride == 1 {
		return bm.Data[bm.Offset : bm.Offset+n]
	}
	row := make([]float32, n)
	var panel [NR]float32
	for j0 := 0; j0 < n; j0 += NR {
		cols := min(NR, n-j0)
		b.PackCols(panel[:], 0, 1, j0, cols)
		copy(row[j0:j0+cols], panel[:cols])
	}
	return row
}

// outerRowsGo sets C[i, j] = a[i·lda]·b[j] + 0 for i < rows, j < len(b)
// (c row-major, ldc floats a row).
func outerRowsGo(rows int, a []float32, lda int, b []float32, n int, c []float32, ldc int) {
	b = b[:n]
	for i := range rows {
		ai := a[i*lda]
		dst := c[i*ldc : i*ldc+n]
		for j, bj := range b {
			dst[j] = ai*bj + 0
		}
	}
}

// outerRowsFMAGo is outerRowsGo rounded once, as a fused multiply-add from
// +0 rounds: the product of two float32s is exact in float64, so only the
// conversion rounds (a product that underflows keeps its sign; −0 + 0 is
// +0 either way).
func outerRowsFMAGo(rows int, a []float32, lda int, b []float32, n int, c []float32, ldc int) {
	b = b[:n]
	for i := range rows {
		ai := float64(a[i*lda])
		dst := c[i*ldc : i*ldc+n]
		for j, bj := range b {
			dst[j] = float32(ai*float64(bj) + 0)
		}
	}
}
