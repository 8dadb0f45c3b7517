package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/internal/gemm"
	"github.com/ncae-repro/ncae/model/backend"
)

// runBoth runs fn on SimpleGo (the reference, through the project's
// compatibility wrapper) and on the cpu backend with each kernel this CPU
// runs, with the same inputs, and fails unless every output agrees within
// tol relative to its RMS.
func runBoth(t *testing.T, name string, tol float64, fn func(in []*Node) []*Node, inputs ...*tensors.Tensor) {
	t.Helper()
	specs := []string{"go"}
	for _, k := range gemm.Kernels() {
		specs = append(specs, "cpu:kernel="+k.String())
	}
	results := make([][][]float32, len(specs))
	for i, spec := range specs {
		b, err := backend.Open(spec)
		if err != nil {
			t.Fatal(err)
		}
		exec, err := NewExec(b, fn)
		if err != nil {
			t.Fatal(err)
		}
		args := make([]any, len(inputs))
		for j, x := range inputs {
			c, err := x.LocalClone() // a fresh tensor for each backend
			if err != nil {
				t.Fatal(err)
			}
			args[j] = c
		}
		out, err := exec.Exec(args...)
		if err != nil {
			t.Fatalf("%s on %s: %v", name, spec, err)
		}
		for _, o := range out {
			results[i] = append(results[i], flatFloat32(o))
		}
		exec.Finalize()
		b.Finalize()
	}
	for c := 1; c < len(specs); c++ {
		compareOutputs(t, name+" on "+specs[c], tol, results[0], results[c])
	}
}

// compareOutputs fails unless each of got's outputs agrees with want's
// within tol relative to its RMS.
func compareOutputs(t *testing.T, name string, tol float64, want0, got0 [][]float32) {
	t.Helper()
	for k := range want0 {
		want, got := want0[k], got0[k]
		if len(want) != len(got) {
			t.Fatalf("%s output %d: %d values, want %d", name, k, len(got), len(want))
		}
		scale := 0.0
		for _, v := range want {
			scale += float64(v) * float64(v)
		}
		scale = math.Sqrt(scale / float64(max(len(want), 1)))
		for i := range want {
			d := math.Abs(float64(got[i] - want[i]))
			if !(d <= tol*max(scale, 1e-30)) && !(math.IsNaN(float64(want[i])) && math.IsNaN(float64(got[i]))) {
				t.Fatalf("%s output %d [%d]: cpu %g, SimpleGo %g (|Δ|/rms %.3g)", name, k, i, got[i], want[i], d/scale)
			}
		}
	}
}

func flatFloat32(t *tensors.Tensor) []float32 {
	var out []float32
	t.ConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float32:
			out = append(out, f...)
		case []float64:
			for _, v := range f {
				out = append(out, float32(v))
			}
		case []int32:
			for _, v := range f {
				out = append(out, float32(v))
			}
		case []int64:
			for _, v := range f {
				out = append(out, float32(v))
			}
		case []bool:
			for _, v := range f {
				out = append(out, map[bool]float32{false: 0, true: 1}[v])
			}
		}
	})
	return out
}

func randomTensor(r *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// TestConvolutionAndGradients checks the forward convolution and both its
// gradients (GoMLX builds them as convolutions with swapped axes and a
// reversed kernel) on the shapes of the NCAE networks.
func TestConvolutionAndGradients(t *testing.T) {
	cases := []struct{ b, h, cin, cout, k, pad int }{
		{4, 28, 1, 8, 5, 2}, {4, 14, 8, 4, 5, 2}, {4, 8, 2, 4, 5, 2}, {4, 16, 4, 8, 5, 1}, {4, 28, 8, 1, 5, 2},
		{4, 14, 16, 32, 5, 2}, {3, 28, 1, 16, 5, 2}, {2, 7, 3, 5, 3, 0},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range cases {
		name := fmt.Sprintf("%+v", c)
		x := randomTensor(r, c.b, c.h, c.h, c.cin)
		k := randomTensor(r, c.k, c.k, c.cin, c.cout)
		oh := c.h + 2*c.pad - c.k + 1
		w := randomTensor(r, c.b, oh, oh, c.cout)
		runBoth(t, name, 1e-5, func(in []*Node) []*Node {
			y := Convolve(in[0], in[1]).Strides(1).PaddingPerDim([][2]int{{c.pad, c.pad}, {c.pad, c.pad}}).Done()
			loss := ReduceAllSum(Mul(y, in[2]))
			g := Gradient(loss, in[0], in[1])
			return []*Node{y, g[0], g[1]}
		}, x, k, w)
	}
}

// TestDilatedStridedConvolution covers the element-by-element packing path
// and strides, which the NCAE networks do not use.
func TestDilatedStridedConvolution(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	x := randomTensor(r, 2, 11, 13, 3)
	k := randomTensor(r, 3, 3, 3, 5)
	runBoth(t, "dilated", 1e-5, func(in []*Node) []*Node {
		return []*Node{Convolve(in[0], in[1]).Strides(1).Dilations(2).PaddingPerDim([][2]int{{1, 2}, {0, 1}}).Done(),
			Convolve(in[0], in[1]).Strides(2).PaddingPerDim([][2]int{{1, 1}, {2, 0}}).Done()}
	}, x, k)
}

// TestUnimplementedOpIsOneError checks that a graph using an operation the
// backend does not implement fails with the operation's name and the way
// out, instead of computing something else.
func TestUnimplementedOpIsOneError(t *testing.T) {
	b, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	exec, err := NewExec(b, func(x *Node) *Node { return BitwiseNot(x) })
	if err == nil {
		_, err = exec.Exec([]int32{1, 2, 3})
	}
	if err == nil || !strings.Contains(err.Error(), "BitwiseNot is not implemented") || !strings.Contains(err.Error(), "--backend go") {
		t.Fatalf("error %v, want one naming BitwiseNot and --backend go", err)
	}
}

// TestOpsAgreeWithSimpleGo runs each operation the backend implements, on
// shapes and axes beyond the networks' (broadcasting, batch axes, strided
// slices, reductions over inner and outer axes), on both backends.
func TestOpsAgreeWithSimpleGo(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	x := randomTensor(r, 3, 4, 5)
	y := randomTensor(r, 3, 4, 5)
	row := randomTensor(r, 1, 4, 1)
	cases := []struct {
		name string
		fn   func(in []*Node) *Node
	}{
		{"add-broadcast", func(in []*Node) *Node { return Add(in[0], in[2]) }},
		{"sub-mul-div", func(in []*Node) *Node { return Div(Mul(Sub(in[0], in[1]), in[0]), AddScalar(Abs(in[1]), 1)) }},
		{"scalar-left", func(in []*Node) *Node {
			return Sub(Scalar(in[0].Graph(), in[0].DType(), 2), Div(Scalar(in[0].Graph(), in[0].DType(), 1), AddScalar(Abs(in[0]), 1)))
		}},
		{"max-min-pow", func(in []*Node) *Node { return Add(Max(in[0], in[1]), Min(in[0], Pow(Abs(in[1]), in[0]))) }},
		{"unary", func(in []*Node) *Node {
			a := Abs(in[0])
			return Add(Add(Add(Exp(in[0]), Log1p(a)), Add(Sqrt(a), Logistic(in[0]))), Add(Add(Neg(Sign(in[0])), Tanh(in[0])), Add(Log(AddScalar(a, 1)), Rsqrt(AddScalar(a, 1)))))
		}},
		{"compare-where-convert", func(in []*Node) *Node {
			m := And(GreaterThan(in[0], in[1]), Not(Equal(in[0], in[1])))
			return Add(Where(m, in[0], in[1]), ConvertDType(Or(LessOrEqual(in[0], ZerosLike(in[0])), IsFinite(in[1])), in[0].DType()))
		}},
		{"where-scalars", func(in []*Node) *Node { // a choice between two values, as LeakyReLU's mask
			g, dt := in[0].Graph(), in[0].DType()
			return Where(GreaterThan(in[0], in[1]), Scalar(g, dt, 2.5), Scalar(g, dt, -1))
		}},
		{"compare-masks", func(in []*Node) *Node { // fused into opCompareMask: vector-scalar, vector-vector, scalar-vector, broadcast
			g, dt := in[0].Graph(), in[0].DType()
			f := func(b *Node) *Node { return ConvertDType(b, dt) }
			zero, one := ScalarZero(g, dt), Scalar(g, dt, 1)
			sum := Add(f(GreaterThan(in[0], zero)), MulScalar(f(GreaterOrEqual(in[0], in[1])), 2))
			sum = Add(sum, MulScalar(f(LessThan(one, Round(MulScalar(in[0], 2)))), 4)) // ties with 1 are common
			sum = Add(sum, MulScalar(f(LessOrEqual(in[0], in[2])), 8))
			sum = Add(sum, MulScalar(f(Equal(Round(in[0]), Round(in[1]))), 16))
			return Add(sum, MulScalar(f(NotEqual(Round(in[0]), zero)), 32))
		}},
		{"compare-mask-shared", func(in []*Node) *Node { // the comparison has a second reader: not fused
			b := GreaterThan(in[0], in[1])
			return Add(ConvertDType(b, in[0].DType()), Where(b, in[0], in[1]))
		}},
		{"transpose", func(in []*Node) *Node { return TransposeAllDims(in[0], 2, 0, 1) }},
		{"broadcast-in-dim", func(in []*Node) *Node { return BroadcastToDims(in[2], 3, 4, 5) }},
		{"slice-strided", func(in []*Node) *Node {
			return Slice(in[0], AxisRange(1, 3), AxisRange().Stride(2), AxisRange(1, 5).Stride(3))
		}},
		{"reverse", func(in []*Node) *Node { return Reverse(in[0], 0, 2) }},
		{"concatenate", func(in []*Node) *Node { return Concatenate([]*Node{in[0], in[1], in[0]}, 1) }},
		{"pad-gradient", func(in []*Node) *Node { // Slice's gradient pads
			return Gradient(ReduceAllSum(Mul(Slice(in[0], AxisRange(1, 3), AxisRange(), AxisRange(1, 4)), Slice(in[1], AxisRange(0, 2), AxisRange(), AxisRange(0, 3)))), in[0])[0]
		}},
		{"pad-fill", func(in []*Node) *Node { // a fill value that is not zero bits
			fill := Scalar(in[0].Graph(), in[0].DType(), -1.5)
			return Pad(in[0], fill, backends.PadAxis{Start: 1, End: 2}, backends.PadAxis{}, backends.PadAxis{Start: 0, End: 1})
		}},
		{"reduce-sum", func(in []*Node) *Node {
			return Concatenate([]*Node{Reshape(ReduceSum(in[0], 0), -1), ReduceSum(in[0], 2, 0), Reshape(ReduceAllSum(in[0]), 1)}, 0)
		}},
		{"reduce-max-min", func(in []*Node) *Node { return Sub(ReduceMax(in[0], 1), ReduceMin(in[1], 1)) }},
		{"argmax-argmin", func(in []*Node) *Node {
			return ConvertDType(Add(ConvertDType(ArgMax(in[0], 1), dtypes.Int64), ConvertDType(ArgMin(in[1], 1, dtypes.Int32), dtypes.Int64)), dtypes.Float32)
		}},
		{"iota", func(in []*Node) *Node { return Add(in[0], Iota(in[0].Graph(), in[0].Shape(), 1)) }},
		{"dot-batch", func(in []*Node) *Node { return DotGeneral(in[0], []int{2}, []int{0}, in[1], []int{2}, []int{0}) }},
		{"dot-odd-axes", func(in []*Node) *Node { return DotGeneral(in[0], []int{0, 2}, nil, in[1], []int{0, 2}, nil) }},
	}
	for _, c := range cases {
		runBoth(t, c.name, 1e-5, func(in []*Node) []*Node { return []*Node{c.fn(in)} }, x, y, row)
	}
}
