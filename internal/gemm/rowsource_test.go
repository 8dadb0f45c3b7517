package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// inPlaceRows is a dense A that offers every other block in place, so one
// product mixes both paths.
type inPlaceRows struct{ Matrix }

func (a inPlaceRows) Data() []float32 { return a.Matrix.Data }

func (a inPlaceRows) Rows(offs *[MR]int, i0, rows, k0, depth int) (Runs, bool) {
	if (k0/kc)%2 == 1 {
		return Runs{}, false
	}
	for r := range MR {
		offs[r] = a.Offset + (i0+min(r, rows-1))*a.RowStride + k0
	}
	return Contiguous(depth), true
}

// gappyRows is A stored with gaps: row i's element k at
// data[i*stride + runs.Index(k)] for runs of runLen after gaps of gap
// (like a patch matrix over a padded image: kernel rows of kw·c floats,
// image rows apart). Every block is offered in place.
type gappyRows struct {
	data                []float32
	stride, runLen, gap int
}

func newGappyRows(a Matrix, m, k, runLen, gap int) gappyRows {
	runs := Runs{First: runLen, Len: runLen, Gap: gap}
	stride := runs.Index(k-1) + 1 + 3
	data := make([]float32, m*stride)
	for i := range data {
		data[i] = float32(math.NaN()) // never read: a read would poison the sums
	}
	for i := range m {
		for kk := range k {
			data[i*stride+runs.Index(kk)] = a.Data[a.Offset+i*a.RowStride+kk*a.ColStride]
		}
	}
	return gappyRows{data: data, stride: stride, runLen: runLen, gap: gap}
}

func (g gappyRows) Data() []float32 { return g.data }

func (g gappyRows) PackRows(dst []float32, i0, rows, k0, depth int) {
	runs := Runs{First: g.runLen, Len: g.runLen, Gap: g.gap}
	clear(dst[:depth*MR])
	for r := range rows {
		for k := range depth {
			dst[r*depth+k] = g.data[(i0+r)*g.stride+runs.Index(k0+k)]
		}
	}
}

func (g gappyRows) Rows(offs *[MR]int, i0, rows, k0, depth int) (Runs, bool) {
	runs := Runs{First: g.runLen, Len: g.runLen, Gap: g.gap}
	for r := range MR {
		offs[r] = (i0+min(r, rows-1))*g.stride + runs.Index(k0)
	}
	return Runs{First: g.runLen - k0%g.runLen, Len: g.runLen, Gap: g.gap}, true
}

// TestRowSourceSameAsPacked checks that reading A in place gives the packed
// path's sums bit for bit, on both kernels and any worker count, with
// partial panels (m, n no multiple of 8), partial blocks and the
// matrix-vector path (n = 1).
func TestRowSourceSameAsPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, s := range []struct{ m, n, k int }{{25, 8, 100352}, {8, 8, 256}, {9, 3, 300}, {200, 16, 2000}, {17, 12, 8193}, {3, 20, 700}, {200, 1, 20003}, {9, 1, 300}, {25, 1, 100352}} {
		a, b := operands(r, s.m, s.n, s.k, "NN")
		a.Offset = 0
		for _, opts := range everyKernel(1, 2, 3) {
			want := make([]float32, s.m*s.n)
			Mul(want, s.m, s.n, s.k, a, b, opts)
			got := make([]float32, s.m*s.n)
			Mul(got, s.m, s.n, s.k, inPlaceRows{a}, b, opts)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v %s workers %d: c[%d] = %g, packed %g", s, opts.KernelName(), opts.Workers, i, got[i], want[i])
				}
			}
			// the same A stored in runs with gaps, run lengths that do and
			// do not divide the block depth
			for _, g := range []struct{ runLen, gap int }{{5, 27}, {40, 72}, {1, 3}, {256, 9}} {
				got := make([]float32, s.m*s.n)
				Mul(got, s.m, s.n, s.k, newGappyRows(a, s.m, s.k, g.runLen, g.gap), b, opts)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%+v runs %+v %s workers %d: c[%d] = %g, packed %g", s, g, opts.KernelName(), opts.Workers, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestOffsKernelsRefuseInvalidRuns checks that every kernel reading A by
// runs refuses runs that cannot describe a row, whichever kernel runs.
func TestOffsKernelsRefuseInvalidRuns(t *testing.T) {
	const depth = 16
	a := make([]float32, MR*depth)
	offs := panelOffsets(depth)
	b := make([]float32, depth*NR)
	c := make([]float32, MR*NR)
	var out [MR]float32
	for _, runs := range []Runs{{First: 0, Len: 4}, {First: 4, Len: 0}, {First: 4, Len: 4, Gap: -1}} {
		for name, call := range map[string]func(){
			"kernelOffsGo":  func() { kernelOffsGo(depth, a, &offs, runs, b, NR, c, NR, false) },
			"dotRowsOffsGo": func() { dotRowsOffsGo(depth, a, &offs, runs, b[:depth], &out) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s(%+v) ran", name, runs)
					}
				}()
				call()
			}()
		}
	}
}
