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

func (a inPlaceRows) Rows(offs *[MR]int, i0, rows, k0, depth int) bool {
	if (k0/kc)%2 == 1 {
		return false
	}
	for r := range MR {
		offs[r] = a.Offset + (i0+min(r, rows-1))*a.RowStride + k0
	}
	return true
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
		for _, opts := range []Options{{Workers: 1}, {Workers: 2}, {Workers: 3}, {Workers: 1, Portable: true}, {Workers: 2, Portable: true}} {
			want := make([]float32, s.m*s.n)
			Mul(want, s.m, s.n, s.k, a, b, opts)
			got := make([]float32, s.m*s.n)
			Mul(got, s.m, s.n, s.k, inPlaceRows{a}, b, opts)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v %s workers %d: c[%d] = %g, packed %g", s, opts.KernelName(), opts.Workers, i, got[i], want[i])
				}
			}
		}
	}
}
