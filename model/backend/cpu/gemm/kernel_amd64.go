package gemm

import "golang.org/x/sys/cpu"

// haveAVX2FMA is fixed at start-up from the CPU's feature flags.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kernel8x8AVX2(depth int, a, b, c *float32, ldc int, accumulate int)

// kernelAVX2 checks the bounds the assembly cannot, then runs it.
func kernelAVX2(depth int, a, b, c []float32, ldc int, accumulate bool) {
	if depth <= 0 {
		kernelGo(0, nil, nil, c, ldc, accumulate)
		return
	}
	_ = a[depth*MR-1]
	_ = b[depth*NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	acc := 0
	if accumulate {
		acc = 1
	}
	kernel8x8AVX2(depth, &a[0], &b[0], &c[0], ldc, acc)
}
