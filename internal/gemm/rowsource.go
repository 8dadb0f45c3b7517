package gemm

// RowSource is an optional interface of a RowPacker whose rows can be read
// in place: where a block of A's rows lies in memory as MR runs of depth
// contiguous floats, Mul hands the micro-kernel those runs instead of
// packing them. The arithmetic is the packed path's, so the product is
// bit-identical either way (TestRowSourceSameAsPacked).
type RowSource interface {
	RowPacker
	// Rows reports whether rows [i0, i0+rows) and columns [k0, k0+depth)
	// of A are runs in place: A[i0+r, k0+k] = Data()[offs[r]+k] for r <
	// rows. Entries r ≥ rows must be valid offsets too (their sums are
	// discarded). false: Mul packs the block with PackRows.
	Rows(offs *[MR]int, i0, rows, k0, depth int) bool
	// Data is the memory the offsets index.
	Data() []float32
}

// offsKernel is a micro-kernel reading A through row offsets.
type offsKernel func(depth int, a []float32, offs *[MR]int, b, c []float32, ldc int, accumulate bool)

// kernelOffsGo is kernelGo reading row r of A at a[offs[r]:].
func kernelOffsGo(depth int, a []float32, offs *[MR]int, b, c []float32, ldc int, accumulate bool) {
	var acc [MR][NR]float32
	b = b[:depth*NR]
	for r := range MR {
		row := &acc[r]
		for k, av := range a[offs[r] : offs[r]+depth] {
			bk := (*[NR]float32)(b[k*NR:])
			for j := range NR {
				row[j] += av * bk[j]
			}
		}
	}
	for r := range MR {
		dst := (*[NR]float32)(c[r*ldc:])
		if accumulate {
			for j := range NR {
				dst[j] += acc[r][j]
			}
		} else {
			*dst = acc[r]
		}
	}
}

// offsDot is a matrix-vector kernel reading A through row offsets.
type offsDot func(depth int, a []float32, offs *[MR]int, b []float32, out *[MR]float32)

// dotRowsOffsGo is dotRowsGo reading row r of A at a[offs[r]:].
func dotRowsOffsGo(depth int, a []float32, offs *[MR]int, b []float32, out *[MR]float32) {
	b = b[:depth]
	for r := range MR {
		var s float32
		for k, v := range a[offs[r] : offs[r]+depth] {
			s += v * b[k]
		}
		out[r] = s
	}
}
