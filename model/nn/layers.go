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
}

// Conv is a k×k convolution to out channels with zero padding pad.
func Conv(out, k, pad int) Layer { return Layer{Op: OpConv, Out: out, Kernel: k, Pad: pad} }

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
			l.Add(Spec{Name: s.name(prefix, i, "conv"), Dims: []int{layer.Kernel, layer.Kernel, cin, layer.Out},
				Kind: Weight, FanIn: layer.Kernel * layer.Kernel * cin})
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
			x = MatMul(x, f.Vars[s.name(prefix, i, "dense")])
		case OpSigmoid:
			x = Sigmoid(x)
		}
	}
	return x
}

// LeakyReLU2 is max(x, slope·x) for 0 ≤ slope ≤ 1.
func LeakyReLU2(x *Node, slope float64) *Node {
	return Max(x, MulScalar(x, slope))
}

// MaxPool2x2 pools NHWC input by reshaping to [B,H/2,2,W/2,2,C] and taking
// the maximum over the two window axes; its gradient needs only ReduceMax's.
func MaxPool2x2(x *Node) *Node {
	d := x.Shape().Dimensions
	x = Reshape(x, d[0], d[1]/2, 2, d[2]/2, 2, d[3])
	return ReduceMax(x, 2, 4)
}

// Upsample2x2 is nearest-neighbour upsampling ×2 of NHWC input.
func Upsample2x2(x *Node) *Node {
	d := x.Shape().Dimensions
	x = Reshape(x, d[0], d[1], 1, d[2], 1, d[3])
	x = BroadcastToDims(x, d[0], d[1], 2, d[2], 2, d[3])
	return Reshape(x, d[0], 2*d[1], 2*d[2], d[3])
}

// Conv2D convolves NHWC x with kernel [k,k,cin,cout], stride 1, zero padding
// pad. Lowered, it pads, gathers the k² shifted windows side by side on the
// channel axis and multiplies by the kernel reshaped to [k²·cin, cout]: one
// large matrix product instead of SimpleGo's scalar convolution loop.
func Conv2D(x, kernel *Node, pad int, lower bool) *Node {
	if !lower {
		return Convolve(x, kernel).Strides(1).PaddingPerDim([][2]int{{pad, pad}, {pad, pad}}).Done()
	}
	kd := kernel.Shape().Dimensions
	k, cin, cout := kd[0], kd[2], kd[3]
	if pad > 0 {
		x = zeroPad(x, 1, pad)
		x = zeroPad(x, 2, pad)
	}
	d := x.Shape().Dimensions
	h, w := d[1]-k+1, d[2]-k+1
	windows := make([]*Node, 0, k*k)
	for dy := range k {
		for dx := range k {
			windows = append(windows, Slice(x, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	patches := Concatenate(windows, 3)
	out := MatMul(Reshape(patches, d[0]*h*w, k*k*cin), Reshape(kernel, k*k*cin, cout))
	return Reshape(out, d[0], h, w, cout)
}

// zeroPad adds pad zeros on both sides of axis by concatenation, which
// (unlike Pad) GoMLX can differentiate.
func zeroPad(x *Node, axis, pad int) *Node {
	dims := slices.Clone(x.Shape().Dimensions)
	dims[axis] = pad
	zeros := Zeros(x.Graph(), shapes.Make(x.DType(), dims...))
	return Concatenate([]*Node{zeros, x, zeros}, axis)
}

// batchNorm normalises over every axis but the last, PyTorch style.
func (f *Frame) batchNorm(x *Node, meanName, varName string) *Node {
	axes := make([]int, x.Rank()-1)
	for i := range axes {
		axes[i] = i
	}
	c := x.Shape().Dimensions[x.Rank()-1]
	bcast := make([]int, x.Rank())
	for i := range bcast {
		bcast[i] = 1
	}
	bcast[x.Rank()-1] = c
	if !f.Train {
		mean, variance := Reshape(f.Vars[meanName], bcast...), Reshape(f.Vars[varName], bcast...)
		return Div(Sub(x, mean), Sqrt(AddScalar(variance, BNEps)))
	}
	mean := ReduceMean(x, axes...)
	centred := Sub(x, Reshape(mean, bcast...))
	variance := ReduceMean(Square(centred), axes...)
	if f.Updates != nil {
		n := float64(x.Shape().Size() / x.Shape().Dimensions[x.Rank()-1])
		unbiased := MulScalar(StopGradient(variance), n/(n-1))
		f.Updates[meanName] = Add(MulScalar(f.Vars[meanName], 1-BNMomentum), MulScalar(StopGradient(mean), BNMomentum))
		f.Updates[varName] = Add(MulScalar(f.Vars[varName], 1-BNMomentum), MulScalar(unbiased, BNMomentum))
	}
	// x/√(v+ε) rather than Rsqrt, whose gradient SimpleGo lacks.
	return Div(centred, Sqrt(AddScalar(Reshape(variance, bcast...), BNEps)))
}
