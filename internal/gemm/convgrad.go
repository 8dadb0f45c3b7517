package gemm

// KernelGradShape describes the kernel gradient of a stride-1, undilated
// 2-D convolution with the batch inside the pixels: the input x, zero
// padding written out, is [InH, InW, Batch, InC] with InH = OutH+KH−1 and
// InW = OutW+KW−1; the output gradient dy is [OutH, OutW, Batch, OutC]; the
// gradient is [KH, KW, InC, OutC]. (In this layout the contraction runs
// through both operands in order: dy is the product's B as it lies.)
type KernelGradShape struct {
	Batch, InH, InW, InC int
	OutH, OutW, OutC     int
	KH, KW               int
}

// stencilKernels are KernelGrad's inner loops. Each runs a list of passes
// over the same n pixels, pass p reading x from passes[p].x and y from
// passes[p].y on (byte offsets) into its own accumulators acc[p]
// (strides in floats; n and the passes non-empty):
//
//	tapsVecX:   acc[p][t] += x[i·xstep+t·tap : +8] · y[i·ystep]      for i < n, t < 5
//	tapsVecY:   acc[p][t] += x[i·xstep+t·tap] · y[i·ystep : +8]      for i < n, t < 5
//	phasesVecX: acc[p][i%8] += x[i·xstep : +8] · y[i·ystep]          for i < 8·n8
//
// each product fused-multiply-added into its chain; sumPhases sets out[p]
// to ((0 + acc[p][0]) + acc[p][1]) + … + acc[p][7], lane by lane.
type stencilKernels struct {
	tapsVecX   func(n int, x []float32, xstep, tap int, y []float32, ystep int, passes []gradPass, acc [][5][8]float32)
	tapsVecY   func(n int, x []float32, xstep, tap int, y []float32, ystep int, passes []gradPass, acc [][5][8]float32)
	phasesVecX func(n8 int, x []float32, xstep int, y []float32, ystep int, passes []gradPass, acc [][8][8]float32)
	sumPhases  func(acc [][8][8]float32, out [][8]float32)
}

// gradPass is where one pass of a stencil kernel starts reading, in bytes
// from the segment's x and y (the layout the assembly reads).
type gradPass struct{ x, y int }

// passSpan returns the largest offsets of the passes, in floats.
func passSpan(passes []gradPass) (span struct{ x, y int }) {
	for _, p := range passes {
		span.x, span.y = max(span.x, p.x/4), max(span.y, p.y/4)
	}
	return span
}

// KernelGradOK reports whether KernelGrad computes s with opts: the AVX2
// kernels (not KernelPortable), kernels five taps wide, and eight-lane channels —
// InC a multiple of 8, or OutC a multiple of 8 — with Batch a multiple of 8
// when OutC is 1 (the matrix-vector kernel's eight partial sums restart at
// every block, and the segments a block is read in break at output rows of
// OutW·Batch indices: both must fall on multiples of 8).
func KernelGradOK(s KernelGradShape, opts Options) bool {
	switch {
	case gradKernels == nil || !opts.assembly():
		return false
	case s.KW != 5 || s.KH <= 0 || s.Batch <= 0 || s.OutH <= 0 || s.OutW <= 0:
		return false
	case s.InH != s.OutH+s.KH-1 || s.InW != s.OutW+s.KW-1:
		return false
	case s.OutC == 1:
		return s.InC%8 == 0 && s.InC > 0 && s.Batch%8 == 0
	}
	return s.InC > 0 && s.OutC > 0 && (s.InC%8 == 0 || s.OutC%8 == 0)
}

// KernelGrad sets dst [KH, KW, InC, OutC] to the kernel gradient
//
//	dst[ky, kx, c, o] = Σ over (y, x, b) of x[y+ky, x+kx, b, c] · dy[y, x, b, o]
//
// reading x and dy where they lie, with the arithmetic of Mul on the same
// product written as the patch matrix A (rows (c, ky, kx), contraction k =
// (y·OutW + x)·Batch + b) times dy as [k, OutC] — the form a GoMLX graph's
// kernel gradient takes after its transposes: every element is summed in
// the same blocks and chunks, by the same fused multiply-adds in the same
// order (for OutC = 1, the matrix-vector kernel's eight partial sums), so
// the result is bit-identical to Mul's for any number of workers. It
// panics unless KernelGradOK(s, opts).
func KernelGrad(dst, x, dy []float32, s KernelGradShape, opts Options) {
	if !KernelGradOK(s, opts) {
		panic("gemm: KernelGrad called with a shape or options it does not serve")
	}
	size := s.KH * s.KW * s.InC * s.OutC
	dst = dst[:size]
	_ = x[s.InH*s.InW*s.Batch*s.InC-1]
	_ = dy[s.OutH*s.OutW*s.Batch*s.OutC-1]
	k := s.OutH * s.OutW * s.Batch
	chunks := (k + chunkDepth - 1) / chunkDepth
	g := newGradTask(s, x, dy, gradKernels)
	workers := max(1, min(opts.Workers, chunks))
	if 2*size*k < parallelFlops {
		workers = 1
	}
	scratch := make([]*gradScratch, workers)
	sumChunks(dst, chunks, workers, func(out []float32, i, j int) {
		if scratch[j] == nil {
			scratch[j] = g.scratch()
		}
		g.chunk(out, scratch[j], i*chunkDepth, min((i+1)*chunkDepth, k))
	})
}

// gradTask is one KernelGrad product: its operands, and its passes and
// where each pass's sums go.
type gradTask struct {
	s      KernelGradShape
	x, dy  []float32
	kern   *stencilKernels
	mode   gradMode
	passes []gradPass
	// where[p] are the elements of the result pass p sums: lane l of
	// the partial sums' total, or lane l of tap t's chain at 8·t+l
	where [][]int
}

// gradMode is which kernel a product runs.
type gradMode int

const (
	phasesOverIn gradMode = iota // one output channel: the matrix-vector kernel's partial sums, lanes over input channels
	tapsOverIn                   // lanes over input channels, one chain per tap
	tapsOverOut                  // lanes over output channels, one chain per tap
)

// newGradTask lays out the passes of s: for each pass its offsets from a
// segment's start and, for each of its sums (tap, lane), the element of the
// result it is.
func newGradTask(s KernelGradShape, x, dy []float32, kern *stencilKernels) gradTask {
	g := gradTask{s: s, x: x, dy: dy, kern: kern}
	rowX := s.InW * s.Batch * s.InC // one padded input row
	tapX := s.Batch * s.InC         // one kernel column
	elem := func(ky, kx, c, o int) int { return ((ky*s.KW+kx)*s.InC+c)*s.OutC + o }
	add := func(xOff, yOff int, where []int) {
		g.passes = append(g.passes, gradPass{x: 4 * xOff, y: 4 * yOff})
		g.where = append(g.where, where)
	}
	switch {
	case s.OutC == 1:
		g.mode = phasesOverIn
		for c0 := 0; c0 < s.InC; c0 += 8 {
			for ky := range s.KH {
				for kx := range s.KW {
					w := make([]int, 8)
					for l := range w {
						w[l] = elem(ky, kx, c0+l, 0)
					}
					add(ky*rowX+kx*tapX+c0, 0, w)
				}
			}
		}
	case s.InC%8 == 0:
		g.mode = tapsOverIn
		for o := range s.OutC {
			for c0 := 0; c0 < s.InC; c0 += 8 {
				for ky := range s.KH {
					w := make([]int, 40)
					for kx := range 5 {
						for l := range 8 {
							w[kx*8+l] = elem(ky, kx, c0+l, o)
						}
					}
					add(ky*rowX+c0, o, w)
				}
			}
		}
	default:
		g.mode = tapsOverOut
		for o0 := 0; o0 < s.OutC; o0 += 8 {
			for c := range s.InC {
				for ky := range s.KH {
					w := make([]int, 40)
					for kx := range 5 {
						for l := range 8 {
							w[kx*8+l] = elem(ky, kx, c, o0+l)
						}
					}
					add(ky*rowX+c, o0, w)
				}
			}
		}
	}
	return g
}

// segment is a run of n contraction indices within one output row y,
// from pixel x, image b0 on.
type segment struct{ y, x, b0, n int }

// gradScratch is one worker's memory for blocks.
type gradScratch struct {
	blk    []float32
	segs   []segment
	taps   [][5][8]float32
	phases [][8][8]float32
	sums   [][8]float32
}

func (g gradTask) scratch() *gradScratch {
	sc := &gradScratch{blk: make([]float32, g.s.KH*g.s.KW*g.s.InC*g.s.OutC), segs: make([]segment, 0, kc)}
	if g.mode == phasesOverIn {
		sc.phases, sc.sums = make([][8][8]float32, len(g.passes)), make([][8]float32, len(g.passes))
	} else {
		sc.taps = make([][5][8]float32, len(g.passes))
	}
	return sc
}

// chunk sets out to the sum over contraction indices [k0, k1) as Mul sums
// one chunk: each block of kc from zero, the blocks added in order.
func (g gradTask) chunk(out []float32, sc *gradScratch, k0, k1 int) {
	for kb := k0; kb < k1; kb += kc {
		sc.segs = g.segments(sc.segs[:0], kb, min(kb+kc, k1))
		dst := out
		if kb > k0 {
			dst = sc.blk
		}
		g.block(dst, sc)
		if kb > k0 {
			for i, v := range sc.blk {
				out[i] += v
			}
		}
	}
}

// segments appends the runs within one output row that make up
// contraction indices [k0, k1): along a row, x and dy advance by one
// image's channels per index.
func (g gradTask) segments(segs []segment, k0, k1 int) []segment {
	row := g.s.OutW * g.s.Batch
	for k := k0; k < k1; {
		y, rem := k/row, k%row
		n := min(row-rem, k1-k)
		segs = append(segs, segment{y: y, x: rem / g.s.Batch, b0: rem % g.s.Batch, n: n})
		k += n
	}
	return segs
}

// block sets dst to one block's sums: every element's chain from zero over
// the block's contraction indices (sc.segs), in order.
func (g gradTask) block(dst []float32, sc *gradScratch) {
	s := g.s
	clear(sc.taps)
	clear(sc.phases)
	for _, sg := range sc.segs {
		x := g.x[((sg.y*s.InW+sg.x)*s.Batch+sg.b0)*s.InC:]
		y := g.dy[((sg.y*s.OutW+sg.x)*s.Batch+sg.b0)*s.OutC:]
		switch g.mode {
		case phasesOverIn:
			if sg.n%8 != 0 { // KernelGradOK's Batch % 8 = 0 rules it out
				panic("gemm: a segment of the matrix-vector kernel's partial sums not a multiple of 8")
			}
			g.kern.phasesVecX(sg.n/8, x, s.InC, y, 1, g.passes, sc.phases)
		case tapsOverIn:
			g.kern.tapsVecX(sg.n, x, s.InC, s.Batch*s.InC, y, s.OutC, g.passes, sc.taps)
		default:
			g.kern.tapsVecY(sg.n, x, s.InC, s.Batch*s.InC, y, s.OutC, g.passes, sc.taps)
		}
	}
	if g.mode == phasesOverIn {
		g.kern.sumPhases(sc.phases, sc.sums)
		for p, w := range g.where {
			for l, e := range w {
				dst[e] = sc.sums[p][l]
			}
		}
		return
	}
	for p, w := range g.where {
		for i, e := range w {
			dst[e] = sc.taps[p][i/8][i%8]
		}
	}
}
