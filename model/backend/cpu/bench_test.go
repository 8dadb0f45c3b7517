package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

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
	for _, s := range []struct {
		name string
		dims []int
		perm []int
	}{
		{"batch-in-8ch", []int{128, 28, 28, 8}, []int{1, 2, 0, 3}},
		{"batch-in-4ch", []int{128, 14, 14, 4}, []int{1, 2, 0, 3}},
		{"batch-last-1ch", []int{128, 28, 28, 1}, []int{3, 1, 2, 0}},
	} {
		src := make([]float32, 128*28*28*8)
		dst := make([]float32, len(src))
		strides := rowStrides(s.dims)
		od := make([]int, 4)
		ss := make([]int, 4)
		for i, p := range s.perm {
			od[i], ss[i] = s.dims[p], strides[p]
		}
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				stridedCopy(dst, od, rowStrides(od), 0, src, ss, 0)
			}
		})
	}
}
