package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/backend"
)

func openGo(t *testing.T) *backend.Backend {
	t.Helper()
	b, err := backend.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randTensor(r *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func flat(t *tensors.Tensor) []float64 {
	return tensors.MustCopyFlatData[float64](t)
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestConv2DLowered checks that the lowered convolution and its gradients
// equal GoMLX's own convolution (run through the compatibility layer, which
// is what makes its input gradient buildable on SimpleGo) in float64.
func TestConv2DLowered(t *testing.T) {
	b := openGo(t)
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name            string
		b, h, w, cin, k int
		cout, pad       int
	}{
		{"pad2", 2, 7, 6, 3, 5, 4, 2},
		{"pad1 shrink", 3, 8, 8, 2, 5, 1, 1},
		{"no pad", 1, 6, 5, 1, 3, 2, 0},
		{"cout < cin, pad2", 2, 7, 6, 4, 5, 1, 2},
		{"cout < cin, pad1 shrink", 2, 8, 8, 8, 5, 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := randTensor(r, tc.b, tc.h, tc.w, tc.cin)
			kernel := randTensor(r, tc.k, tc.k, tc.cin, tc.cout)
			oh, ow := tc.h+2*tc.pad-tc.k+1, tc.w+2*tc.pad-tc.k+1
			weights := randTensor(r, tc.b, oh, ow, tc.cout)
			run := func(lower bool) []*tensors.Tensor {
				exec, err := NewExec(b, func(x, kernel, weights *Node) (out, gx, gk *Node) {
					out = Conv2D(x, kernel, tc.pad, lower)
					loss := ReduceAllSum(Mul(out, weights))
					grads := Gradient(loss, x, kernel)
					return out, grads[0], grads[1]
				})
				if err != nil {
					t.Fatal(err)
				}
				res, err := exec.Exec(x, kernel, weights)
				if err != nil {
					t.Fatalf("lower=%v: %v", lower, err)
				}
				return res
			}
			lowered, native := run(true), run(false)
			for i, what := range []string{"output", "gradient w.r.t. input", "gradient w.r.t. kernel"} {
				if d := maxDiff(flat(lowered[i]), flat(native[i])); d > 1e-9 {
					t.Errorf("%s differs by %g", what, d)
				}
			}
		})
	}
}

// TestCompatPadReverse checks the compatibility layer's Pad and Reverse
// against values computed by hand.
func TestCompatPadReverse(t *testing.T) {
	b := openGo(t)
	exec, err := NewExec(b, func(x *Node) (padded, reversed *Node) {
		padded = Pad(x, Const(x.Graph(), -1.0), backendsPadAxis(1, 0), backendsPadAxis(0, 2))
		reversed = Reverse(x, 0, 1)
		return
	})
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromValue([][]float64{{1, 2}, {3, 4}})
	res, err := exec.Exec(x)
	if err != nil {
		t.Fatal(err)
	}
	wantPad := []float64{-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1}
	if d := maxDiff(flat(res[0]), wantPad); d != 0 || !sameDims(res[0].Shape().Dimensions, []int{3, 4}) {
		t.Errorf("Pad = %v %v, want %v [3 4]", flat(res[0]), res[0].Shape(), wantPad)
	}
	if d := maxDiff(flat(res[1]), []float64{4, 3, 2, 1}); d != 0 {
		t.Errorf("Reverse = %v", flat(res[1]))
	}
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func backendsPadAxis(start, end int) backends.PadAxis {
	return backends.PadAxis{Start: start, End: end}
}

// TestMatmulGradient checks Matmul's gradient against GoMLX's generic one
// (taken by the same product written with a unit batch axis).
func TestMatmulGradient(t *testing.T) {
	b := openGo(t)
	r := rand.New(rand.NewPCG(3, 4))
	x, y, w := randTensor(r, 3, 4), randTensor(r, 4, 5), randTensor(r, 3, 5)
	exec, err := NewExec(b, func(in []*Node) []*Node {
		x, y, w := in[0], in[1], in[2]
		// x feeds a second consumer, so its gradient is a sum of two terms.
		loss := Add(ReduceAllSum(Mul(Matmul(x, y), w)), ReduceAllSum(Mul(x, x)))
		g := Gradient(loss, x, y)
		x3, y3 := ExpandAxes(x, 0), ExpandAxes(y, 0)
		out3 := DotGeneral(x3, []int{2}, []int{0}, y3, []int{1}, []int{0})
		loss3 := Add(ReduceAllSum(Mul(Reshape(out3, 3, 5), w)), ReduceAllSum(Mul(x3, x3)))
		g3 := Gradient(loss3, x3, y3)
		return []*Node{g[0], g[1], Reshape(g3[0], 3, 4), Reshape(g3[1], 4, 5)}
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Exec(x, y, w)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(flat(res[0]), flat(res[2])); d > 1e-12 {
		t.Errorf("∂a differs by %g", d)
	}
	if d := maxDiff(flat(res[1]), flat(res[3])); d > 1e-12 {
		t.Errorf("∂b differs by %g", d)
	}
}

// TestMatmulGradientIsFast walks the gradient graph of a chain of Matmuls
// back from the gradients, as a backend does when it prunes unread nodes,
// and fails if any node read holds as many elements as the [i, j, k]
// product GoMLX's generic rule materialises, or if the product's gradients
// are anything but matrix products (two per Matmul).
func TestMatmulGradientIsFast(t *testing.T) {
	b := openGo(t)
	const n = 32 // every matrix n×n: n² elements, the generic rule's n³
	g := NewGraph(b, "matmul")
	param := func(name string) *Node { return Parameter(g, name, shapes.Make(dtypes.Float32, n, n)) }
	x, w1, w2 := param("x"), param("w1"), param("w2")
	loss := ReduceAllSum(Matmul(Sigmoid(Matmul(x, w1)), w2))
	grads := Gradient(loss, x, w1, w2)
	seen := map[*Node]bool{}
	stack := slices.Clone(grads)
	dots := 0
	for len(stack) > 0 {
		node := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[node] {
			continue
		}
		seen[node] = true
		if node.Shape().Size() >= n*n*n {
			t.Errorf("the gradient reads %s, shaped %s: the generic [i, j, k] rule", node.Type(), node.Shape())
		}
		if node.Type() == NodeTypeDotGeneral {
			dots++
		}
		stack = append(stack, node.Inputs()...)
	}
	// The inner product's output is read (the sigmoid and ∂w2 need it), the
	// outer one's is not; each Matmul's backward is two products.
	if want := 1 + 2*2; dots != want {
		t.Errorf("the gradient reads %d DotGenerals, want %d (1 forward, 2 per Matmul)", dots, want)
	}
}
