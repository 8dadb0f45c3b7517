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
	be, err := New("")
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct {
		name                       string
		cin, h, w, batch, kh, cout int
	}{{"conv1", 1, 28, 28, 128, 28, 8}, {"conv2", 8, 14, 14, 128, 14, 4}} {
		x := make([]float32, s.cin*s.h*s.w*s.batch)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		k := make([]float32, s.kh*s.kh*s.batch*s.cout)
		oh := s.h + 4 - s.kh + 1
		p := &patches{x: x, h: s.h, w: s.w, c: s.batch, oh: oh, ow: oh, kh: s.kh, kw: s.kh, sy: 1, sx: 1, py: 2, px: 2}
		attr := convAttr{paddings: [][2]int{{2, 2}, {2, 2}}, strides: []int{1, 1}, kernelDilations: []int{1, 1}}
		xb := &Buffer{shape: shapes.Make(dtypes.Float32, s.cin, s.h, s.w, s.batch), flat: x, valid: true}
		m, depth := s.cin*oh*oh, s.kh*s.kh*s.batch
		out := make([]float32, m*s.cout)
		for _, w := range []int{1, 2} {
			opts := gemm.Options{Workers: w}
			b.Run(fmt.Sprintf("%s/packed/w%d", s.name, w), func(b *testing.B) {
				for b.Loop() {
					gemm.Mul(out, m, s.cout, depth, p, gemm.Dense(k, s.cout), opts)
				}
			})
			b.Run(fmt.Sprintf("%s/inplace/w%d", s.name, w), func(b *testing.B) {
				for b.Loop() {
					padded := be.paddedInput(xb, p, attr)
					gemm.Mul(out, m, s.cout, depth, p.inPlace(padded.flat.([]float32), padded.shape.Dimensions), gemm.Dense(k, s.cout), opts)
					be.pool.put(padded.shape.DType, padded.flat)
				}
			})
		}
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
