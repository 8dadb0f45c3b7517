package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// everyKernel returns Options for every kernel family this CPU runs, each
// with each number of workers.
func everyKernel(workers ...int) []Options {
	var opts []Options
	for _, k := range Kernels() {
		for _, w := range workers {
			opts = append(opts, Options{Workers: w, Kernel: k})
		}
	}
	return opts
}

func TestKernelNames(t *testing.T) {
	for _, tc := range []struct {
		k    Kernel
		name string
	}{{KernelBest, "best"}, {KernelAVX512, "avx512"}, {KernelAVX2, "avx2"}, {KernelPortable, "portable"}, {Kernel(9), "kernel(9)"}} {
		if got := tc.k.String(); got != tc.name {
			t.Errorf("Kernel(%d).String() = %q, want %q", int(tc.k), got, tc.name)
		}
	}
	ks := Kernels()
	if len(ks) == 0 || ks[len(ks)-1] != KernelPortable {
		t.Fatalf("Kernels() = %v: the portable kernel must always run, and last", ks)
	}
	if (Options{}).family() != ks[0] {
		t.Errorf("KernelBest runs %v, want the fastest, %v", Options{}.family(), ks[0])
	}
	if KernelAVX512.Runs() && !KernelAVX2.Runs() {
		t.Error("AVX-512 runs without AVX2: its edges need the AVX2 kernels")
	}
	if Kernel(9).Runs() {
		t.Error("an unknown kernel runs")
	}
}

// TestWideKernelsSameAsTwoNarrow checks the 16-column AVX-512 kernels bit
// for bit against two calls of the 8-column AVX2 ones, packed and in place
// (contiguous rows and rows in runs), B packed and in place, overwriting and
// accumulating.
func TestWideKernelsSameAsTwoNarrow(t *testing.T) {
	if !haveAVX512 {
		t.Skipf("this CPU has no AVX-512F (it has: %s)", Features())
	}
	r := rand.New(rand.NewPCG(21, 22))
	for _, depth := range []int{0, 1, 2, 7, 25, 200, 256} {
		for _, acc := range []bool{false, true} {
			for _, lay := range []struct {
				name         string
				ldb, bstride int
			}{
				{"B packed", NR, depth*NR + 24}, // the second panel after a gap, as in a packed B
				{"B in place", 2*NR + 5, NR},    // B's rows 21 floats apart, the panels side by side
			} {
				name := fmt.Sprintf("depth %d acc %v %s", depth, acc, lay.name)
				ldb, bstride := lay.ldb, lay.bstride
				a := randomMatrix(r, depth+1, MR)
				b := randomMatrix(r, 1, bstride+depth*ldb+2*NR)
				const ldc = 37
				c0 := randomMatrix(r, MR, ldc)
				want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
				kernelAVX2(depth, a, b, ldb, want, ldc, acc)
				kernelAVX2(depth, a, b[bstride:], ldb, want[NR:], ldc, acc)
				kernelWideAVX512(depth, a, b, ldb, bstride, got, ldc, acc)
				sameBits(t, name+" A packed", got, want)

				// rows in place: offsets out of order, laid out in runs of 5 with gaps of 23
				runs := Runs{First: 3, Len: 5, Gap: 23}
				span := 1
				if depth > 0 {
					span = runs.Index(depth-1) + 1
				}
				data := randomMatrix(r, 1, 9*span+40)
				offs := [MR]int{4 * span, 0, 7 * span, span + 3, 2 * span, 6*span + 1, 5 * span, 3 * span}
				want, got = append([]float32(nil), c0...), append([]float32(nil), c0...)
				kernelOffsAVX2(depth, data, &offs, runs, b, ldb, want, ldc, acc)
				kernelOffsAVX2(depth, data, &offs, runs, b[bstride:], ldb, want[NR:], ldc, acc)
				kernelWideOffsAVX512(depth, data, &offs, runs, b, ldb, bstride, got, ldc, acc)
				sameBits(t, name+" A in place", got, want)
				if depth > 0 {
					want, got = append([]float32(nil), c0...), append([]float32(nil), c0...)
					kernelWideGo(depth, a, b, ldb, bstride, want, ldc, acc)
					kernelWideAVX512(depth, a, b, ldb, bstride, got, ldc, acc)
					for i := range want {
						if d := math.Abs(float64(want[i] - got[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("%s: element %d: go %g, avx512 %g", name, i, want[i], got[i])
						}
					}
				}
			}
		}
	}
}

// TestMulAVX512SameAsAVX2 checks whole products bit for bit: the wide
// kernels where 16 columns are left, the AVX2 ones at the edges.
func TestMulAVX512SameAsAVX2(t *testing.T) {
	if !haveAVX512 {
		t.Skipf("this CPU has no AVX-512F (it has: %s)", Features())
	}
	r := rand.New(rand.NewPCG(23, 24))
	for _, s := range []struct{ m, n, k int }{{8, 16, 25}, {13, 17, 300}, {100, 32, 400}, {64, 40, 9000}, {3, 64, 7}, {25, 24, 100352 / 8}} {
		for _, lay := range []string{"NN", "TN", "NT"} {
			a, b := operands(r, s.m, s.n, s.k, lay)
			for _, w := range []int{1, 2} {
				want := make([]float32, s.m*s.n)
				got := make([]float32, s.m*s.n)
				Mul(want, s.m, s.n, s.k, a, b, Options{Workers: w, Kernel: KernelAVX2})
				Mul(got, s.m, s.n, s.k, a, b, Options{Workers: w, Kernel: KernelAVX512})
				sameBits(t, fmt.Sprintf("%+v %s workers %d", s, lay, w), got, want)
			}
		}
	}
}

func sameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d: %g, want %g bit for bit", name, i, got[i], want[i])
		}
	}
}

// colsOnly hides that B is a Matrix, so Mul packs it.
type colsOnly struct{ m Matrix }

func (c colsOnly) PackCols(dst []float32, k0, depth, j0, cols int) {
	c.m.PackCols(dst, k0, depth, j0, cols)
}

// TestBInPlaceSameAsPacked checks that B read in place (a row-major Matrix
// with whole panels) gives the products of B packed, bit for bit, with
// every kernel.
func TestBInPlaceSameAsPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, s := range []struct{ m, n, k int }{{8, 8, 25}, {13, 16, 300}, {100, 32, 400}, {17, 24, 9000}, {64, 8, 7}} {
		for _, lay := range []string{"NN", "TN"} { // B row-major: in place
			a, b := operands(r, s.m, s.n, s.k, lay)
			if bp := packB(b, s.k, s.n, 1); bp.ld != b.RowStride {
				t.Fatalf("%+v: B packed (ld %d), want it read in place", s, bp.ld)
			}
			// and B inside a larger row-major matrix: an offset, rows 5
			// floats longer than n, the data ending at B's last element
			const pad, off = 5, 3
			wide := make([]float32, off+(s.k-1)*(s.n+pad)+s.n)
			for kk := range s.k {
				for j := range s.n {
					wide[off+kk*(s.n+pad)+j] = b.Data[b.Offset+kk*b.RowStride+j*b.ColStride]
				}
			}
			bw := Matrix{Data: wide, Offset: off, RowStride: s.n + pad, ColStride: 1}
			for _, opts := range everyKernel(1, 2) {
				want := make([]float32, s.m*s.n)
				got := make([]float32, s.m*s.n)
				Mul(want, s.m, s.n, s.k, a, colsOnly{b}, opts)
				Mul(got, s.m, s.n, s.k, a, b, opts)
				name := fmt.Sprintf("%+v %s %s workers %d", s, lay, opts.KernelName(), opts.Workers)
				sameBits(t, name, got, want)
				Mul(got, s.m, s.n, s.k, a, bw, opts)
				sameBits(t, name+" (B with offset and padded rows)", got, want)
			}
		}
	}
}
