package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// patchProduct returns the operands of KernelGrad's product written out for
// Mul: the patch matrix A [(c, ky, kx), (y, x, b)] and dy as [(y, x, b), o].
func patchProduct(s KernelGradShape, x, dy []float32) (a, b Matrix, m, k int) {
	m, k = s.InC*s.KH*s.KW, s.OutH*s.OutW*s.Batch
	ad := make([]float32, m*k)
	bd := make([]float32, k*s.OutC)
	for c := range s.InC {
		for ky := range s.KH {
			for kx := range s.KW {
				row := (c*s.KH+ky)*s.KW + kx
				for y := range s.OutH {
					for xx := range s.OutW {
						for bi := range s.Batch {
							col := (y*s.OutW+xx)*s.Batch + bi
							ad[row*k+col] = x[(((y+ky)*s.InW+xx+kx)*s.Batch+bi)*s.InC+c]
						}
					}
				}
			}
		}
	}
	for y := range s.OutH {
		for xx := range s.OutW {
			for bi := range s.Batch {
				col := (y*s.OutW+xx)*s.Batch + bi
				for o := range s.OutC {
					bd[col*s.OutC+o] = dy[((y*s.OutW+xx)*s.Batch+bi)*s.OutC+o]
				}
			}
		}
	}
	return Dense(ad, k), Dense(bd, s.OutC), m, k
}

// TestKernelGradSameAsMul checks KernelGrad bit for bit against Mul on the
// explicit patch matrix, for the kernel gradients of the NCAE networks and
// edge shapes (batches that split the blocks unevenly, several chunks, one
// output channel), for 1–3 workers.
func TestKernelGradSameAsMul(t *testing.T) {
	if !KernelGradOK(KernelGradShape{Batch: 8, InH: 5, InW: 5, InC: 8, OutH: 1, OutW: 1, OutC: 1, KH: 5, KW: 5}, Options{}) {
		t.Skip("KernelGrad needs the AVX2/FMA kernels; this CPU has " + Features())
	}
	shapes := []KernelGradShape{
		{Batch: 16, InH: 32, InW: 32, InC: 8, OutH: 28, OutW: 28, OutC: 1, KH: 5, KW: 5},  // decoder's last layer
		{Batch: 16, InH: 32, InW: 32, InC: 1, OutH: 28, OutW: 28, OutC: 8, KH: 5, KW: 5},  // encoder's first
		{Batch: 24, InH: 18, InW: 18, InC: 8, OutH: 14, OutW: 14, OutC: 4, KH: 5, KW: 5},  // encoder's second
		{Batch: 24, InH: 18, InW: 18, InC: 4, OutH: 14, OutW: 14, OutC: 8, KH: 5, KW: 5},  // decoder's
		{Batch: 40, InH: 18, InW: 18, InC: 16, OutH: 14, OutW: 14, OutC: 1, KH: 5, KW: 5}, // two lane groups, N = 1
		{Batch: 3, InH: 9, InW: 9, InC: 1, OutH: 5, OutW: 5, OutC: 16, KH: 5, KW: 5},      // odd batch
		{Batch: 7, InH: 12, InW: 7, InC: 16, OutH: 10, OutW: 3, OutC: 3, KH: 3, KW: 5},    // short kernel rows
		{Batch: 200, InH: 6, InW: 6, InC: 8, OutH: 2, OutW: 2, OutC: 2, KH: 5, KW: 5},     // image runs across blocks
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range shapes {
		x := randomMatrix(r, s.Batch*s.InH*s.InW, s.InC)
		dy := randomMatrix(r, s.Batch*s.OutH*s.OutW, s.OutC)
		a, b, m, k := patchProduct(s, x, dy)
		want := make([]float32, m*s.OutC)
		Mul(want, m, s.OutC, k, a, b, Options{Workers: 1})
		for _, w := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%+v/w%d", s, w), func(t *testing.T) {
				if !KernelGradOK(s, Options{Workers: w}) {
					t.Fatal("shape refused")
				}
				got := make([]float32, len(want))
				KernelGrad(got, x, dy, s, Options{Workers: w})
				for c := range s.InC {
					for ky := range s.KH {
						for kx := range s.KW {
							for o := range s.OutC {
								g := got[((ky*s.KW+kx)*s.InC+c)*s.OutC+o]
								wv := want[((c*s.KH+ky)*s.KW+kx)*s.OutC+o]
								if math.Float32bits(g) != math.Float32bits(wv) {
									t.Fatalf("[%d %d %d %d] = %g, Mul %g", ky, kx, c, o, g, wv)
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestKernelGradOK checks the shapes KernelGrad refuses.
func TestKernelGradOK(t *testing.T) {
	good := KernelGradShape{Batch: 8, InH: 9, InW: 9, InC: 8, OutH: 5, OutW: 5, OutC: 1, KH: 5, KW: 5}
	if !Accelerated() {
		if KernelGradOK(good, Options{}) {
			t.Fatal("accepted without the AVX2 kernels")
		}
		return
	}
	for _, c := range []struct {
		name string
		edit func(*KernelGradShape)
		opts Options
		ok   bool
	}{
		{"good", func(*KernelGradShape) {}, Options{}, true},
		{"portable kernel", func(*KernelGradShape) {}, Options{Kernel: KernelPortable}, false},
		{"kernel 3 wide", func(s *KernelGradShape) { s.KW, s.InW = 3, 7 }, Options{}, false},
		{"input not padded to size", func(s *KernelGradShape) { s.InH = 8 }, Options{}, false},
		{"one output channel, batch 12", func(s *KernelGradShape) { s.Batch = 12 }, Options{}, false},
		{"no eight-lane channels", func(s *KernelGradShape) { s.InC, s.OutC = 4, 2 }, Options{}, false},
		{"four in, eight out", func(s *KernelGradShape) { s.InC, s.OutC, s.Batch = 4, 8, 3 }, Options{}, true},
		{"empty batch", func(s *KernelGradShape) { s.Batch = 0 }, Options{}, false},
	} {
		s := good
		c.edit(&s)
		if got := KernelGradOK(s, c.opts); got != c.ok {
			t.Errorf("%s: KernelGradOK = %v, want %v", c.name, got, c.ok)
		}
	}
}
