package gemm

// RowSource is an optional interface of a RowPacker whose rows can be read
// in place: where a block of A's rows lies in memory as MR rows laid out
// alike — contiguous, or runs of equal length at equal gaps (the rows of a
// convolution's patch matrix over a padded image) — Mul hands the
// micro-kernel their addresses instead of packing them. The arithmetic is
// the packed path's, so the product is bit-identical either way
// (TestRowSourceSameAsPacked).
type RowSource interface {
	RowPacker
	// Rows reports whether rows [i0, i0+rows) and columns [k0, k0+depth)
	// of A lie in place: A[i0+r, k0+k] = Data()[offs[r]+runs.Index(k)] for
	// r < rows. Entries r ≥ rows must be valid offsets too (their sums are
	// discarded). false: Mul packs the block with PackRows.
	Rows(offs *[MR]int, i0, rows, k0, depth int) (runs Runs, ok bool)
	// Data is the memory the offsets index.
	Data() []float32
}

// Runs is how a row of a block lies in memory from its first element: First
// contiguous floats, then runs of Len contiguous floats, each run after a
// gap of Gap floats. A contiguous row has First ≥ its depth (Contiguous).
type Runs struct {
	First, Len, Gap int
}

// Contiguous is the Runs of a row of depth contiguous floats.
func Contiguous(depth int) Runs { return Runs{First: depth, Len: depth} }

// Index returns the position of element k of the row, relative to its first.
func (s Runs) Index(k int) int {
	if k < s.First {
		return k
	}
	return k + s.Gap*(1+(k-s.First)/s.Len)
}

// dotRuns reports whether the matrix-vector kernels read rows laid out as
// runs over depth: contiguous, or with runs whose lengths are multiples of 8
// (the AVX2 kernel's steps never straddle a gap).
func dotRuns(runs Runs, depth int) bool {
	return runs.valid() && (runs.First >= depth || runs.First%8 == 0 && runs.Len%8 == 0)
}

// valid reports whether the runs can describe a row (lengths positive, gap
// not negative).
func (s Runs) valid() bool { return s.First > 0 && s.Len > 0 && s.Gap >= 0 }

// offsKernel is a micro-kernel reading A through row offsets and runs.
type offsKernel func(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb int, c []float32, ldc int, accumulate bool)

// kernelOffsGo is kernelGo reading row r of A from a[offs[r]:], laid out
// as runs.
func kernelOffsGo(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	if depth > 0 && !runs.valid() { // as the assembly's wrapper: wrong runs would read the wrong floats
		panic("gemm: invalid runs")
	}
	var acc [MR][NR]float32
	if depth > 0 {
		b = b[:(depth-1)*ldb+NR]
	}
	for r := range MR {
		row := &acc[r]
		p, left := offs[r], runs.First
		for k := range depth {
			av := a[p]
			bk := (*[NR]float32)(b[k*ldb:])
			for j := range NR {
				row[j] += av * bk[j]
			}
			p++
			if left--; left == 0 {
				p += runs.Gap
				left = runs.Len
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

// offsDot is a matrix-vector kernel reading A through row offsets and runs
// (dotRuns).
type offsDot func(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, out *[MR]float32)

// dotRowsOffsGo is dotRowsGo reading row r of A from a[offs[r]:], laid out
// as runs.
func dotRowsOffsGo(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, out *[MR]float32) {
	if depth > 0 && !runs.valid() {
		panic("gemm: invalid runs")
	}
	b = b[:depth]
	for r := range MR {
		var s float32
		p, left := offs[r], runs.First
		for _, bv := range b {
			s += a[p] * bv
			p++
			if left--; left == 0 {
				p += runs.Gap
				left = runs.Len
			}
		}
		out[r] = s
	}
}
