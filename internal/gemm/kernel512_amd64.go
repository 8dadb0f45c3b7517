package gemm

import "golang.org/x/sys/cpu"

// haveAVX512 is fixed at start-up from the CPU's feature flags (x/sys/cpu
// reports AVX-512F only where the OS saves the zmm registers).
var haveAVX512 = haveAVX2FMA && cpu.X86.HasAVX512F

//go:noescape
func kernel8x16AVX512(depth int, a, b *float32, ldbBytes, bstride int, c *float32, ldc int, accumulate int)

//go:noescape
func kernel8x16OffsAVX512(depth int, a *float32, offs *[MR]int, b *float32, ldbBytes, bstride int, c *float32, ldc int, accumulate int, first, runLen, gapBytes int)

// kernelWideAVX512 is wideKernel in AVX-512: kernelAVX2's arithmetic on
// two B panels at once. It checks the bounds the assembly cannot.
func kernelWideAVX512(depth int, a, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool) {
	if depth <= 0 {
		kernelGo(0, nil, nil, NR, c, ldc, accumulate)
		kernelGo(0, nil, nil, NR, c[NR:], ldc, accumulate)
		return
	}
	_ = a[depth*MR-1]
	_ = b[bstride+(depth-1)*ldb+NR-1]
	_ = c[(MR-1)*ldc+2*NR-1]
	kernel8x16AVX512(depth, &a[0], &b[0], 4*ldb, 4*bstride, &c[0], ldc, flag(accumulate))
}

// kernelWideOffsAVX512 is wideOffsKernel in AVX-512: kernelOffsAVX2's
// arithmetic on two B panels at once. It checks the bounds the assembly
// cannot.
func kernelWideOffsAVX512(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool) {
	if depth <= 0 {
		kernelGo(0, nil, nil, NR, c, ldc, accumulate)
		kernelGo(0, nil, nil, NR, c[NR:], ldc, accumulate)
		return
	}
	checkRows(depth, a, offs, runs)
	_ = b[bstride+(depth-1)*ldb+NR-1]
	_ = c[(MR-1)*ldc+2*NR-1]
	kernel8x16OffsAVX512(depth, &a[0], offs, &b[0], 4*ldb, 4*bstride, &c[0], ldc, flag(accumulate), runs.First, runs.Len, 4*runs.Gap)
}
