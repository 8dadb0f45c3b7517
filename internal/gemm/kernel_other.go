//go:build !amd64

package gemm

const haveAVX2FMA = false

// Features lists the vector features of this CPU that matter to the
// kernels: none off amd64.
func Features() string { return "no x86 vector extensions (not amd64)" }

func kernelAVX2(depth int, a, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	kernelGo(depth, a, b, ldb, c, ldc, accumulate)
}

func dotRowsAVX2(depth int, a, b []float32, out *[MR]float32) { dotRowsGo(depth, a, b, out) }

func vecMatBlockAVX2(depth int, a []float32, lda int, b []float32, ldb, cols int, out []float32) {
	vecMatBlockGo(depth, a, lda, b, ldb, cols, out)
}

func kernelOffsAVX2(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	kernelOffsGo(depth, a, offs, runs, b, ldb, c, ldc, accumulate)
}

func dotRowsOffsAVX2(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, out *[MR]float32) {
	dotRowsOffsGo(depth, a, offs, runs, b, out)
}

// gradKernels is nil: KernelGrad needs the AVX2 kernels' arithmetic.
var gradKernels *stencilKernels

func outerRowsAVX2(rows int, a []float32, lda int, b []float32, n int, c []float32, ldc int) {
	outerRowsGo(rows, a, lda, b, n, c, ldc)
}

const haveAVX512 = false

func kernelWideAVX512(depth int, a, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool) {
	kernelWideGo(depth, a, b, ldb, bstride, c, ldc, accumulate)
}

func kernelWideOffsAVX512(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool) {
	kernelWideOffsGo(depth, a, offs, runs, b, ldb, bstride, c, ldc, accumulate)
}
