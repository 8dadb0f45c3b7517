package gemm

import (
	"strings"

	"golang.org/x/sys/cpu"
)

// haveAVX2FMA is fixed at start-up from the CPU's feature flags.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Features lists the vector features of this CPU that matter to the
// kernels, for messages: "avx2 fma avx512f", or "none of avx2, fma,
// avx512f".
func Features() string {
	var have []string
	for _, f := range []struct {
		name string
		has  bool
	}{{"avx2", cpu.X86.HasAVX2}, {"fma", cpu.X86.HasFMA}, {"avx512f", cpu.X86.HasAVX512F}} {
		if f.has {
			have = append(have, f.name)
		}
	}
	if len(have) == 0 {
		return "none of avx2, fma, avx512f"
	}
	return strings.Join(have, " ")
}

//go:noescape
func kernel8x8AVX2(depth int, a, b *float32, ldbBytes int, c *float32, ldc int, accumulate int)

// kernelAVX2 is the packed micro-kernel, kernelOffsAVX2's arithmetic over a
// panel's rows (depth floats apart) with their addresses in registers. It
// checks the bounds the assembly cannot, then runs it.
func kernelAVX2(depth int, a, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	if depth <= 0 {
		kernelGo(0, nil, nil, NR, c, ldc, accumulate)
		return
	}
	_ = a[depth*MR-1]
	_ = b[(depth-1)*ldb+NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	kernel8x8AVX2(depth, &a[0], &b[0], 4*ldb, &c[0], ldc, flag(accumulate))
}

// dotRowsAVX2 runs the assembly over the multiple-of-8 part of depth (eight
// partial sums per row) and finishes the rest in Go.
func dotRowsAVX2(depth int, a, b []float32, out *[MR]float32) {
	offs := panelOffsets(depth)
	dotRowsOffsAVX2(depth, a, &offs, Contiguous(depth), b, out)
}

//go:noescape
func dot8x8OffsAVX2(depth8 int, a *float32, offs *[MR]int, b *float32, acc *[MR * 8]float32, first8, runLen8, gapBytes int, sum int)

// dotRowsOffsAVX2 is dotRowsAVX2 with row r of A from a[offs[r]:], laid out
// as runs: contiguous, or runs whose lengths are multiples of 8 (dotRuns).
func dotRowsOffsAVX2(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, out *[MR]float32) {
	if !dotRuns(runs, depth) {
		panic("gemm: runs the matrix-vector kernel cannot read")
	}
	span := runs.Index(depth-1) + 1
	for _, o := range offs { // indexes, not a[o:o+span], which checks against cap(a)
		_, _ = a[o], a[o+span-1]
	}
	_ = b[depth-1]
	depth8 := depth &^ 7
	var acc [MR * 8]float32 // the rows' sums in acc[:MR]: +0 when depth8 is 0
	if depth8 > 0 {
		first := min(runs.First, depth) // contiguous rows: no gap is reached
		dot8x8OffsAVX2(depth8, &a[0], offs, &b[0], &acc, (first+7)/8, runs.Len/8, 4*runs.Gap, 1)
	}
	for r := range MR {
		s := acc[r]
		for k := depth8; k < depth; k++ {
			s += a[offs[r]+runs.Index(k)] * b[k]
		}
		out[r] = s
	}
}

//go:noescape
func vecMatAVX2(depth int, a *float32, lda int, b *float32, ldb int, cols int, out *float32)

// vecMatBlockAVX2 sets out[j] = Σ_k a[k·lda]·b[k·ldb+j] over depth k for
// j < cols, cols ∈ {8, 4, 1}, in the micro-kernel's arithmetic.
func vecMatBlockAVX2(depth int, a []float32, lda int, b []float32, ldb, cols int, out []float32) {
	_ = a[(depth-1)*lda]
	_ = b[(depth-1)*ldb+cols-1]
	_ = out[cols-1]
	vecMatAVX2(depth, &a[0], lda, &b[0], ldb, cols, &out[0])
}

//go:noescape
func kernel8x8OffsAVX2(depth int, a *float32, offs *[MR]int, b *float32, ldbBytes int, c *float32, ldc int, accumulate int, first, runLen, gapBytes int)

// kernelOffsAVX2 checks the bounds the assembly cannot, then runs it.
func kernelOffsAVX2(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	if depth <= 0 {
		kernelGo(0, nil, nil, NR, c, ldc, accumulate)
		return
	}
	checkRows(depth, a, offs, runs)
	_ = b[(depth-1)*ldb+NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	kernel8x8OffsAVX2(depth, &a[0], offs, &b[0], 4*ldb, &c[0], ldc, flag(accumulate), runs.First, runs.Len, 4*runs.Gap)
}

//go:noescape
func tapsVecXAVX2(n int, x *float32, xstep, tapBytes int, y *float32, ystep int, passes *gradPass, npass int, acc *float32)

//go:noescape
func tapsVecYAVX2(n int, x *float32, xstep, tapBytes int, y *float32, ystep int, passes *gradPass, npass int, acc *float32)

//go:noescape
func phasesVecXAVX2(n8 int, x *float32, xstep int, y *float32, ystep int, passes *gradPass, npass int, acc *float32)

//go:noescape
func sumPhasesAVX2(n int, acc *float32, out *float32)

// gradKernels are the assembly kernels of KernelGrad. The wrappers check
// what the assembly cannot: counts of at least one (its loops count down
// to zero) and every pass's last floats of x and y.
var gradKernels = &stencilKernels{
	tapsVecX: func(n int, x []float32, xstep, tap int, y []float32, ystep int, passes []gradPass, acc [][5][8]float32) {
		mustCount(n, len(passes))
		span := passSpan(passes)
		_, _ = x[span.x+(n-1)*xstep+4*tap+7], y[span.y+(n-1)*ystep]
		_ = acc[len(passes)-1]
		tapsVecXAVX2(n, &x[0], 4*xstep, 4*tap, &y[0], 4*ystep, &passes[0], len(passes), &acc[0][0][0])
	},
	tapsVecY: func(n int, x []float32, xstep, tap int, y []float32, ystep int, passes []gradPass, acc [][5][8]float32) {
		mustCount(n, len(passes))
		span := passSpan(passes)
		_, _ = x[span.x+(n-1)*xstep+4*tap], y[span.y+(n-1)*ystep+7]
		_ = acc[len(passes)-1]
		tapsVecYAVX2(n, &x[0], 4*xstep, 4*tap, &y[0], 4*ystep, &passes[0], len(passes), &acc[0][0][0])
	},
	phasesVecX: func(n8 int, x []float32, xstep int, y []float32, ystep int, passes []gradPass, acc [][8][8]float32) {
		mustCount(n8, len(passes))
		span := passSpan(passes)
		_, _ = x[span.x+(8*n8-1)*xstep+7], y[span.y+(8*n8-1)*ystep]
		_ = acc[len(passes)-1]
		phasesVecXAVX2(n8, &x[0], 4*xstep, &y[0], 4*ystep, &passes[0], len(passes), &acc[0][0][0])
	},
	sumPhases: func(acc [][8][8]float32, out [][8]float32) {
		mustCount(len(acc), 1)
		_ = out[len(acc)-1]
		sumPhasesAVX2(len(acc), &acc[0][0][0], &out[0][0])
	},
}

//go:noescape
func outerAVX2(rows int, a *float32, lda int, b *float32, n8, n4 int, c *float32, ldc int)

// outerRowsAVX2 sets C[i, j] = fma(a[i·lda], b[j], +0) for i < rows, j < n
// (c row-major, ldc floats a row), the multiple-of-4 part of each row in
// assembly, the rest in Go with the same single rounding. It checks the
// bounds the assembly cannot.
func outerRowsAVX2(rows int, a []float32, lda int, b []float32, n int, c []float32, ldc int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _, _ = a[(rows-1)*lda], b[n-1], c[(rows-1)*ldc+n-1]
	n8, n4 := n/8, n%8/4
	if n8+n4 > 0 {
		outerAVX2(rows, &a[0], lda, &b[0], n8, n4, &c[0], ldc)
	}
	if done := 8*n8 + 4*n4; done < n {
		outerRowsFMAGo(rows, a, lda, b[done:], n-done, c[done:], ldc)
	}
}

// mustCount panics unless both counts are positive: the stencil kernels'
// loops would wrap around at zero.
func mustCount(n, passes int) {
	if n <= 0 || passes <= 0 {
		panic("gemm: a stencil kernel called with nothing to do")
	}
}

// checkRows panics unless the MR rows of A at a[offs[r]:], laid out as
// runs over depth > 0, lie within a: the bounds the assembly kernels that
// read rows in place cannot check.
func checkRows(depth int, a []float32, offs *[MR]int, runs Runs) {
	if !runs.valid() {
		panic("gemm: invalid runs")
	}
	span := runs.Index(depth-1) + 1
	for _, o := range offs { // indexes, not a[o:o+span], which checks against cap(a)
		_, _ = a[o], a[o+span-1]
	}
}

// flag is the assembly's form of a bool.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
