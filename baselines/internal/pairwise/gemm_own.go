//go:build !openblas || !cgo

package pairwise

import (
	"github.com/ncae-repro/ncae/baselines/internal/par"
	"github.com/ncae-repro/ncae/internal/gemm"
)

// Backend names the matrix-product implementation compiled in.
const Backend = "gemm"

// mulABt sets c (dense m×n) to a·bᵀ, with a m×k and b n×k row-major (strides
// lda, ldb), on par.Workers(workers) goroutines with the module's own matrix
// product (AVX2/FMA where the CPU has it). Its sums are chunked in a fixed
// order, so the result does not depend on the number of workers.
func mulABt(workers, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32) {
	A := gemm.Matrix{Data: a, RowStride: lda, ColStride: 1}
	B := gemm.Matrix{Data: b, RowStride: ldb, ColStride: 1}.T()
	gemm.Mul(c, m, n, k, A, B, gemm.Options{Workers: par.Workers(workers)})
}
