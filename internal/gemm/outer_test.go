package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestOuterSameAsBlocked checks the outer-product path (k = 1) bit for bit
// against the micro-kernels it replaces, on both kernels, for the shapes
// batch norm's broadcasts take (m large, n of 1–32), transposed and
// implicit operands, and values whose rounding is delicate: −0 (the
// kernels' chains from +0 make its products +0), NaN, ±Inf, subnormals.
func TestOuterSameAsBlocked(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	special := []float32{float32(math.Copysign(0, -1)), 0, 1, -1, float32(math.NaN()), float32(math.Inf(1)),
		float32(math.Inf(-1)), 1e-38, -3e-39, math.MaxFloat32, 1e-30}
	fill := func(v []float32) {
		for i := range v {
			if r.IntN(4) == 0 {
				v[i] = special[r.IntN(len(special))]
			} else {
				v[i] = float32(r.NormFloat64())
			}
		}
	}
	for _, s := range []struct{ m, n int }{{100352, 8}, {25088, 4}, {1000, 1}, {37, 13}, {1, 32}, {9, 12}, {3, 7}, {2000, 16}} {
		for _, layout := range []string{"NN", "TN", "NT", "TT"} {
			a, b := operands(r, s.m, s.n, 1, layout)
			fill(a.Data)
			fill(b.Data)
			for _, opts := range everyKernel(1, 2) {
				t.Run(fmt.Sprintf("%dx%d/%s/%s/w%d", s.m, s.n, layout, opts.KernelName(), opts.Workers), func(t *testing.T) {
					want := make([]float32, s.m*s.n)
					mulBlocked(want, s.m, s.n, 1, a, b, opts)
					got := make([]float32, s.m*s.n)
					Mul(got, s.m, s.n, 1, a, b, opts)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
							t.Fatalf("C[%d, %d] = %g (%#x), kernels %g (%#x)", i/s.n, i%s.n, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
				})
			}
		}
	}
	// products that underflow: fma keeps their sign, a·b + 0 does not; every
	// width, n = 1 (the matrix-vector kernel's arithmetic) included
	for _, n := range []int{1, 2, 4, 7, 8, 13} {
		a, b := Dense(make([]float32, 16), 1), Dense(make([]float32, n), n)
		for i := range a.Data {
			a.Data[i] = float32(math.Copysign(1e-30, float64(i%2)-0.5))
		}
		for j := range b.Data {
			b.Data[j] = -3e-39
		}
		for _, opts := range everyKernel(1) {
			want, got := make([]float32, 16*n), make([]float32, 16*n)
			mulBlocked(want, 16, n, 1, a, b, opts)
			Mul(got, 16, n, 1, a, b, opts)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("underflow, n = %d, %s: C[%d] = %#x, kernels %#x", n, opts.KernelName(), i, math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
		}
	}
	// an implicit A (a RowPacker that is not a Matrix) is packed first
	a, b := operands(r, 20, 9, 1, "NN")
	want := make([]float32, 20*9)
	mulBlocked(want, 20, 9, 1, a, b, Options{})
	got := make([]float32, 20*9)
	Mul(got, 20, 9, 1, packerOnly{a}, b, Options{})
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("implicit A: C[%d] = %g, kernels %g", i, got[i], want[i])
		}
	}
}

// packerOnly hides that a RowPacker is a Matrix.
type packerOnly struct{ m Matrix }

func (p packerOnly) PackRows(dst []float32, i0, rows, k0, depth int) {
	p.m.PackRows(dst, i0, rows, k0, depth)
}
