//go:build openblas && cgo

package pairwise

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// Backend names the matrix-product implementation compiled in. Build with
// -tags openblas (and Debian's libopenblas-dev) to use OpenBLAS.
const Backend = "openblas"

// mulABt sets c (dense m×n) to a·bᵀ, with a m×k and b n×k row-major (strides
// lda, ldb). OpenBLAS keeps its own thread count (OPENBLAS_NUM_THREADS), so
// workers is not used.
func mulABt(workers, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32) {
	if m == 0 || n == 0 {
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasTrans, C.blasint(m), C.blasint(n), C.blasint(k),
		1, (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), 0, (*C.float)(unsafe.Pointer(&c[0])), C.blasint(n))
}
