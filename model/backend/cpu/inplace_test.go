package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/ncae-repro/ncae/internal/gemm"
)

// TestInPlacePatchesSameAsPacked checks that a convolution whose patches
// are read in place from an explicitly padded input gives the packed
// patches' sums bit for bit, on both kernels: the shapes of the networks'
// kernel gradients (the "input" is x with batch and channels swapped, the
// "kernel" the output gradient over the batch; rows contiguous within a
// kernel row) and of their forward convolutions (rows in runs of kw·c
// floats, blocks that start inside a run), full and partial batches,
// asymmetric padding. Field names follow the kernel gradient: for a forward
// convolution "cin" is the batch and "batch" the input channels.
func TestInPlacePatchesSameAsPacked(t *testing.T) {
	be, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(41, 42))
	for _, s := range []struct {
		cin, h, w, batch, kh, kw, cout, pyLo, pyHi, pxLo, pxHi int
	}{
		{1, 28, 28, 128, 28, 28, 8, 2, 2, 2, 2}, // MNIST encoder conv1
		{8, 28, 28, 128, 28, 28, 1, 2, 2, 2, 2}, // decoder's last layer (n = 1: packed dot path)
		{8, 14, 14, 128, 14, 14, 4, 2, 2, 2, 2}, // conv2
		{4, 16, 16, 128, 14, 14, 8, 1, 1, 1, 1}, // a decoder layer
		{1, 28, 28, 35, 28, 28, 16, 2, 2, 2, 2}, // a partial last batch
		{2, 12, 10, 32, 11, 9, 3, 1, 2, 0, 1},   // asymmetric padding, odd sizes
		{3, 9, 9, 64, 7, 7, 12, 0, 0, 0, 0},     // no padding
		{128, 28, 28, 1, 5, 5, 8, 2, 2, 2, 2},   // forward MNIST conv1: runs of 5
		{128, 14, 14, 8, 5, 5, 4, 2, 2, 2, 2},   // forward conv2: runs of 40
		{64, 16, 16, 32, 5, 5, 64, 2, 2, 2, 2},  // forward F-MNIST conv2: depth 800 > one block
		{128, 28, 28, 8, 5, 5, 1, 2, 2, 2, 2},   // forward decoder's last layer (n = 1: runs of 40)
		{64, 16, 16, 32, 5, 5, 1, 2, 2, 2, 2},   // n = 1, depth 800: blocks start inside a run
		{16, 12, 12, 3, 5, 5, 1, 2, 2, 2, 2},    // n = 1, runs of 15: packed
		{16, 9, 11, 3, 3, 4, 5, 1, 1, 2, 1},     // forward, asymmetric
	} {
		x := make([]float32, s.cin*s.h*s.w*s.batch) // canonical [cin, h, w, batch]
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		k := make([]float32, s.kh*s.kw*s.batch*s.cout) // [kh, kw, batch, cout]
		for i := range k {
			k[i] = float32(r.NormFloat64())
		}
		oh, ow := s.h+s.pyLo+s.pyHi-s.kh+1, s.w+s.pxLo+s.pxHi-s.kw+1
		p := &patches{x: x, h: s.h, w: s.w, c: s.batch, oh: oh, ow: ow, kh: s.kh, kw: s.kw, sy: 1, sx: 1, py: s.pyLo, px: s.pxLo}
		attr := convAttr{paddings: [][2]int{{s.pyLo, s.pyHi}, {s.pxLo, s.pxHi}}, strides: []int{1, 1}, kernelDilations: []int{1, 1}}
		xb := &Buffer{shape: shapes.Make(dtypes.Float32, s.cin, s.h, s.w, s.batch), flat: x, valid: true}
		padded := be.paddedInput(xb, p, attr)
		if padded == nil {
			t.Fatalf("%+v: not taken in place", s)
		}
		m, depth := s.cin*oh*ow, s.kh*s.kw*s.batch
		for _, kern := range gemm.Kernels() {
			opts := gemm.Options{Workers: 2, Kernel: kern}
			want := make([]float32, m*s.cout)
			gemm.Mul(want, m, s.cout, depth, p, gemm.Dense(k, s.cout), opts)
			got := make([]float32, m*s.cout)
			gemm.Mul(got, m, s.cout, depth, p.inPlace(padded.flat.([]float32), padded.shape.Dimensions), gemm.Dense(k, s.cout), opts)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v kernel %v: out[%d] = %g, packed %g", s, kern, i, got[i], want[i])
				}
			}
		}
	}
}

// TestPaddedInputEmpty: an input with no elements (no channels, or no rows)
// is not padded — it would divide by zero — and is left to the packed path.
func TestPaddedInputEmpty(t *testing.T) {
	be, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	attr := convAttr{paddings: [][2]int{{1, 1}, {1, 1}}, strides: []int{1, 1}, kernelDilations: []int{1, 1}}
	for _, d := range [][4]int{{2, 4, 4, 0}, {2, 0, 4, 3}} {
		p := &patches{x: nil, h: d[1], w: d[2], c: d[3], oh: d[1], ow: d[2], kh: 3, kw: 3, sy: 1, sx: 1, py: 1, px: 1}
		xb := &Buffer{shape: shapes.Make(dtypes.Float32, d[:]...), flat: []float32{}, valid: true}
		if padded := be.paddedInput(xb, p, attr); padded != nil {
			t.Errorf("input %v: padded to %s, want nil", d, padded.shape)
		}
	}
}

// TestKernelGradientSameAsCanonical checks the direct kernel gradient
// (gemm.KernelGrad on the NHWC operands, in the axes GoMLX's autodiff
// gives it) bit for bit against the same convolution on operands already
// transposed to canonical layout, which takes the general path — for every
// kernel-gradient shape of the networks, a partial batch, asymmetric
// padding and one worker or two; and that shapes KernelGrad does not serve
// fall through to the general path.
func TestKernelGradientSameAsCanonical(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	gradAxes, canonAxes := kernelGradientAxes()
	for _, s := range []struct {
		batch, h, w, cin, oh, ow, cout, pyLo, pyHi, pxLo, pxHi int
		direct                                                 bool
	}{
		{128, 28, 28, 8, 28, 28, 1, 2, 2, 2, 2, true}, // decoder's last layer
		{128, 28, 28, 1, 28, 28, 8, 2, 2, 2, 2, true}, // encoder's first
		{128, 14, 14, 8, 14, 14, 4, 2, 2, 2, 2, true}, // encoder's second
		{128, 16, 16, 4, 14, 14, 8, 1, 1, 1, 1, true}, // a decoder layer
		{35, 28, 28, 1, 28, 28, 16, 2, 2, 2, 2, true}, // a partial last batch
		{16, 13, 12, 8, 13, 11, 2, 1, 3, 1, 2, true},  // asymmetric padding
		{128, 8, 8, 2, 8, 8, 4, 2, 2, 2, 2, false},    // no eight-lane channels
		{20, 12, 12, 8, 12, 12, 1, 2, 2, 2, 2, false}, // one output channel, batch not a multiple of 8
	} {
		for _, workers := range []string{"workers=1", "workers=2"} {
			be, err := New(workers)
			if err != nil {
				t.Fatal(err)
			}
			kh, kw := s.h+s.pyLo+s.pyHi-s.oh+1, s.w+s.pxLo+s.pxHi-s.ow+1
			x := randomBuffer(r, s.batch, s.h, s.w, s.cin)
			dy := randomBuffer(r, s.batch, s.oh, s.ow, s.cout)
			attr := convAttr{axes: gradAxes, strides: []int{1, 1}, kernelDilations: []int{1, 1},
				paddings: [][2]int{{s.pyLo, s.pyHi}, {s.pxLo, s.pxHi}}}
			got := be.newBuffer(shapes.Make(dtypes.Float32, kh, kw, s.cin, s.cout))
			if err := execConvGeneral(be, &node{op: backends.OpTypeConvGeneral, attr: attr}, []*Buffer{x, dy}, got); err != nil {
				t.Fatal(err)
			}
			xc, dyc := transposed(x, 3, 1, 2, 0), transposed(dy, 1, 2, 0, 3) // [cin, h, w, batch], [oh, ow, batch, cout]
			attr.axes = canonAxes
			want := be.newBuffer(shapes.Make(dtypes.Float32, s.cin, kh, kw, s.cout))
			if err := execConvGeneral(be, &node{op: backends.OpTypeConvGeneral, attr: attr}, []*Buffer{xc, dyc}, want); err != nil {
				t.Fatal(err)
			}
			wantT := transposed(want, 1, 2, 0, 3)
			for i, v := range wantT.flat.([]float32) {
				if g := got.flat.([]float32)[i]; math.Float32bits(g) != math.Float32bits(v) {
					t.Fatalf("%+v %s: out[%d] = %g, canonical path %g", s, workers, i, g, v)
				}
			}
			sh := gemm.KernelGradShape{Batch: s.batch, InH: kh + s.oh - 1, InW: kw + s.ow - 1, InC: s.cin,
				OutH: s.oh, OutW: s.ow, OutC: s.cout, KH: kh, KW: kw}
			if direct := gemm.KernelGradOK(sh, be.gemmOpts); direct != (s.direct && gemm.Accelerated()) {
				t.Errorf("%+v: direct path %v, want %v", s, direct, s.direct)
			}
		}
	}
}

// randomBuffer returns a float32 buffer of normal draws.
func randomBuffer(r *rand.Rand, dims ...int) *Buffer {
	sh := shapes.Make(dtypes.Float32, dims...)
	flat := make([]float32, sh.Size())
	for i := range flat {
		flat[i] = float32(r.NormFloat64())
	}
	return &Buffer{shape: sh, flat: flat, valid: true}
}

// transposed returns x with its axes in the given order (result axis i is
// x's axis order[i]).
func transposed(x *Buffer, order ...int) *Buffer {
	dims := make([]int, len(order))
	strides := rowStrides(x.shape.Dimensions)
	src := make([]int, len(order))
	for i, a := range order {
		dims[i], src[i] = x.shape.Dimensions[a], strides[a]
	}
	out := &Buffer{shape: shapes.Make(x.shape.DType, dims...), flat: make([]float32, x.shape.Size()), valid: true}
	stridedCopy(out.flat, dims, rowStrides(dims), 0, x.flat, src, 0)
	return out
}

// TestCompareMaskFused checks that Compile puts one opCompareMask in place
// of a float32 comparison converted to float32 that nothing else reads,
// leaves a comparison with a second reader alone, and that the fused graph
// computes the masks (values pinned to Go's comparisons in package vec).
func TestCompareMaskFused(t *testing.T) {
	be, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	bld := be.Builder("masks")
	sh := shapes.Make(dtypes.Float32, 40)
	x, _ := bld.Parameter("x", sh, nil)
	zero, _ := bld.Constant([]float32{0})
	zeroS, _ := bld.Reshape(zero)
	gt, _ := bld.GreaterThan(x, zeroS)
	mask, _ := bld.ConvertDType(gt, dtypes.Float32) // fused
	ge, _ := bld.GreaterOrEqual(x, zeroS)
	kept, _ := bld.ConvertDType(ge, dtypes.Float32) // ge is an output too: kept
	exe, err := bld.Compile([]backends.Op{mask, kept, ge}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[backends.OpType]int{}
	for _, n := range exe.(*Executable).nodes {
		ops[n.op]++
	}
	if ops[opCompareMask] != 1 || ops[backends.OpTypeGreaterThan] != 0 || ops[backends.OpTypeGreaterOrEqual] != 1 || ops[backends.OpTypeConvertDType] != 1 {
		t.Fatalf("compiled ops %v: want one mask, GreaterOrEqual and its conversion kept", ops)
	}
	in := make([]float32, 40)
	for i := range in {
		in[i] = float32(i%5) - 2
	}
	in[7] = float32(math.NaN())
	in[9] = float32(math.Copysign(0, -1))
	xb, err := be.BufferFromFlatData(0, in, sh)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exe.Execute([]backends.Buffer{xb}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, gotGE := outs[0].(*Buffer).flat.([]float32), outs[1].(*Buffer).flat.([]float32)
	for i, v := range in {
		want, wantGE := float32(0), float32(0)
		if v > 0 {
			want = 1
		}
		if v >= 0 {
			wantGE = 1
		}
		if math.Float32bits(got[i]) != math.Float32bits(want) || gotGE[i] != wantGE {
			t.Errorf("x = %g: mask %g, GreaterOrEqual %g; want %g, %g", v, got[i], gotGE[i], want, wantGE)
		}
	}
}

// kernelGradientAxes returns the axes GoMLX's autodiff gives the kernel
// gradient of an NHWC convolution (the input's batch as channels, the
// output gradient as kernel, the result [kh, kw, cin, cout]) and those of
// the same convolution on operands transposed to canonical layout.
func kernelGradientAxes() (grad, canonical backends.ConvolveAxesConfig) {
	grad = backends.ConvolveAxesConfig{InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 2, OutputChannels: 3, OutputSpatial: []int{0, 1}}
	canonical = backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2}}
	return grad, canonical
}

// TestCapabilitiesLeaveOutOwnOps checks that the op the compiler fuses
// masks into is not offered to GoMLX.
func TestCapabilitiesLeaveOutOwnOps(t *testing.T) {
	be, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if be.Capabilities().Operations[opCompareMask] {
		t.Error("Capabilities lists the backend's private mask op")
	}
	if !be.Capabilities().Operations[backends.OpTypeGreaterThan] {
		t.Error("Capabilities lacks GreaterThan")
	}
}
