package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// reference is C = A·B in float64.
func reference(m, n, k int, a, b Matrix) []float64 {
	c := make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += float64(a.Data[a.Offset+i*a.RowStride+p*a.ColStride]) * float64(b.Data[b.Offset+p*b.RowStride+j*b.ColStride])
			}
			c[i*n+j] = s
		}
	}
	return c
}

func randomMatrix(r *rand.Rand, rows, cols int) []float32 {
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// operands returns A (m×k) and B (k×n) stored in the given layouts: "N" as
// is (row-major), "T" stored transposed.
func operands(r *rand.Rand, m, n, k int, layout string) (Matrix, Matrix) {
	var a, b Matrix
	if layout[0] == 'N' {
		a = Dense(randomMatrix(r, m, k), k)
	} else {
		a = Dense(randomMatrix(r, k, m), m).T()
	}
	if layout[1] == 'N' {
		b = Dense(randomMatrix(r, k, n), n)
	} else {
		b = Dense(randomMatrix(r, n, k), k).T()
	}
	return a, b
}

func check(t *testing.T, name string, m, n, k int, a, b Matrix, opts Options) {
	t.Helper()
	want := reference(m, n, k, a, b)
	got := make([]float32, m*n)
	for i := range got {
		got[i] = float32(math.NaN()) // Mul must overwrite every element
	}
	Mul(got, m, n, k, a, b, opts)
	for i := range want {
		tol := 1e-5 * (1 + math.Sqrt(float64(k))*4)
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(1+math.Abs(want[i]))) {
			t.Fatalf("%s: C[%d,%d] = %g, want %g (|Δ| %.3g)", name, i/n, i%n, got[i], want[i], d)
		}
	}
}

func TestMul(t *testing.T) {
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {1, 8, 1}, {8, 8, 8}, {8, 1, 25}, {9, 7, 3}, {100, 8, 25}, {25, 8, 3000},
		{17, 33, 257}, {128, 32, 196}, {4, 100, 200}, {200, 4, 5}, {3, 3, 600}, {64, 16, 512}, {0, 3, 4}, {3, 3, 0},
		{100, 1, 300}, {9, 1, 17}, {20, 1, 3000}, {7, 1, 8}, {40, 1, 7},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, layout := range []string{"NN", "TN", "NT", "TT"} {
		for _, s := range shapes {
			a, b := operands(r, s.m, s.n, s.k, layout)
			for _, opts := range everyKernel(1, 2, 3) {
				check(t, fmt.Sprintf("%s %dx%dx%d %+v", layout, s.m, s.n, s.k, opts), s.m, s.n, s.k, a, b, opts)
			}
		}
	}
}

// TestMulOffset multiplies sub-matrices of a larger buffer.
func TestMulOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	big := randomMatrix(r, 50, 60)
	a := Matrix{Data: big, Offset: 61, RowStride: 60, ColStride: 1} // rows 1.., cols 1..
	b := Matrix{Data: big, Offset: 7, RowStride: 60, ColStride: 1}
	check(t, "offset", 20, 9, 30, a, b, Options{Workers: 2})
}

// TestKernelsAgree runs the assembly and portable micro-kernels on the same
// panels, overwriting and accumulating, and checks the packed assembly
// kernel bit for bit against the offset kernel it shares its arithmetic
// with (rows read in place must sum exactly as packed ones).
func TestKernelsAgree(t *testing.T) {
	if !Accelerated() {
		t.Skip("this CPU has no AVX2/FMA: only the portable kernel runs")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, depth := range []int{0, 1, 2, 7, 25, 256} {
		a := randomMatrix(r, depth+1, MR)
		b := randomMatrix(r, depth+1, NR)
		for _, acc := range []bool{false, true} {
			c1 := randomMatrix(r, MR, 11)
			c0 := append([]float32(nil), c1...)
			c2 := append([]float32(nil), c1...)
			kernelGo(depth, a, b, NR, c1, 11, acc)
			kernelAVX2(depth, a, b, NR, c2, 11, acc)
			c3 := append([]float32(nil), c0...)
			offs := panelOffsets(depth)
			kernelOffsAVX2(depth, a, &offs, Contiguous(depth), b, NR, c3, 11, acc)
			for i := range c1 {
				if math.Float32bits(c2[i]) != math.Float32bits(c3[i]) {
					t.Fatalf("depth %d acc %v: element %d: packed %g, offsets %g", depth, acc, i, c2[i], c3[i])
				}
				if d := math.Abs(float64(c1[i] - c2[i])); d > 1e-4*(1+math.Abs(float64(c1[i]))) {
					t.Fatalf("depth %d acc %v: element %d: go %g, avx2 %g", depth, acc, i, c1[i], c2[i])
				}
			}
		}
	}
}

func FuzzMul(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint16(1), uint8(0), uint8(1))
	f.Add(uint8(9), uint8(17), uint16(300), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, m, n uint8, k uint16, layout, workers uint8) {
		mm, nn, kk := int(m%70), int(n%40), int(k%700)
		lay := []string{"NN", "TN", "NT", "TT"}[layout%4]
		r := rand.New(rand.NewPCG(uint64(mm), uint64(kk)))
		a, b := operands(r, mm, nn, kk, lay)
		check(t, lay, mm, nn, kk, a, b, Options{Workers: int(workers % 4), Kernel: Kernel(workers / 4 % 4)})
	})
}

// BenchmarkMul reports GFLOP/s on the shapes of the NCAE networks.
func BenchmarkMul(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
		layout  string
	}{
		{"conv1-fwd", 100352, 8, 25, "NN"},
		{"conv2-fwd", 25088, 4, 200, "NN"},
		{"dec-conv3-fwd", 100352, 1, 200, "NN"},
		{"dec-conv3-kernel-grad", 200, 1, 100352, "TN"},
		{"fmnist-conv2-fwd", 25088, 32, 400, "NN"},
		{"dense", 128, 32, 1568, "NN"},
		{"kernel-grad", 25, 8, 100352, "TN"},
		{"dense-grad", 1568, 32, 128, "TN"},
		{"dense-input-grad", 128, 1568, 32, "NT"},
		// batch norm's per-channel sums over a batch (ones·X, one row)
		{"bn-sums-8", 1, 8, 100352, "TN"},
		{"bn-sums-4", 1, 4, 25088, "NN"},
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range shapes {
		a, bm := operands(r, s.m, s.n, s.k, s.layout)
		c := make([]float32, s.m*s.n)
		for _, opts := range everyKernel(1, 2) {
			b.Run(fmt.Sprintf("%s/%s/w%d", s.name, opts.KernelName(), opts.Workers), func(b *testing.B) {
				for b.Loop() {
					Mul(c, s.m, s.n, s.k, a, bm, opts)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkKernel runs the micro-kernels alone on L1-resident panels, an
// 8×16 tile of C each (the AVX-512 kernel once, the others twice): the
// ceiling of Mul on this CPU (one core's FMA peak is 2 FMA units × lanes ×
// 2 flops per cycle: 83 GFLOP/s at 2.6 GHz with AVX2's 8 lanes, twice
// that with AVX-512's 16 where the units are 512 bits wide).
func BenchmarkKernel(b *testing.B) {
	const depth = 256
	r := rand.New(rand.NewPCG(9, 9))
	a, bp := randomMatrix(r, depth, MR), randomMatrix(r, 2*depth, NR)
	c := make([]float32, MR*2*NR)
	for _, k := range []struct {
		name string
		runs bool
		fn   wideKernel
	}{
		{"avx512", haveAVX512, kernelWideAVX512},
		{"avx2-fma", haveAVX2FMA, func(depth int, a, b []float32, ldb, bstride int, c []float32, ldc int, acc bool) {
			kernelAVX2(depth, a, b, ldb, c, ldc, acc)
			kernelAVX2(depth, a, b[bstride:], ldb, c[NR:], ldc, acc)
		}},
		{"portable", true, kernelWideGo},
	} {
		if !k.runs {
			continue
		}
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				k.fn(depth, a, bp, NR, depth*NR, c, 2*NR, true)
			}
			b.ReportMetric(2*MR*2*NR*depth*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestMulSameForAnyWorkers checks that results are bit-identical for any
// number of workers, so a run's AUC does not depend on the core count.
func TestMulSameForAnyWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range []struct{ m, n, k int }{{25, 8, 100352}, {400, 32, 25088}, {100, 1, 20000}, {3000, 8, 9000}, {64, 16, 512}} {
		a, b := operands(r, s.m, s.n, s.k, "NN")
		var first []float32
		for _, w := range []int{1, 2, 3, 4, 7} {
			c := make([]float32, s.m*s.n)
			Mul(c, s.m, s.n, s.k, a, b, Options{Workers: w})
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if c[i] != first[i] {
					t.Fatalf("%+v: %d workers: C[%d] = %g, 1 worker %g", s, w, i, c[i], first[i])
				}
			}
		}
	}
}
