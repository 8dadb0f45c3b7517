package nn

import (
	"fmt"
	"slices"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's examples use the dot import for graph code
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Batch-norm constants of Deep SAD's networks (PyTorch's momentum).
const (
	BNEps      = 1e-4
	BNMomentum = 0.1
)

// Op is a layer type.
type Op int

const (
	OpConv      Op = iota // 2-D convolution, stride 1, no bias, NHWC
	OpBatchNorm           // batch norm without affine parameters
	OpLeakyReLU
	OpMaxPool2 // 2×2 max-pool, stride 2
	OpUpsample2
	OpFlatten
	OpReshape
	OpDense // no bias
	OpSigmoid
)

// Layer is one step of a Seq.
type Layer struct {
	Op     Op
	Out    int   // channels (conv) or units (dense)
	Kernel int   // conv kernel size
	Pad    int   // conv zero padding on each side
	Dims   []int // reshape target, without the batch axis
	// Transposed marks a conv that stands for a stride-1 transposed
	// convolution (ConvTranspose): see Spec.TransposedFanIn.
	Transposed bool
}

// Conv is a k×k convolution to out channels with zero padding pad.
func Conv(out, k, pad int) Layer { return Layer{Op: OpConv, Out: out, Kernel: k, Pad: pad} }

// ConvTranspose is a stride-1 k×k transposed convolution to out channels
// with padding pad, written as its equivalent convolution (padding k−1−pad,
// the kernel flipped — a flip a freshly drawn kernel does not notice). Its
// weight's Spec carries the fan-in PyTorch's ConvTranspose2d initialises
// with, the output channels × k².
func ConvTranspose(out, k, pad int) Layer {
	return Layer{Op: OpConv, Out: out, Kernel: k, Pad: k - 1 - pad, Transposed: true}
}

// Dense is a bias-free linear layer.
func Dense(out int) Layer { return Layer{Op: OpDense, Out: out} }

// ReshapeTo reshapes to dims (batch axis kept).
func ReshapeTo(dims ...int) Layer { return Layer{Op: OpReshape, Dims: dims} }

// Layers without parameters.
var (
	BatchNorm  = Layer{Op: OpBatchNorm}
	LeakyReLU  = Layer{Op: OpLeakyReLU}
	MaxPool2   = Layer{Op: OpMaxPool2}
	Upsample2  = Layer{Op: OpUpsample2}
	Flatten    = Layer{Op: OpFlatten}
	SigmoidOut = Layer{Op: OpSigmoid}
)

// Seq is a sequential network.
type Seq []Layer

func (s Seq) name(prefix string, i int, what string) string {
	return fmt.Sprintf("%s%d.%s", prefix, i, what)
}

// Declare adds the network's tensors to l under prefix and returns the
// output dims for an input of dims in (both without the batch axis).
func (s Seq) Declare(l *Layout, prefix string, in []int) ([]int, error) {
	dims := slices.Clone(in)
	for i, layer := range s {
		switch layer.Op {
		case OpConv:
			if len(dims) != 3 {
				return nil, fmt.Errorf("%slayer %d: conv needs H×W×C input, got %v", prefix, i, dims)
			}
			cin := dims[2]
			spec := Spec{Name: s.name(prefix, i, "conv"), Dims: []int{layer.Kernel, layer.Kernel, cin, layer.Out},
				Kind: Weight, FanIn: layer.Kernel * layer.Kernel * cin}
			if layer.Transposed {
				spec.TransposedFanIn = layer.Kernel * layer.Kernel * layer.Out
			}
			l.Add(spec)
			h := dims[0] + 2*layer.Pad - layer.Kernel + 1
			w := dims[1] + 2*layer.Pad - layer.Kernel + 1
			if h <= 0 || w <= 0 {
				return nil, fmt.Errorf("%slayer %d: conv output %d×%d", prefix, i, h, w)
			}
			dims = []int{h, w, layer.Out}
		case OpBatchNorm:
			c := dims[len(dims)-1]
			l.Add(Spec{Name: s.name(prefix, i, "bn.mean"), Dims: []int{c}, Kind: RunningMean})
			l.Add(Spec{Name: s.name(prefix, i, "bn.var"), Dims: []int{c}, Kind: RunningVar})
		case OpMaxPool2:
			if len(dims) != 3 || dims[0]%2 != 0 || dims[1]%2 != 0 {
				return nil, fmt.Errorf("%slayer %d: max-pool needs even H×W×C input, got %v", prefix, i, dims)
			}
			dims = []int{dims[0] / 2, dims[1] / 2, dims[2]}
		case OpUpsample2:
			if len(dims) != 3 {
				return nil, fmt.Errorf("%slayer %d: upsample needs H×W×C input, got %v", prefix, i, dims)
			}
			dims = []int{dims[0] * 2, dims[1] * 2, dims[2]}
		case OpFlatten:
			dims = []int{size(dims)}
		case OpReshape:
			if size(layer.Dims) != size(dims) {
				return nil, fmt.Errorf("%slayer %d: cannot reshape %v to %v", prefix, i, dims, layer.Dims)
			}
			dims = slices.Clone(layer.Dims)
		case OpDense:
			if len(dims) != 1 {
				return nil, fmt.Errorf("%slayer %d: dense needs a flat input, got %v", prefix, i, dims)
			}
			l.Add(Spec{Name: s.name(prefix, i, "dense"), Dims: []int{dims[0], layer.Out}, Kind: Weight, FanIn: dims[0]})
			dims = []int{layer.Out}
		}
	}
	return dims, nil
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// Vars maps tensor names to graph nodes.
type Vars map[string]*Node

// Frame is how a Seq is applied: which tensors, which batch-norm mode.
type Frame struct {
	Vars Vars
	// Train selects batch statistics (with gradient) in batch norm;
	// otherwise the running statistics are used.
	Train bool
	// Updates, when non-nil in Train mode, receives the new running
	// statistics by name (PyTorch updates them on every training forward).
	Updates Vars
	// Slope is the LeakyReLU negative slope.
	Slope float64
	// LowerConv computes convolutions as patch extraction plus one matrix
	// product instead of the backend's convolution.
	LowerConv bool
}

// Apply runs s on x (batch axis first) and returns the output.
func (s Seq) Apply(f *Frame, prefix string, x *Node) *Node {
	for i, layer := range s {
		switch layer.Op {
		case OpConv:
			x = Conv2D(x, f.Vars[s.name(prefix, i, "conv")], layer.Pad, f.LowerConv)
		case OpBatchNorm:
			x = f.batchNorm(x, s.name(prefix, i, "bn.mean"), s.name(prefix, i, "bn.var"))
		case OpLeakyReLU:
			x = LeakyReLU2(x, f.Slope)
		case OpMaxPool2:
			x = MaxPool2x2(x)
		case OpUpsample2:
			x = Upsample2x2(x)
		case OpFlatten:
			x = Reshape(x, x.Shape().Dimensions[0], -1)
		case OpReshape:
			x = Reshape(x, append([]int{x.Shape().Dimensions[0]}, layer.Dims...)...)
		case OpDense:
			x = Matmul(x, f.Vars[s.name(prefix, i, "dense")])
		case OpSigmoid:
			x = Sigmoid(x)
		}
	}
	return x
}

// The layers below are written for SimpleGo's fast paths: elementwise ops
// on equal shapes or with a scalar right operand, contiguous slices and
// concatenations, and DotGeneral. Implicit broadcasting, reductions over
// leading axes and ReduceMax's gradient go through SimpleGo's per-element
// index iterators and cost 5–10× more; XLA fuses either form equally well.

// LeakyReLU2 is x·(slope + (1−slope)·[x > 0]), the mask held constant so the
// gradient is one multiplication.
func LeakyReLU2(x *Node, slope float64) *Node {
	positive := ConvertDType(GreaterThan(x, ScalarZero(x.Graph(), x.DType())), x.DType())
	return Mul(x, StopGradient(AddScalar(MulScalar(positive, 1-slope), slope)))
}

// max2 is the elementwise maximum b + [a ≥ b]·(a − b), whose gradient needs
// no broadcasting (GoMLX's Max gradient subtracts from a scalar).
func max2(a, b *Node) *Node {
	pick := StopGradient(ConvertDType(GreaterOrEqual(a, b), a.DType()))
	return Add(b, Mul(pick, Sub(a, b)))
}

// MaxPool2x2 pools NHWC input: the maximum of row pairs, then of column
// pairs, each pair taken as two contiguous halves of a reshaped row.
func MaxPool2x2(x *Node) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	rows := Reshape(x, b*h/2, 2*w*c) // image rows 2i and 2i+1 side by side
	x = max2(Slice(rows, AxisRange(), AxisRange(0, w*c)), Slice(rows, AxisRange(), AxisRange(w*c, 2*w*c)))
	cols := Reshape(x, b*h/2*w/2, 2*c) // pixels 2j and 2j+1 side by side
	x = max2(Slice(cols, AxisRange(), AxisRange(0, c)), Slice(cols, AxisRange(), AxisRange(c, 2*c)))
	return Reshape(x, b, h/2, w/2, c)
}

// Upsample2x2 is nearest-neighbour upsampling ×2 of NHWC input, by
// concatenating each pixel with itself, then each row with itself.
func Upsample2x2(x *Node) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	px := Reshape(x, b*h*w, c)
	px = Concatenate([]*Node{px, px}, 1)
	rows := Reshape(px, b*h, 2*w*c)
	rows = Concatenate([]*Node{rows, rows}, 1)
	return Reshape(rows, b, 2*h, 2*w, c)
}

// ColumnMean is the mean of each column of x [n, c], as [1, c], by a
// matrix product with a row of ones.
func ColumnMean(x *Node) *Node {
	n := x.Shape().Dimensions[0]
	ones := Ones(x.Graph(), shapes.Make(x.DType(), 1, n))
	return MulScalar(Matmul(ones, x), 1/float64(n))
}

// RowMean is the mean of each row of x [n, c], as [n].
func RowMean(x *Node) *Node {
	d := x.Shape().Dimensions
	ones := Ones(x.Graph(), shapes.Make(x.DType(), d[1], 1))
	return Reshape(MulScalar(Matmul(x, ones), 1/float64(d[1])), d[0])
}

// repeatRows broadcasts v [1, c] to [n, c] by a matrix product.
func repeatRows(v *Node, n int) *Node {
	return Matmul(Ones(v.Graph(), shapes.Make(v.DType(), n, 1)), v)
}

// Conv2D convolves NHWC x with kernel [k,k,cin,cout], stride 1, zero padding
// pad. Lowered, it avoids SimpleGo's scalar convolution loop in one of two
// ways, whichever copies less: with cout ≥ cin it gathers the k² shifted
// windows side by side on the channel axis and multiplies by the kernel
// reshaped to [k²·cin, cout] (one large matrix product); with cout < cin
// it multiplies the unshifted input by each of the k² kernel taps first and
// sums the k² shifted products, so only cout channels are ever shifted.
func Conv2D(x, kernel *Node, pad int, lower bool) *Node {
	if !lower {
		return Convolve(x, kernel).Strides(1).PaddingPerDim([][2]int{{pad, pad}, {pad, pad}}).Done()
	}
	kd := kernel.Shape().Dimensions
	k, cin, cout := kd[0], kd[2], kd[3]
	d := x.Shape().Dimensions
	b, h, w := d[0], d[1]+2*pad-k+1, d[2]+2*pad-k+1
	if cout < cin {
		x2 := Reshape(x, b*d[1]*d[2], cin)
		var sum *Node
		for dy := range k {
			for dx := range k {
				tap := Reshape(Slice(kernel, AxisElem(dy), AxisElem(dx), AxisRange(), AxisRange()), cin, cout)
				y := Reshape(Matmul(x2, tap), b, d[1], d[2], cout)
				if pad > 0 {
					y = zeroPad(zeroPad(y, 1, pad), 2, pad)
				}
				y = Slice(y, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange())
				if sum == nil {
					sum = y
				} else {
					sum = Add(sum, y)
				}
			}
		}
		return sum
	}
	if pad > 0 {
		x = zeroPad(zeroPad(x, 1, pad), 2, pad)
	}
	windows := make([]*Node, 0, k*k)
	for dy := range k {
		for dx := range k {
			windows = append(windows, Slice(x, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	patches := Concatenate(windows, 3)
	out := Matmul(Reshape(patches, b*h*w, k*k*cin), Reshape(kernel, k*k*cin, cout))
	return Reshape(out, b, h, w, cout)
}

// zeroPad adds pad zeros on both sides of axis by concatenation, which
// (unlike Pad) GoMLX can differentiate.
func zeroPad(x *Node, axis, pad int) *Node {
	dims := slices.Clone(x.Shape().Dimensions)
	dims[axis] = pad
	zeros := Zeros(x.Graph(), shapes.Make(x.DType(), dims...))
	return Concatenate([]*Node{zeros, x, zeros}, axis)
}

// batchNorm normalises over every axis but the last, PyTorch style: batch
// statistics (biased variance, with gradient) in training, running
// statistics (momentum 0.1, unbiased variance) at inference.
func (f *Frame) batchNorm(x *Node, meanName, varName string) *Node {
	dims := x.Shape().Dimensions
	c := dims[len(dims)-1]
	n := x.Shape().Size() / c
	x2 := Reshape(x, n, c)
	var mean, variance *Node
	if f.Train {
		mean = ColumnMean(x2)
		variance = ColumnMean(Square(Sub(x2, repeatRows(mean, n))))
		if f.Updates != nil {
			unbiased := MulScalar(StopGradient(Reshape(variance, c)), float64(n)/float64(n-1))
			f.Updates[meanName] = Add(MulScalar(f.Vars[meanName], 1-BNMomentum), MulScalar(StopGradient(Reshape(mean, c)), BNMomentum))
			f.Updates[varName] = Add(MulScalar(f.Vars[varName], 1-BNMomentum), MulScalar(unbiased, BNMomentum))
		}
	} else {
		mean, variance = Reshape(f.Vars[meanName], 1, c), Reshape(f.Vars[varName], 1, c)
	}
	// x/√(v+ε) rather than Rsqrt, whose gradient SimpleGo lacks.
	sd := Sqrt(AddScalar(variance, BNEps))
	y := Div(Sub(x2, repeatRows(mean, n)), repeatRows(sd, n))
	return Reshape(y, dims...)
}

// Clone returns a copy of s that appending to cannot alias.
func (s Seq) Clone() Seq { return slices.Clone(s) }

// Matmul is the product of matrices a [i, j] and b [j, k] as one
// DotGeneral whose gradients are two DotGenerals: ∂a = v·bᵀ and ∂b = aᵀ·v
// for the output's gradient v. GoMLX v0.26.0 differentiates a DotGeneral by
// broadcasting both operands to the full [i, j, k] product, multiplying and
// reducing — correct, but ~100× the forward pass on SimpleGo for the
// convolutions' patch products.
//
// The rule is carried by the graph itself, without touching GoMLX's
// process-wide gradient table: the output is an identity whose custom
// gradient records v, and each operand enters the product through an
// identity whose custom gradient returns its matrix product with v. Reverse
// autodiff visits the output before the product's operands (it walks nodes
// in reverse creation order), so v is recorded by then. The product's own
// generic gradient is still built, but nothing reads it, and every backend
// we run prunes the unread nodes before execution (TestMatmulGradientIsFast).
// The identities cost nothing at run time.
func Matmul(a, b *Node) *Node {
	var v *Node // ∂/∂out, recorded when autodiff reaches the output
	lhs := IdentityWithCustomGradient(a, func(_, _ *Node) *Node {
		return DotGeneral(v, []int{1}, nil, b, []int{1}, nil) // ∂a[i,j] = Σ_k v[i,k] b[j,k]
	})
	rhs := IdentityWithCustomGradient(b, func(_, _ *Node) *Node {
		return DotGeneral(a, []int{0}, nil, v, []int{0}, nil) // ∂b[j,k] = Σ_i a[i,j] v[i,k]
	})
	out := DotGeneral(lhs, []int{1}, nil, rhs, []int{0}, nil)
	return IdentityWithCustomGradient(out, func(_, grad *Node) *Node {
		v = grad
		return grad
	})
}
