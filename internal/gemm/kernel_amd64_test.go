package gemm

import "testing"

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
		"kernelOffsAVX2":  func() { kernelOffsAVX2(depth, a, &offs, Contiguous(depth), b, c, NR, false) },
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
