package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// generalOnly hides that B is a Matrix, so Mul takes its general, packed
// path.
type generalOnly struct{ ColPacker }

// TestVecMatSameAsGeneral checks that the one-row path gives bit for bit
// the general path's sums, for both kernels, any worker count, column
// counts the assembly splits (8, 4, 1), contractions around the block and
// chunk sizes, and a transposed row.
func TestVecMatSameAsGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 32} {
		for _, k := range []int{1, 7, 255, 256, 257, 8191, 8192, 8193, 20000, 100352} {
			if n > 9 && k > 20000 {
				continue
			}
			for _, layout := range []string{"NN", "TN"} {
				a, b := operands(r, 1, n, k, layout)
				if layout == "TN" { // a column of a wider matrix: a strided row
					wide := Dense(randomMatrix(r, k, 3), 3)
					wide.Offset = 1
					a = wide.T()
				}
				// a few exact zeros and negative zeros, whose signs a sum
				// from zero must keep the same way
				a.Data[a.Offset] = float32(math.Copysign(0, -1))
				b.Data[b.Offset] = 0
				for _, opts := range everyKernel(1, 2, 3) {
					want := make([]float32, n)
					Mul(want, 1, n, k, a, generalOnly{b}, opts)
					got := make([]float32, n)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					Mul(got, 1, n, k, a, b, opts)
					for j := range want {
						if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
							t.Fatalf("n=%d k=%d %s %s workers %d: c[%d] = %g (%#x), general path %g (%#x)",
								n, k, layout, opts.KernelName(), opts.Workers, j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
						}
					}
				}
				check(t, fmt.Sprintf("vecmat n=%d k=%d %s", n, k, layout), 1, n, k, a, b, Options{Workers: 2})
			}
		}
	}
}
