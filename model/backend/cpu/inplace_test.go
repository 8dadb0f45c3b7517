package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

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
		for _, portable := range []bool{false, true} {
			opts := gemm.Options{Workers: 2, Portable: portable}
			want := make([]float32, m*s.cout)
			gemm.Mul(want, m, s.cout, depth, p, gemm.Dense(k, s.cout), opts)
			got := make([]float32, m*s.cout)
			gemm.Mul(got, m, s.cout, depth, p.inPlace(padded.flat.([]float32), padded.shape.Dimensions), gemm.Dense(k, s.cout), opts)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v portable=%v: out[%d] = %g, packed %g", s, portable, i, got[i], want[i])
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
