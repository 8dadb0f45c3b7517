package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestOffsKernelsCheckLength checks that the assembly kernels' wrappers
// refuse a row that ends past len(a) even where cap(a) would cover it: the
// assembly itself checks nothing.
func TestOffsKernelsCheckLength(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2/FMA")
	}
	const depth = 16
	backing := make([]float32, MR*depth+64)
	a := backing[:MR*depth-1] // the last row is one float short; cap covers it
	offs := panelOffsets(depth)
	b := make([]float32, depth*NR)
	c := make([]float32, MR*NR)
	var out [MR]float32
	for name, call := range map[string]func(){
		"kernelOffsAVX2":  func() { kernelOffsAVX2(depth, a, &offs, Contiguous(depth), b, NR, c, NR, false) },
		"dotRowsOffsAVX2": func() { dotRowsOffsAVX2(depth, a, &offs, Contiguous(depth), b[:depth], &out) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s read past len(a) without a panic", name)
				}
			}()
			call()
		}()
	}
}

// TestDotSumsInRegisters checks the matrix-vector kernel's sums of its
// eight partial sums per row, transposed and added in registers, bit for
// bit against the same partial sums added in Go in the same order — on
// values with cancellations, zeros of both signs and NaN.
func TestDotSumsInRegisters(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2/FMA")
	}
	r := rand.New(rand.NewPCG(31, 32))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e30, -1e30, 1e-40, float32(math.NaN())}
	for _, depth := range []int{8, 16, 200, 256} {
		for trial := range 50 {
			a := make([]float32, MR*depth)
			b := make([]float32, depth)
			for i := range a {
				a[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4)))
				if trial%5 == 0 && r.IntN(8) == 0 {
					a[i] = special[r.IntN(len(special)-1+trial%2)]
				}
			}
			for i := range b {
				b[i] = float32(r.NormFloat64())
			}
			offs := panelOffsets(depth)
			var lanes, sums [MR * 8]float32
			dot8x8OffsAVX2(depth, &a[0], &offs, &b[0], &lanes, depth/8, depth/8, 0, 0)
			dot8x8OffsAVX2(depth, &a[0], &offs, &b[0], &sums, depth/8, depth/8, 0, 1)
			for row := range MR {
				var want float32
				for _, v := range lanes[row*8 : row*8+8] {
					want += v
				}
				got := sums[row]
				if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
					t.Fatalf("depth %d trial %d row %d: %g (%#x), partial sums added in Go %g (%#x)", depth, trial, row, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
		}
	}
}
