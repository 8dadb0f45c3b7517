//go:build !openblas || !cgo

package pairwise

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Backend names the matrix-product implementation compiled in.
const Backend = "gonum"

// gemmABt sets c (m×n, row stride ldc) to alpha·a·bᵀ, with a m×k and b n×k
// row-major (strides lda, ldb).
func gemmABt(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(blas.NoTrans, blas.Trans, m, n, k, alpha, a, lda, b, ldb, 0, c, ldc)
}
