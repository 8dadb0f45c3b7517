// Package gemm multiplies float32 matrices on the CPU: C = A·B, blocked and
// packed, with micro-kernels written in Go assembly where the CPU has the
// instructions — 8×16 tiles in AVX-512 (zmm registers), 8×8 tiles in
// AVX2/FMA — and a portable Go micro-kernel elsewhere. The AVX-512 and
// AVX2 kernels compute every element as the same chain of fused
// multiply-adds, so their products are bit-identical; Options.Kernel
// chooses (the fastest by default).
//
// A and B are read through packers, so a matrix with any row and column
// strides (a transposed operand costs nothing) or an implicit one (the
// patches of a convolution, never materialised) is multiplied the same way.
// C is a dense row-major m×n slice and is overwritten.
//
// KernelGrad sums the kernel gradient of a few-channel convolution straight
// from its two operands (a stencil over the pixels) with Mul's arithmetic
// bit for bit.
//
// It serves the cpu GoMLX backend (model/backend/cpu) and the distance
// matrices of the shallow baselines (baselines/internal/pairwise).
package gemm

import (
	"strconv"
	"sync"
)

// Tile sizes of the micro-kernel: MR rows of A by NR columns of B.
const (
	MR = 8
	NR = 8
)

// kc is the depth of one block of the contraction: an MR×kc panel of A and
// a kc×NR panel of B (8 KiB each) stay in L1 while the kernel runs.
const kc = 256

// BlockDepth is the length of the contraction blocks the micro-kernel sums
// (kc): a RowSource whose rows run contiguously for at least this long can
// serve most blocks in place.
const BlockDepth = kc

// RowPacker supplies A. PackRows writes rows [i0, i0+rows) and columns
// [k0, k0+depth) of A to dst row by row, dst[r*depth+k] = A[i0+r, k0+k],
// with rows ≤ MR; rows r ≥ rows must be written as zeros. (Row-major
// panels let a packer copy contiguous runs of A; the micro-kernel reads the
// MR rows as MR streams.)
type RowPacker interface {
	PackRows(dst []float32, i0, rows, k0, depth int)
}

// ColPacker supplies B. PackCols writes rows [k0, k0+depth) and columns
// [j0, j0+cols) of B to dst, dst[k*NR+j] = B[k0+k, j0+j], with cols ≤ NR;
// columns j ≥ cols must be written as zeros.
type ColPacker interface {
	PackCols(dst []float32, k0, depth, j0, cols int)
}

// Matrix is a strided view of a float32 matrix: element (i, j) is
// Data[Offset + i*RowStride + j*ColStride]. A transposed matrix is the same
// data with the strides swapped.
type Matrix struct {
	Data                 []float32
	Offset               int
	RowStride, ColStride int
}

// Dense returns the row-major rows×cols matrix held in data.
func Dense(data []float32, cols int) Matrix { return Matrix{Data: data, RowStride: cols, ColStride: 1} }

// T returns the transpose of m.
func (m Matrix) T() Matrix {
	m.RowStride, m.ColStride = m.ColStride, m.RowStride
	return m
}

// PackRows implements RowPacker.
func (m Matrix) PackRows(dst []float32, i0, rows, k0, depth int) {
	dst = dst[:depth*MR]
	if rows < MR {
		clear(dst[rows*depth:])
	}
	if m.ColStride == 1 {
		for r := range rows {
			base := m.Offset + (i0+r)*m.RowStride + k0
			copy(dst[r*depth:(r+1)*depth], m.Data[base:base+depth])
		}
		return
	}
	for k := range depth { // the rows of a transposed matrix are its columns: read them contiguously
		base := m.Offset + i0*m.RowStride + (k0+k)*m.ColStride
		for r := range rows {
			dst[r*depth+k] = m.Data[base+r*m.RowStride]
		}
	}
}

// PackCols implements ColPacker.
func (m Matrix) PackCols(dst []float32, k0, depth, j0, cols int) {
	dst = dst[:depth*NR]
	if cols < NR {
		clear(dst)
	}
	if m.ColStride == 1 {
		if cols == NR && m.RowStride == NR { // the panel is the matrix itself
			base := m.Offset + k0*NR + j0
			copy(dst, m.Data[base:base+depth*NR])
			return
		}
		for k := range depth {
			base := m.Offset + (k0+k)*m.RowStride + j0
			d, s := dst[k*NR:k*NR+cols], m.Data[base:base+cols]
			for j, v := range s { // short rows: a loop beats copy's call
				d[j] = v
			}
		}
		return
	}
	for j := range cols {
		base := m.Offset + k0*m.RowStride + (j0+j)*m.ColStride
		for k := range depth {
			dst[k*NR+j] = m.Data[base+k*m.RowStride]
		}
	}
}

// Options says how Mul runs.
type Options struct {
	// Workers is the number of goroutines one product may use (≤ 1: the
	// calling one only).
	Workers int
	// Kernel is the family of micro-kernels to run (the zero value: the
	// fastest this CPU has). Mul does not check it — KernelAVX512 on a CPU
	// without AVX-512 runs KernelAVX2's kernels, and either without AVX2
	// the portable ones — so a caller that lets a user choose checks
	// Kernel.Runs first.
	Kernel Kernel
}

// Kernel is a family of micro-kernels. All compute every element of a
// product as the same chain of fused multiply-adds in the same order, so
// AVX512 and AVX2 give bit-identical products; Portable rounds the same
// chain with a separate multiply and add where Go does not fuse them.
type Kernel int

// The kernel families.
const (
	// KernelBest is the fastest family this CPU runs: KernelAVX512 where
	// it has AVX-512F, else KernelAVX2 where it has AVX2 and FMA, else
	// KernelPortable.
	KernelBest Kernel = iota
	// KernelAVX512 runs the 8×8 tile 16 columns wide in zmm registers
	// where C has 16 columns left, and KernelAVX2's kernels elsewhere.
	KernelAVX512
	// KernelAVX2 is the 8×8 AVX2/FMA assembly.
	KernelAVX2
	// KernelPortable is Go.
	KernelPortable
)

// String returns the name by which a user chooses the family: "avx512",
// "avx2", "portable" (and "best").
func (k Kernel) String() string {
	switch k {
	case KernelBest:
		return "best"
	case KernelAVX512:
		return "avx512"
	case KernelAVX2:
		return "avx2"
	case KernelPortable:
		return "portable"
	}
	return "kernel(" + strconv.Itoa(int(k)) + ")"
}

// Runs reports whether this CPU runs the family.
func (k Kernel) Runs() bool {
	switch k {
	case KernelBest, KernelPortable:
		return true
	case KernelAVX512:
		return haveAVX512
	case KernelAVX2:
		return haveAVX2FMA
	}
	return false
}

// Kernels lists the families this CPU runs, fastest first (KernelBest
// left out).
func Kernels() []Kernel {
	var ks []Kernel
	for _, k := range []Kernel{KernelAVX512, KernelAVX2, KernelPortable} {
		if k.Runs() {
			ks = append(ks, k)
		}
	}
	return ks
}

// Accelerated reports whether this CPU runs the assembly micro-kernels
// (amd64 with AVX2 and FMA).
func Accelerated() bool { return haveAVX2FMA }

// family resolves KernelBest to the family it stands for on this CPU.
func (opts Options) family() Kernel {
	if opts.Kernel == KernelBest {
		return Kernels()[0]
	}
	return opts.Kernel
}

// assembly reports whether opts runs the assembly kernels (AVX2's
// arithmetic, whatever their width).
func (opts Options) assembly() bool {
	k := opts.family()
	return haveAVX2FMA && (k == KernelAVX2 || k == KernelAVX512) // AVX512 without AVX-512: AVX2's kernels
}

// wide reports whether opts runs the 16-column AVX-512 kernels.
func (opts Options) wide() bool { return haveAVX512 && opts.family() == KernelAVX512 }

// KernelName names the micro-kernels Mul uses with opts.
func (opts Options) KernelName() string {
	switch {
	case opts.wide():
		return "avx512 8x16"
	case opts.assembly():
		return "avx2-fma 8x8"
	}
	return "portable go 8x8"
}

// Mul sets c (row-major m×n) to A·B where A is m×k and B is k×n; c must
// not overlap A's or B's memory (B may be read in place while c is
// written). It splits
// the rows of C among the workers when there are enough of them, and
// otherwise the contraction (each worker then sums into a private C, added
// at the end).
func Mul(c []float32, m, n, k int, a RowPacker, b ColPacker, opts Options) {
	c = c[:m*n]
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c)
		return
	}
	if k == 1 {
		mulOuter(c, m, n, a, b, opts)
		return
	}
	mulBlocked(c, m, n, k, a, b, opts)
}

// mulBlocked is Mul for k > 0 through the micro-kernels: mulVecMat for a
// single row of A, the matrix-vector kernel for a single column of B, else
// the 8×8 kernel on panels of A and B.
func mulBlocked(c []float32, m, n, k int, a RowPacker, b ColPacker, opts Options) {
	workers := opts.Workers
	kern := kernels{packed: kernelGo, offs: kernelOffsGo, dot: dotRowsGo, dotOffs: dotRowsOffsGo}
	if opts.assembly() {
		kern = kernels{packed: kernelAVX2, offs: kernelOffsAVX2, dot: dotRowsAVX2, dotOffs: dotRowsOffsAVX2}
	}
	if opts.wide() {
		kern.wide, kern.wideOffs = kernelWideAVX512, kernelWideOffsAVX512
	}
	if n == 1 {
		kern.packed = nil // mulRows takes the matrix-vector path
	}
	if am, bm, ok := vecMatOK(m, n, a, b); ok {
		mulVecMat(c, n, k, am, bm, opts)
		return
	}
	bp := packB(b, k, n, workers)
	// The contraction is summed in chunks of chunkDepth, each from zero,
	// then added in order: the same arithmetic whatever the number of
	// workers, so results do not depend on the machine's core count.
	chunks := (k + chunkDepth - 1) / chunkDepth
	// chunk computes chunk i of rows [m0, m1) into dst, whose row 0 is row
	// base of C.
	chunk := func(dst []float32, base, i, m0, m1 int) {
		mulRows(kern, dst, base, n, a, bp, m0, m1, i*chunkDepth, min((i+1)*chunkDepth, k))
	}
	panels := (m + MR - 1) / MR
	switch {
	case workers <= 1 || 2*m*n*k < parallelFlops || (panels >= 2*workers && chunks == 1):
		// rows split among the workers (or none): each row's sums are unchanged
		w := workers
		if w <= 1 || 2*m*n*k < parallelFlops {
			w = 1
		}
		w = min(w, panels)
		fanOut(w, func(j int) {
			lo, hi := split(panels, w, j)
			m0, m1 := lo*MR, min(hi*MR, m)
			chunk(c, 0, 0, m0, m1)
			if chunks > 1 {
				tmp := make([]float32, (m1-m0)*n)
				for i := 1; i < chunks; i++ {
					chunk(tmp, m0, i, m0, m1)
					addInto(c[m0*n:m1*n], tmp)
				}
			}
		})
	default: // few rows and a long contraction: the chunks are computed in parallel
		sumChunks(c, chunks, workers, func(dst []float32, i, _ int) { chunk(dst, 0, i, 0, m) })
	}
}

// fanOut runs fn(0), …, fn(w−1) at once, fn(0) on the calling goroutine,
// and returns when all have.
func fanOut(w int, fn func(j int)) {
	var wg sync.WaitGroup
	for j := 1; j < w; j++ {
		wg.Add(1)
		go func() { defer wg.Done(); fn(j) }()
	}
	if w >= 1 {
		fn(0)
	}
	wg.Wait()
}

// sumChunks sets dst to chunk 0 + chunk 1 + … + chunk chunks−1, added in
// that order whatever the number of workers: chunk(out, i, j) writes chunk
// i's sum to out (dst itself for chunk 0) on worker j, the chunks dealt to
// min(workers, chunks) workers in turn.
func sumChunks(dst []float32, chunks, workers int, chunk func(out []float32, i, worker int)) {
	w := max(1, min(workers, chunks))
	if w == 1 { // one scratch for every chunk but the first
		var tmp []float32
		for i := range chunks {
			if i == 0 {
				chunk(dst, 0, 0)
				continue
			}
			if tmp == nil {
				tmp = make([]float32, len(dst))
			}
			chunk(tmp, i, 0)
			addInto(dst, tmp)
		}
		return
	}
	partial := make([][]float32, chunks)
	fanOut(w, func(j int) {
		for i := j; i < chunks; i += w {
			out := dst
			if i > 0 {
				partial[i] = make([]float32, len(dst))
				out = partial[i]
			}
			chunk(out, i, j)
		}
	})
	for _, p := range partial[1:] {
		addInto(dst, p)
	}
}

// chunkDepth is the length of the contraction summed before partial sums
// are added together (a multiple of kc).
const chunkDepth = 32 * kc

func addInto(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// parallelFlops is the size of product below which a second goroutine costs
// more than it saves.
const parallelFlops = 1 << 18

// split returns the w-th of n parts of [0, total).
func split(total, n, w int) (lo, hi int) {
	return total * w / n, total * (w + 1) / n
}

// packedB is B as the micro-kernels read it, in column panels of NR:
// B[k, p·NR+j] = data[p·stride + k·ld + j]. Packed, panel p holds rows
// 0..k-1 of columns [p·NR, p·NR+NR), row-major and zero-padded (ld = NR,
// stride = k·NR); read in place from a row-major B, ld is B's row stride
// and stride NR.
type packedB struct {
	data       []float32
	k          int
	ld, stride int
}

// panel returns panel j0/NR from row k0 on.
func (p packedB) panel(j0, k0 int) []float32 {
	return p.data[(j0/NR)*p.stride+k0*p.ld:]
}

// packB returns B as the micro-kernels read it: in place where B is a
// Matrix with contiguous rows and whole panels (n a multiple of NR) — no
// copy, and the same floats, so the same products bit for bit — else
// packed.
func packB(b ColPacker, k, n, workers int) packedB {
	if n == 1 { // a column: kept contiguous for the matrix-vector kernel
		col := make([]float32, k*NR)
		b.PackCols(col, 0, k, 0, 1)
		for i := range k {
			col[i] = col[i*NR]
		}
		return packedB{data: col[:k], k: k, ld: 1, stride: k}
	}
	if m, ok := b.(Matrix); ok && m.ColStride == 1 && n%NR == 0 && m.RowStride >= n {
		return packedB{data: m.Data[m.Offset:], k: k, ld: m.RowStride, stride: NR}
	}
	panels := (n + NR - 1) / NR
	data := make([]float32, panels*k*NR)
	pack := func(p int) {
		j0 := p * NR
		b.PackCols(data[p*k*NR:(p+1)*k*NR], 0, k, j0, min(NR, n-j0))
	}
	if workers <= 1 || panels == 1 {
		for p := range panels {
			pack(p)
		}
	} else {
		var wg sync.WaitGroup
		for p := range panels {
			wg.Add(1)
			go func() { defer wg.Done(); pack(p) }()
		}
		wg.Wait()
	}
	return packedB{data: data, k: k, ld: NR, stride: k * NR}
}

// microKernel computes C[MR×NR at c, row stride ldc] (+)= Σ_k
// a[r*depth+k]·b[k*ldb+j] over depth k, adding to C when accumulate is set.
type microKernel func(depth int, a, b []float32, ldb int, c []float32, ldc int, accumulate bool)

// dotRows sets out[r] = Σ_k a[r*depth+k]·b[k] for the MR rows of a packed
// panel: the micro-kernel of a matrix-vector product (n = 1), which the
// 8×8 kernel would run at one useful lane in eight.
type dotRows func(depth int, a, b []float32, out *[MR]float32)

func dotRowsGo(depth int, a, b []float32, out *[MR]float32) {
	offs := panelOffsets(depth)
	dotRowsOffsGo(depth, a, &offs, Contiguous(depth), b, out)
}

// wideKernel is microKernel on a tile of MR×2·NR: C's columns j < NR
// from the B panel b, the others from the panel bstride floats after it.
type wideKernel func(depth int, a, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool)

// wideOffsKernel is wideKernel reading A through row offsets and runs.
type wideOffsKernel func(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool)

// kernelWideGo is wideKernel as two calls of the portable kernel.
func kernelWideGo(depth int, a, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool) {
	kernelGo(depth, a, b, ldb, c, ldc, accumulate)
	kernelGo(depth, a, b[bstride:], ldb, c[NR:], ldc, accumulate)
}

// kernelWideOffsGo is wideOffsKernel as two calls of the portable kernel.
func kernelWideOffsGo(depth int, a []float32, offs *[MR]int, runs Runs, b []float32, ldb, bstride int, c []float32, ldc int, accumulate bool) {
	kernelOffsGo(depth, a, offs, runs, b, ldb, c, ldc, accumulate)
	kernelOffsGo(depth, a, offs, runs, b[bstride:], ldb, c[NR:], ldc, accumulate)
}

// kernels are the micro-kernels of one product: the packed one, the one
// reading A in place (RowSource), for n = 1 the matrix-vector ones, and
// where the CPU has them the wide ones, used on whole tiles with 2·NR
// columns of C left.
type kernels struct {
	packed   microKernel // nil: n = 1, computed with dot
	offs     offsKernel
	dot      dotRows
	dotOffs  offsDot
	wide     wideKernel // nil: no wide kernels
	wideOffs wideOffsKernel
}

// mulRows computes rows [m0, m1) of A·B over the contraction range [k0,
// k1), overwriting c, whose row 0 is row base.
func mulRows(kern kernels, c []float32, base, n int, a RowPacker, bp packedB, m0, m1, k0, k1 int) {
	apack := make([]float32, MR*kc)
	var tile [MR * NR]float32
	src, _ := a.(RowSource)
	var offs [MR]int
	for i0 := m0; i0 < m1; i0 += MR {
		rows := min(MR, m1-i0)
		for kb := k0; kb < k1; kb += kc {
			depth := min(kc, k1-kb)
			acc := kb > k0
			var runs Runs
			inPlace := false
			if src != nil {
				runs, inPlace = src.Rows(&offs, i0, rows, kb, depth)
			}
			if kern.packed == nil {
				var sums [MR]float32
				if inPlace && dotRuns(runs, depth) {
					kern.dotOffs(depth, src.Data(), &offs, runs, bp.data[kb:kb+depth], &sums)
				} else {
					a.PackRows(apack[:depth*MR], i0, rows, kb, depth)
					kern.dot(depth, apack, bp.data[kb:kb+depth], &sums)
				}
				for r := range rows {
					if acc {
						c[i0-base+r] += sums[r]
					} else {
						c[i0-base+r] = sums[r]
					}
				}
				continue
			}
			// the micro-kernel on this block: A packed, or read in place
			ldb := bp.ld
			kernel := func(b, c []float32, ldc int, acc bool) { kern.packed(depth, apack, b, ldb, c, ldc, acc) }
			wide := func(b []float32, c []float32, ldc int, acc bool) {
				kern.wide(depth, apack, b, ldb, bp.stride, c, ldc, acc)
			}
			if inPlace {
				data := src.Data()
				kernel = func(b, c []float32, ldc int, acc bool) { kern.offs(depth, data, &offs, runs, b, ldb, c, ldc, acc) }
				wide = func(b []float32, c []float32, ldc int, acc bool) {
					kern.wideOffs(depth, data, &offs, runs, b, ldb, bp.stride, c, ldc, acc)
				}
			} else {
				a.PackRows(apack[:depth*MR], i0, rows, kb, depth)
			}
			for j0 := 0; j0 < n; {
				if kern.wide != nil && rows == MR && j0+2*NR <= n {
					wide(bp.panel(j0, kb), c[(i0-base)*n+j0:], n, acc)
					j0 += 2 * NR
					continue
				}
				cols := min(NR, n-j0)
				bpanel := bp.panel(j0, kb)
				j0 += NR
				if rows == MR && cols == NR {
					kernel(bpanel, c[(i0-base)*n+j0-NR:], n, acc)
					continue
				}
				kernel(bpanel, tile[:], NR, false)
				for r := range rows {
					dst := c[(i0-base+r)*n+j0-NR : (i0-base+r)*n+j0-NR+cols]
					src := tile[r*NR : r*NR+cols]
					if acc {
						for j, v := range src {
							dst[j] += v
						}
					} else {
						copy(dst, src)
					}
				}
			}
		}
	}
}

// kernelGo is the portable micro-kernel: C[MR×NR at c, row stride ldc]
// (+)= Σ_k a[r*depth+k]·b[k*NR+j].
func kernelGo(depth int, a, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	offs := panelOffsets(depth)
	kernelOffsGo(depth, a, &offs, Contiguous(depth), b, ldb, c, ldc, accumulate)
}

// panelOffsets returns the offsets of the MR rows of a packed panel.
func panelOffsets(depth int) [MR]int {
	var offs [MR]int
	for r := range offs {
		offs[r] = r * depth
	}
	return offs
}
