package gemm

// A product with one row, c = a·B (a 1×k, B k×n), is a stream over B: the
// 8×8 micro-kernel would run it at one useful row in eight after packing
// all of B. mulVecMat reads B in place instead, with the same arithmetic
// as Mul's general path — the contraction in blocks of kc, each summed from
// zero in the micro-kernel's order (fused multiply-adds on the assembly
// kernel, the portable kernel's expression otherwise), blocks added in
// order within a chunk of chunkDepth and the chunks added in order — so its
// results are bit-identical to the general path's (TestVecMatSameAsGeneral)
// and, like them, independent of the number of workers.

// vecMatBlock computes out[j] = Σ_k a[k·lda]·b[k·ldb+j] for j < cols over
// depth k.
type vecMatBlock func(depth int, a []float32, lda int, b []float32, ldb, cols int, out []float32)

// vecMatBlockGo is vecMatBlock in the portable kernel's arithmetic
// (kernelGo: row[j] += av * bk[j]).
func vecMatBlockGo(depth int, a []float32, lda int, b []float32, ldb, cols int, out []float32) {
	var acc [NR]float32
	for k := range depth {
		av := a[k*lda]
		bk := b[k*ldb : k*ldb+cols]
		for j := range bk {
			acc[j] += av * bk[j]
		}
	}
	copy(out[:cols], acc[:cols])
}

// vecMatOK reports whether mulVecMat can take A and B: one row of A, B read
// row by row, and more than one column (n = 1 is the dot path's).
func vecMatOK(m, n int, a RowPacker, b ColPacker) (Matrix, Matrix, bool) {
	am, aok := a.(Matrix)
	bm, bok := b.(Matrix)
	return am, bm, m == 1 && n > 1 && aok && bok && bm.ColStride == 1
}

// mulVecMat sets c[0:n] = a·B for a 1×k matrix a and a k×n matrix B whose
// rows are contiguous.
func mulVecMat(c []float32, n, k int, a, b Matrix, opts Options) {
	block := vecMatBlock(vecMatBlockGo)
	if opts.assembly() {
		block = vecMatBlockAVX2
	}
	chunks := (k + chunkDepth - 1) / chunkDepth
	// chunk writes the sum of chunk i into dst[0:n].
	chunk := func(dst []float32, i int) {
		k0, k1 := i*chunkDepth, min((i+1)*chunkDepth, k)
		var sums [NR]float32
		for j0 := 0; j0 < n; j0 += NR {
			// the widths the assembly has: 8, 4, then single columns
			for jw := j0; jw < min(j0+NR, n); {
				cols := min(j0+NR, n) - jw
				switch {
				case cols >= 8:
					cols = 8
				case cols >= 4:
					cols = 4
				default:
					cols = 1
				}
				for kb := k0; kb < k1; kb += kc {
					depth := min(kc, k1-kb)
					block(depth, a.Data[a.Offset+kb*a.ColStride:], a.ColStride, b.Data[b.Offset+kb*b.RowStride+jw:], b.RowStride, cols, sums[:cols])
					if kb == k0 {
						copy(dst[jw:jw+cols], sums[:cols])
						continue
					}
					for j, v := range sums[:cols] {
						dst[jw+j] += v
					}
				}
				jw += cols
			}
		}
	}
	workers := opts.Workers
	if 2*n*k < parallelFlops {
		workers = 1
	}
	sumChunks(c[:n], chunks, workers, func(dst []float32, i, _ int) { chunk(dst, i) })
}
