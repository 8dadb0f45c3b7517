package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/ncae-repro/ncae/internal/gemm"
)

// group is a list of axes of an operand merged into one: its total size
// and, when the axes are laid out contiguously in that order, its stride.
type group struct {
	size, stride int
	ok           bool
}

func mergeAxes(dims, strides, axes []int) group {
	g := group{size: 1, ok: true}
	last := -1
	for _, a := range axes {
		if dims[a] == 1 {
			continue
		}
		if last >= 0 && strides[last] != strides[a]*dims[a] {
			g.ok = false
		}
		g.size *= dims[a]
		last = a
	}
	if last >= 0 {
		g.stride = strides[last]
	}
	return g
}

// operandView returns x as a batch of matrices [batch, rows, cols] whose
// axes are the given groups: strided over x itself when each group is
// contiguous, else over a transposed copy (temp, to be released).
func (b *Backend) operandView(x *Buffer, batch, rows, cols []int) (flat any, bStride int, m gemm.Matrix, sizes [3]int, temp bool) {
	dims := x.shape.Dimensions
	strides := rowStrides(dims)
	gb, gr, gc := mergeAxes(dims, strides, batch), mergeAxes(dims, strides, rows), mergeAxes(dims, strides, cols)
	sizes = [3]int{gb.size, gr.size, gc.size}
	if gb.ok && gr.ok && gc.ok {
		f32, _ := x.flat.([]float32)
		return x.flat, gb.stride, gemm.Matrix{Data: f32, RowStride: gr.stride, ColStride: gc.stride}, sizes, false
	}
	perm := append(append(append([]int{}, batch...), rows...), cols...)
	pdims := make([]int, len(perm))
	src := make([]int, len(perm))
	for i, p := range perm {
		pdims[i], src[i] = dims[p], strides[p]
	}
	t := b.newBuffer(shapes.Make(x.shape.DType, pdims...))
	b.copyStrided(t.flat, pdims, rowStrides(pdims), 0, x.flat, src, 0)
	f32, _ := t.flat.([]float32)
	return t.flat, gr.size * gc.size, gemm.Matrix{Data: f32, RowStride: gc.size, ColStride: 1}, sizes, true
}

func execDotGeneral(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	attr := n.attr.(dotAttr)
	lFree, _ := freeAxes(in[0].shape.Rank(), attr.lhsContract, attr.lhsBatch)
	rFree, _ := freeAxes(in[1].shape.Rank(), attr.rhsContract, attr.rhsBatch)
	lFlat, lbs, lm, lsz, lt := b.operandView(in[0], attr.lhsBatch, lFree, attr.lhsContract)
	defer b.release(lFlat, lt)
	rFlat, rbs, rm, rsz, rt := b.operandView(in[1], attr.rhsBatch, attr.rhsContract, rFree)
	defer b.release(rFlat, rt)
	batch, m, k, nn := lsz[0], lsz[1], lsz[2], rsz[2]
	if o, ok := out.flat.([]float32); ok {
		for bi := range batch {
			a, r := lm, rm
			a.Offset, r.Offset = bi*lbs, bi*rbs
			gemm.Mul(o[bi*m*nn:(bi+1)*m*nn], m, nn, k, a, r, b.gemmOpts)
		}
		return nil
	}
	switch o := out.flat.(type) {
	case []float64:
		naiveDot(o, lFlat.([]float64), rFlat.([]float64), batch, m, nn, k, lbs, lm, rbs, rm)
	case []int32:
		naiveDot(o, lFlat.([]int32), rFlat.([]int32), batch, m, nn, k, lbs, lm, rbs, rm)
	case []int64:
		naiveDot(o, lFlat.([]int64), rFlat.([]int64), batch, m, nn, k, lbs, lm, rbs, rm)
	default:
		return fmt.Errorf("DotGeneral of %s is not implemented", out.shape.DType)
	}
	return nil
}

// naiveDot is the product for the types without a fast kernel.
func naiveDot[T number](out, l, r []T, batch, m, n, k, lbs int, lm gemm.Matrix, rbs int, rm gemm.Matrix) {
	for bi := range batch {
		for i := range m {
			for j := range n {
				var s T
				for p := range k {
					s += l[bi*lbs+i*lm.RowStride+p*lm.ColStride] * r[bi*rbs+p*rm.RowStride+j*rm.ColStride]
				}
				out[(bi*m+i)*n+j] = s
			}
		}
	}
}

// patches is the implicit patch matrix of a 2-D convolution over a
// canonical input [batch, h, w, c]: row (b, oy, ox), column (ky, kx, ci).
type patches struct {
	x              []float32
	h, w, c        int
	oh, ow         int
	kh, kw         int
	sy, sx, py, px int
	dilated        bool
	kdy, kdx, kci  []int // per column: ky·dilation, kx·dilation, ci (dilated kernels only)
}

// PackRows implements gemm.RowPacker. Without kernel dilation, the columns
// (kx, ci) of one kernel row ky are contiguous in the NHWC input, so each
// row of the patch matrix is copied as at most kh contiguous runs.
func (p *patches) PackRows(dst []float32, i0, rows, k0, depth int) {
	if p.dilated {
		p.packDilated(dst, i0, rows, k0, depth)
		return
	}
	dst = dst[:depth*gemm.MR]
	clear(dst[rows*depth:])
	kwc := p.kw * p.c
	end := k0 + depth
	m := i0
	bi, rem := m/(p.oh*p.ow), m%(p.oh*p.ow)
	oy, ox := rem/p.ow, rem%p.ow
	for r := range rows {
		d := dst[r*depth : (r+1)*depth]
		iy0, ix0 := oy*p.sy-p.py, ox*p.sx-p.px
		base := bi * p.h * p.w * p.c
		kxLo, kxHi := max(0, -ix0), min(p.kw, p.w-ix0)
		if k0 == 0 && depth == p.kh*kwc && kxLo == 0 && kxHi == p.kw && iy0 >= 0 && iy0+p.kh <= p.h {
			// An interior pixel with the whole contraction in this block:
			// kh runs of kw·c floats, no padding, no bookkeeping.
			src := p.x[base+(iy0*p.w+ix0)*p.c:]
			rowStride := p.w * p.c
			for ky := range p.kh {
				copyRun(d[ky*kwc:(ky+1)*kwc], src[ky*rowStride:ky*rowStride+kwc])
			}
		} else {
			p.packEdge(d, base, iy0, ix0, kxLo, kxHi, k0, end)
		}
		// next output pixel, without divisions
		if ox++; ox == p.ow {
			ox = 0
			if oy++; oy == p.oh {
				oy = 0
				bi++
			}
		}
	}
}

// packEdge packs one row of the patch matrix, columns [k0, end), for a
// pixel whose window crosses the padding (or a partial contraction block).
func (p *patches) packEdge(d []float32, base, iy0, ix0, kxLo, kxHi, k0, end int) {
	kwc := p.kw * p.c
	filled := k0 // columns [k0, filled) of this row are written
	for ky := k0 / kwc; kxLo < kxHi && ky < p.kh && ky*kwc < end; ky++ {
		iy := iy0 + ky
		if uint(iy) >= uint(p.h) {
			continue
		}
		lo, hi := max(ky*kwc+kxLo*p.c, k0), min(ky*kwc+kxHi*p.c, end)
		if lo >= hi {
			continue
		}
		if lo > filled {
			clear(d[filled-k0 : lo-k0]) // padding before this run
		}
		off := base + (iy*p.w+ix0)*p.c + lo - ky*kwc
		copyRun(d[lo-k0:hi-k0], p.x[off:off+hi-lo])
		filled = hi
	}
	if filled < end {
		clear(d[filled-k0:])
	}
}

// copyRun copies src to dst: short runs (one input channel) by a loop,
// which beats copy's call, longer ones by copy.
func copyRun(dst, src []float32) {
	if len(src) > 16 {
		copy(dst, src)
		return
	}
	dst = dst[:len(src)]
	for j, v := range src {
		dst[j] = v
	}
}

// packDilated packs element by element, for dilated kernels.
func (p *patches) packDilated(dst []float32, i0, rows, k0, depth int) {
	var base, iy0, ix0 [gemm.MR]int
	for r := range rows {
		m := i0 + r
		bi, rem := m/(p.oh*p.ow), m%(p.oh*p.ow)
		oy, ox := rem/p.ow, rem%p.ow
		base[r] = bi * p.h * p.w * p.c
		iy0[r], ix0[r] = oy*p.sy-p.py, ox*p.sx-p.px
	}
	dst = dst[:depth*gemm.MR]
	clear(dst[rows*depth:])
	for r := range rows {
		d := dst[r*depth : (r+1)*depth]
		for k := range d {
			iy, ix := iy0[r]+p.kdy[k0+k], ix0[r]+p.kdx[k0+k]
			if uint(iy) < uint(p.h) && uint(ix) < uint(p.w) {
				d[k] = p.x[base[r]+(iy*p.w+ix)*p.c+p.kci[k0+k]]
			} else {
				d[k] = 0
			}
		}
	}
}

// canonical returns x with its axes in the order given (copying when that
// is not already its layout) and the permuted dims.
func (b *Backend) canonical(x *Buffer, order []int) (flat any, dims []int, temp bool) {
	dims = make([]int, len(order))
	strides := rowStrides(x.shape.Dimensions)
	src := make([]int, len(order))
	identity := true
	for i, a := range order {
		dims[i], src[i] = x.shape.Dimensions[a], strides[a]
		identity = identity && a == i
	}
	if identity {
		return x.flat, dims, false
	}
	t := b.newBuffer(shapes.Make(x.shape.DType, dims...))
	b.copyStrided(t.flat, dims, rowStrides(dims), 0, x.flat, src, 0)
	return t.flat, dims, true
}

// execConvGeneral computes a 2-D convolution as the product of the implicit
// patch matrix [batch·oh·ow, kh·kw·cin] with the kernel [kh·kw·cin, cout],
// after bringing input, kernel and output to the canonical layouts
// [b, h, w, c], [kh, kw, cin, cout] and [b, oh, ow, cout].
func execConvGeneral(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	attr := n.attr.(convAttr)
	if b.kernelGradient(attr, in, out) {
		return nil
	}
	ax := attr.axes
	xFlat, xd, xt := b.canonical(in[0], []int{ax.InputBatch, ax.InputSpatial[0], ax.InputSpatial[1], ax.InputChannels})
	defer b.release(xFlat, xt)
	kFlat, kd, kt := b.canonical(in[1], []int{ax.KernelSpatial[0], ax.KernelSpatial[1], ax.KernelInputChannels, ax.KernelOutputChannels})
	defer b.release(kFlat, kt)
	outOrder := []int{ax.OutputBatch, ax.OutputSpatial[0], ax.OutputSpatial[1], ax.OutputChannels}
	od := make([]int, 4)
	identity := true
	for i, a := range outOrder {
		od[i] = out.shape.Dimensions[a]
		identity = identity && a == i
	}
	kh, kw, cin, cout := kd[0], kd[1], kd[2], kd[3]
	p := &patches{x: xFlat.([]float32), h: xd[1], w: xd[2], c: xd[3], oh: od[1], ow: od[2], kh: kh, kw: kw,
		sy: attr.strides[0], sx: attr.strides[1], py: attr.paddings[0][0], px: attr.paddings[1][0],
		dilated: attr.kernelDilations[0] != 1 || attr.kernelDilations[1] != 1}
	depth := kh * kw * cin
	p.kdy, p.kdx, p.kci = make([]int, depth), make([]int, depth), make([]int, depth)
	for k := range depth {
		p.kdy[k] = k / (kw * cin) * attr.kernelDilations[0]
		p.kdx[k] = k / cin % kw * attr.kernelDilations[1]
		p.kci[k] = k % cin
	}
	var a gemm.RowPacker = p
	if padded := b.paddedInput(in[0], p, attr); padded != nil {
		defer b.pool.put(padded.shape.DType, padded.flat)
		a = p.inPlace(padded.flat.([]float32), padded.shape.Dimensions)
	}
	res := out.flat.([]float32)
	var tmp *Buffer
	if !identity {
		tmp = b.newBuffer(shapes.Make(out.shape.DType, od...))
		res = tmp.flat.([]float32)
	}
	gemm.Mul(res, od[0]*od[1]*od[2], cout, depth, a, gemm.Dense(kFlat.([]float32), cout), b.gemmOpts)
	if tmp != nil {
		outStrides := rowStrides(out.shape.Dimensions)
		dst := make([]int, 4)
		for i, a := range outOrder {
			dst[i] = outStrides[a]
		}
		b.copyStrided(out.flat, od, dst, 0, tmp.flat, rowStrides(od), 0)
		b.pool.put(tmp.shape.DType, tmp.flat)
	}
	return nil
}

// kernelGradient computes the convolution if it is the kernel gradient of
// a stride-1 NHWC convolution in the form GoMLX's autodiff writes it — the
// input's batch axis as channels and its channels as batch, the output
// gradient as kernel, the result [kh, kw, cin, cout] — and gemm.KernelGrad
// serves its shape. Both operands are brought to [h, w, batch, c] (the
// input padded), in which the contraction runs through memory in order,
// and the result is written where it lies, with the general path's
// arithmetic bit for bit. It reports whether it did.
func (b *Backend) kernelGradient(attr convAttr, in []*Buffer, out *Buffer) bool {
	ax := attr.axes
	form := ax.InputBatch == 3 && ax.InputChannels == 0 && slices.Equal(ax.InputSpatial, []int{1, 2}) &&
		ax.KernelInputChannels == 0 && ax.KernelOutputChannels == 3 && slices.Equal(ax.KernelSpatial, []int{1, 2}) &&
		ax.OutputBatch == 2 && ax.OutputChannels == 3 && slices.Equal(ax.OutputSpatial, []int{0, 1}) &&
		slices.Equal(attr.strides, []int{1, 1}) && slices.Equal(attr.kernelDilations, []int{1, 1})
	if !form {
		return false
	}
	xd, yd, od := in[0].shape.Dimensions, in[1].shape.Dimensions, out.shape.Dimensions
	s := gemm.KernelGradShape{Batch: xd[0], InH: od[0] + yd[1] - 1, InW: od[1] + yd[2] - 1, InC: xd[3],
		OutH: yd[1], OutW: yd[2], OutC: yd[3], KH: od[0], KW: od[1]}
	py, px := attr.paddings[0][0], attr.paddings[1][0]
	// Few channels only: with InC·OutC ≤ 32 (the networks' 8·1, 1·8, 8·4,
	// 4·8, 16·1, 1·16) the stencil runs 2–3× faster than the general
	// path; at 16·32 and 32·16 the product's 8×8 tiles are full and it is
	// 2–3× slower (BenchmarkKernelGradientOp).
	if s.InC*s.OutC > 32 || yd[0] != s.Batch || py < 0 || px < 0 || py+xd[1] > s.InH || px+xd[2] > s.InW || !gemm.KernelGradOK(s, b.gemmOpts) {
		return false
	}
	batchInside := []int{1, 2, 0, 3}
	xt, _, _ := b.canonical(in[0], batchInside)
	defer b.pool.put(dtypes.Float32, xt)
	// the padding around [h, w, batch·c]: a 1-image convolution's
	p := &patches{x: xt.([]float32), h: xd[1], w: xd[2], c: s.Batch * s.InC, oh: s.KH, ow: s.KW, kh: s.OutH, kw: s.OutW,
		sy: 1, sx: 1, py: py, px: px}
	padded := b.paddedInput(&Buffer{shape: shapes.Make(dtypes.Float32, 1, xd[1], xd[2], p.c), flat: xt, valid: true}, p, attr)
	if padded == nil {
		return false
	}
	defer b.pool.put(padded.shape.DType, padded.flat)
	dyt, _, _ := b.canonical(in[1], batchInside)
	defer b.pool.put(dtypes.Float32, dyt)
	gemm.KernelGrad(out.flat.([]float32), padded.flat.([]float32), dyt.([]float32), s, b.gemmOpts)
	return true
}

// paddedInput returns the convolution's input in canonical layout with its
// padding written out as zeros, [batch, oh+kh−1, ow+kw−1, c], for stride 1
// without dilation: every patch row is then interior, and every block of
// the patch matrix is read in place as runs of kw·c floats (one pass over
// the input buys kh·kw passes' worth of packing). Otherwise nil — also for
// an empty input — and the patches are packed from the input as it is.
func (b *Backend) paddedInput(x *Buffer, p *patches, attr convAttr) *Buffer {
	if p.dilated || p.sy != 1 || p.sx != 1 || attr.paddings[0][0] < 0 || attr.paddings[1][0] < 0 || p.h*p.w*p.c == 0 {
		return nil
	}
	hp, wp := p.oh+p.kh-1, p.ow+p.kw-1
	if p.py+p.h > hp || p.px+p.w > wp {
		return nil // input rows or columns the convolution never reads
	}
	batch := len(p.x) / (p.h * p.w * p.c)
	padded := b.newBuffer(shapes.Make(x.shape.DType, batch, hp, wp, p.c))
	flat := padded.flat.([]float32)
	// row by padded image row: zeros, or zeros around one input row
	rowLen, inLen, left := wp*p.c, p.w*p.c, p.px*p.c
	b.parallel(batch*hp, max(1, elementwiseChunk/rowLen), func(lo, hi int) {
		for row := lo; row < hi; row++ {
			dst := flat[row*rowLen : (row+1)*rowLen]
			bi, y := row/hp, row%hp-p.py
			if y < 0 || y >= p.h {
				clear(dst)
				continue
			}
			clear(dst[:left])
			copy(dst[left:left+inLen], p.x[(bi*p.h+y)*inLen:])
			clear(dst[left+inLen:])
		}
	})
	return padded
}

// inPlace returns the patch matrix of the same convolution over the padded
// input xp (dims [batch, hp, wp, c]), read in place.
func (p *patches) inPlace(xp []float32, dims []int) *inPlacePatches {
	q := *p
	q.x, q.h, q.w, q.py, q.px = xp, dims[1], dims[2], 0, 0
	return &inPlacePatches{patches: &q}
}

// inPlacePatches is the patch matrix over an explicitly padded input: row
// (b, oy, ox), column (ky, kx, ci) is xp[b, oy+ky, ox+kx, ci], so the
// columns (kx, ci) of one kernel row ky are kw·c contiguous floats, and the
// next kernel row's follow one padded image row (wp·c floats) later.
type inPlacePatches struct{ *patches }

// Data implements gemm.RowSource.
func (p *inPlacePatches) Data() []float32 { return p.x }

// Rows implements gemm.RowSource: every block is in place, as runs of kw·c
// floats (the rest of kernel row ky first), one image row apart.
func (p *inPlacePatches) Rows(offs *[gemm.MR]int, i0, rows, k0, depth int) (gemm.Runs, bool) {
	kwc := p.kw * p.c
	ky := k0 / kwc
	bi, rem := i0/(p.oh*p.ow), i0%(p.oh*p.ow)
	oy, ox := rem/p.ow, rem%p.ow
	for r := range rows {
		offs[r] = ((bi*p.h+oy+ky)*p.w+ox)*p.c + k0 - ky*kwc
		// next output pixel, without divisions
		if ox++; ox == p.ow {
			ox = 0
			if oy++; oy == p.oh {
				oy = 0
				bi++
			}
		}
	}
	for r := rows; r < gemm.MR; r++ {
		offs[r] = offs[rows-1]
	}
	return gemm.Runs{First: kwc - (k0 - ky*kwc), Len: kwc, Gap: p.w*p.c - kwc}, true
}
