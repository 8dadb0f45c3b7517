package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/ncae-repro/ncae/internal/gemm"
)

// BenchmarkKernelGradient times the product of two kernel gradients of the
// MNIST networks (batch 128), patches packed against patches read in place
// from the padded input (the padding included in its time).
func BenchmarkKernelGradient(b *testing.B) {
	for _, s := range []struct {
		name                       string
		cin, h, w, batch, kh, cout int
	}{{"conv1", 1, 28, 28, 128, 28, 8}, {"conv2", 8, 14, 14, 128, 14, 4}} {
		// the batch is the contraction: it sits where the channels do
		benchConv(b, s.name, s.cin, s.h, s.w, s.batch, s.kh, s.cout)
	}
}

// BenchmarkConvForward times the forward 5×5 convolutions of the networks
// (batch 128, padding 2) the same way: patches packed from the input, with
// the border's bookkeeping, against patches from the padded input.
func BenchmarkConvForward(b *testing.B) {
	for _, s := range []struct {
		name                       string
		batch, h, w, cin, kh, cout int
	}{{"mnist-conv1", 128, 28, 28, 1, 5, 8}, {"mnist-conv2", 128, 14, 14, 8, 5, 4}, {"fmnist-conv2", 128, 16, 16, 32, 5, 64},
		{"mnist-decoder-last", 128, 28, 28, 8, 5, 1}} {
		benchConv(b, s.name, s.batch, s.h, s.w, s.cin, s.kh, s.cout)
	}
}

// benchConv times one stride-1, padding-2 convolution of an input
// [batch, h, w, c] with a kh×kh kernel to cout channels, packed and in place.
func benchConv(b *testing.B, name string, batch, h, w, c, kh, cout int) {
	be, err := New("")
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*h*w*c)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	k := make([]float32, kh*kh*c*cout)
	oh, ow := h+4-kh+1, w+4-kh+1
	p := &patches{x: x, h: h, w: w, c: c, oh: oh, ow: ow, kh: kh, kw: kh, sy: 1, sx: 1, py: 2, px: 2}
	attr := convAttr{paddings: [][2]int{{2, 2}, {2, 2}}, strides: []int{1, 1}, kernelDilations: []int{1, 1}}
	xb := &Buffer{shape: shapes.Make(dtypes.Float32, batch, h, w, c), flat: x, valid: true}
	m, depth := batch*oh*ow, kh*kh*c
	out := make([]float32, m*cout)
	for _, workers := range []int{1, 2} {
		opts := gemm.Options{Workers: workers}
		b.Run(fmt.Sprintf("%s/packed/w%d", name, workers), func(b *testing.B) {
			for b.Loop() {
				gemm.Mul(out, m, cout, depth, p, gemm.Dense(k, cout), opts)
			}
		})
		b.Run(fmt.Sprintf("%s/inplace/w%d", name, workers), func(b *testing.B) {
			for b.Loop() {
				padded := be.paddedInput(xb, p, attr)
				gemm.Mul(out, m, cout, depth, p.inPlace(padded.flat.([]float32), padded.shape.Dimensions), gemm.Dense(k, cout), opts)
				be.pool.put(padded.shape.DType, padded.flat)
			}
		})
	}
}

// BenchmarkTranspose times the transposes into canonical layout that the
// kernel gradients need: the batch axis moved inside the channels.
func BenchmarkTranspose(b *testing.B) {
	be, err := New("workers=2")
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		name string
		dims []int
		perm []int
	}{
		{"batch-in-8ch", []int{128, 28, 28, 8}, []int{1, 2, 0, 3}},
		{"batch-in-4ch", []int{128, 14, 14, 4}, []int{1, 2, 0, 3}},
		{"batch-last-1ch", []int{128, 28, 28, 1}, []int{3, 1, 2, 0}},
		{"batch-in-16ch", []int{128, 28, 28, 16}, []int{1, 2, 0, 3}},
		{"reverse-3d", []int{128, 256, 32}, []int{2, 1, 0}}, // F-MNIST's kernel gradient
	} {
		src := make([]float32, 128*28*28*16)
		dst := make([]float32, len(src))
		strides := rowStrides(s.dims)
		od := make([]int, len(s.dims))
		ss := make([]int, len(s.dims))
		for i, p := range s.perm {
			od[i], ss[i] = s.dims[p], strides[p]
		}
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				stridedCopy(dst, od, rowStrides(od), 0, src, ss, 0)
			}
		})
		b.Run(s.name+"/2-workers", func(b *testing.B) {
			for b.Loop() {
				be.copyStrided(dst, od, rowStrides(od), 0, src, ss, 0)
			}
		})
	}
}

// BenchmarkKernelGradientOp times whole kernel-gradient convolutions of
// the networks (batch 128) in the axes GoMLX's autodiff gives them: the
// direct path (gemm.KernelGrad on the NHWC operands) against the general
// one (transposes into canonical layout, the patch product, the transpose
// back), with the backend's default workers.
func BenchmarkKernelGradientOp(b *testing.B) {
	gradAxes, canonAxes := kernelGradientAxes()
	be, err := New("")
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range []struct {
		name                  string
		h, cin, oh, cout, pad int
	}{
		{"mnist-5x5x8x1", 28, 8, 28, 1, 2}, {"mnist-5x5x1x8", 28, 1, 28, 8, 2},
		{"mnist-5x5x8x4", 14, 8, 14, 4, 2}, {"mnist-5x5x4x8", 16, 4, 14, 8, 1},
		{"fmnist-5x5x16x1", 28, 16, 28, 1, 2}, {"fmnist-5x5x1x16", 28, 1, 28, 16, 2},
		{"fmnist-5x5x16x32", 14, 16, 14, 32, 2}, {"fmnist-5x5x32x16", 16, 32, 14, 16, 1},
	} {
		x := randomBuffer(r, 128, s.h, s.h, s.cin)
		dy := randomBuffer(r, 128, s.oh, s.oh, s.cout)
		k := s.h + 2*s.pad - s.oh + 1
		attr := convAttr{axes: gradAxes, strides: []int{1, 1}, kernelDilations: []int{1, 1}, paddings: [][2]int{{s.pad, s.pad}, {s.pad, s.pad}}}
		flops := 2 * float64(k*k*s.cin*s.cout*s.oh*s.oh*128)
		b.Run(s.name+"/direct", func(b *testing.B) {
			out := be.newBuffer(shapes.Make(dtypes.Float32, k, k, s.cin, s.cout))
			for b.Loop() {
				if err := execConvGeneral(be, &node{op: backends.OpTypeConvGeneral, attr: attr}, []*Buffer{x, dy}, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(s.name+"/general", func(b *testing.B) {
			canon := attr
			canon.axes = canonAxes
			out := be.newBuffer(shapes.Make(dtypes.Float32, s.cin, k, k, s.cout))
			for b.Loop() {
				in := []*Buffer{transposed(x, 3, 1, 2, 0), transposed(dy, 1, 2, 0, 3)}
				if err := execConvGeneral(be, &node{op: backends.OpTypeConvGeneral, attr: canon}, in, out); err != nil {
					b.Fatal(err)
				}
				_ = transposed(out, 1, 2, 0, 3)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
