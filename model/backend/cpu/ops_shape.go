package cpu

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// rowStrides returns the element strides of a row-major array of dims.
func rowStrides(dims []int) []int {
	s := make([]int, len(dims))
	acc := 1
	for a := len(dims) - 1; a >= 0; a-- {
		s[a] = acc
		acc *= dims[a]
	}
	return s
}

// stridedCopy copies the elements of an iteration space of dims: element
// (i₀, …) goes from src[srcOff + Σ iₐ·srcStrides[a]] to dst[dstOff + Σ
// iₐ·dstStrides[a]]. Strides may be zero (broadcast) or negative (reverse).
// dst and src are flat slices of the same element size.
func stridedCopy(dst any, dims, dstStrides []int, dstOff int, src any, srcStrides []int, srcOff int) {
	dims, dstStrides, srcStrides = simplify(dims, dstStrides, srcStrides)
	switch elemSize(dst) {
	case 1:
		stridedCopyT(raw[uint8](dst), dims, dstStrides, dstOff, raw[uint8](src), srcStrides, srcOff)
	case 4:
		stridedCopyT(raw[uint32](dst), dims, dstStrides, dstOff, raw[uint32](src), srcStrides, srcOff)
	default:
		stridedCopyT(raw[uint64](dst), dims, dstStrides, dstOff, raw[uint64](src), srcStrides, srcOff)
	}
}

// parallelCopy is the number of elements from which copyStrided splits a
// copy among the workers: below it a second goroutine costs more than it
// saves (-bench Transpose: 2 workers 15–20 % slower on 100k elements, 10–35 %
// faster on 0.8–1.6M).
const parallelCopy = 1 << 18

// copyStrided is stridedCopy with large copies split among the backend's
// workers along their outermost axis of more than one element: each part
// is a copy of its own, so the result is the same.
func (b *Backend) copyStrided(dst any, dims, dstStrides []int, dstOff int, src any, srcStrides []int, srcOff int) {
	total, axis := 1, -1
	for a, d := range dims {
		total *= d
		if axis < 0 && d > 1 {
			axis = a
		}
	}
	if b.workers <= 1 || total < parallelCopy || axis < 0 {
		stridedCopy(dst, dims, dstStrides, dstOff, src, srcStrides, srcOff)
		return
	}
	inner := total / dims[axis]
	b.parallel(dims[axis], max(1, parallelCopy/2/inner), func(lo, hi int) {
		part := slices.Clone(dims)
		part[axis] = hi - lo
		stridedCopy(dst, part, dstStrides, dstOff+lo*dstStrides[axis], src, srcStrides, srcOff+lo*srcStrides[axis])
	})
}

// simplify drops axes of size 1 and merges neighbouring axes that are
// contiguous in both source and destination.
func simplify(dims, ds, ss []int) ([]int, []int, []int) {
	var d2, ds2, ss2 []int
	for a, d := range dims {
		if d == 1 {
			continue
		}
		if k := len(d2) - 1; k >= 0 && ds2[k] == ds[a]*d && ss2[k] == ss[a]*d {
			d2[k] *= d
			ds2[k], ss2[k] = ds[a], ss[a]
			continue
		}
		d2, ds2, ss2 = append(d2, d), append(ds2, ds[a]), append(ss2, ss[a])
	}
	return d2, ds2, ss2
}

func stridedCopyT[T any](dst []T, dims, ds []int, doff int, src []T, ss []int, soff int) {
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	if len(dims) == 0 {
		dst[doff] = src[soff]
		return
	}
	if len(dims) == 1 {
		copyRunT(dst, doff, ds[0], src, soff, ss[0], dims[0])
		return
	}
	// The last two axes in a tight loop (a transpose's inner runs are often
	// short: a few channels), the others by an odometer.
	last := len(dims) - 1
	// A transpose proper — dst's last axis contiguous, src's contiguous
	// axis another — takes that axis as its rows and is copied in tiles
	// (tileCopy), so neither side strides through memory a float at a time.
	tiled := false
	if ds[last] == 1 && ss[last] != 1 && dims[last] >= tile {
		for a := range last {
			if ss[a] == 1 && dims[a] >= tile {
				dims = slices.Clone(dims)
				ds, ss = slices.Clone(ds), slices.Clone(ss)
				dims[a], dims[last-1] = dims[last-1], dims[a]
				ds[a], ds[last-1] = ds[last-1], ds[a]
				ss[a], ss[last-1] = ss[last-1], ss[a]
				tiled = true
				break
			}
		}
	}
	n, dsl, ssl := dims[last], ds[last], ss[last]
	rows, dsr, ssr := dims[last-1], ds[last-1], ss[last-1]
	outer := 1
	for _, d := range dims[:last-1] {
		outer *= d
	}
	idx := make([]int, last-1)
	for range outer {
		d, s := doff, soff
		switch {
		case tiled:
			tileCopy(dst, d, dsr, src, s, ssl, rows, n)
		case dsl == 1 && ssl == 1 && n == 8:
			for range rows {
				*(*[8]T)(dst[d : d+8]) = *(*[8]T)(src[s : s+8])
				d, s = d+dsr, s+ssr
			}
		case dsl == 1 && ssl == 1 && n == 4:
			for range rows {
				*(*[4]T)(dst[d : d+4]) = *(*[4]T)(src[s : s+4])
				d, s = d+dsr, s+ssr
			}
		case dsl == 1 && ssl == 1 && n == 16:
			for range rows {
				*(*[16]T)(dst[d : d+16]) = *(*[16]T)(src[s : s+16])
				d, s = d+dsr, s+ssr
			}
		case dsl == 1 && ssl == 1 && n%8 == 0 && n <= 64: // rows of a few channels
			for range rows {
				for j := 0; j < n; j += 8 {
					*(*[8]T)(dst[d+j : d+j+8]) = *(*[8]T)(src[s+j : s+j+8])
				}
				d, s = d+dsr, s+ssr
			}
		default:
			for range rows {
				copyRunT(dst, d, dsl, src, s, ssl, n)
				d, s = d+dsr, s+ssr
			}
		}
		for a := last - 2; a >= 0; a-- {
			idx[a]++
			doff += ds[a]
			soff += ss[a]
			if idx[a] < dims[a] {
				break
			}
			doff -= ds[a] * dims[a]
			soff -= ss[a] * dims[a]
			idx[a] = 0
		}
	}
}

// tile is the side of the square blocks tileCopy copies: 8 floats, half
// a cache line, of 8 rows on either side.
const tile = 8

// tileCopy sets dst[d + i·dsr + j] = src[s + i + j·ssl] for i < rows, j <
// n — a transpose, src contiguous along i and dst along j — in tile×tile
// blocks, each of whose source and destination lines stay in L1 while it
// is copied.
func tileCopy[T any](dst []T, d, dsr int, src []T, s, ssl, rows, n int) {
	for i0 := 0; i0 < rows; i0 += tile {
		ih := min(tile, rows-i0)
		for j0 := 0; j0 < n; j0 += tile {
			jh := min(tile, n-j0)
			for i := i0; i < i0+ih; i++ {
				out := dst[d+i*dsr+j0 : d+i*dsr+j0+jh]
				in := s + i + j0*ssl
				for j := range out {
					out[j] = src[in+j*ssl]
				}
			}
		}
	}
}

// copyRunT copies n elements from src (from soff, stride ssl) to dst (from
// doff, stride dsl).
func copyRunT[T any](dst []T, doff, dsl int, src []T, soff, ssl, n int) {
	switch {
	case dsl == 1 && ssl == 1 && n <= 16: // short runs: a loop beats copy's call
		d, s := dst[doff:doff+n], src[soff:soff+n]
		for i, v := range s {
			d[i] = v
		}
	case dsl == 1 && ssl == 1:
		copy(dst[doff:doff+n], src[soff:soff+n])
	case dsl == 1 && ssl == 0:
		v := src[soff]
		d := dst[doff : doff+n]
		for i := range d {
			d[i] = v
		}
	default:
		for i := range n {
			dst[doff+i*dsl] = src[soff+i*ssl]
		}
	}
}

func execTranspose(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	perm := n.attr.(axesAttr)
	inStrides := rowStrides(in[0].shape.Dimensions)
	src := make([]int, len(perm))
	for i, p := range perm {
		src[i] = inStrides[p]
	}
	b.copyStrided(out.flat, out.shape.Dimensions, rowStrides(out.shape.Dimensions), 0, in[0].flat, src, 0)
	return nil
}

func execBroadcastInDim(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	axes := n.attr.(axesAttr)
	inDims := in[0].shape.Dimensions
	inStrides := rowStrides(inDims)
	src := make([]int, out.shape.Rank())
	for i, a := range axes {
		if inDims[i] != 1 {
			src[a] = inStrides[i]
		}
	}
	b.copyStrided(out.flat, out.shape.Dimensions, rowStrides(out.shape.Dimensions), 0, in[0].flat, src, 0)
	return nil
}

func execSlice(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	s := n.attr.(sliceAttr)
	inStrides := rowStrides(in[0].shape.Dimensions)
	src := make([]int, len(inStrides))
	off := 0
	for a := range inStrides {
		off += s.starts[a] * inStrides[a]
		src[a] = inStrides[a] * s.strides[a]
	}
	b.copyStrided(out.flat, out.shape.Dimensions, rowStrides(out.shape.Dimensions), 0, in[0].flat, src, off)
	return nil
}

func execReverse(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	dims := in[0].shape.Dimensions
	src := rowStrides(dims)
	off := 0
	for _, a := range n.attr.(axesAttr) {
		off += (dims[a] - 1) * src[a]
		src[a] = -src[a]
	}
	b.copyStrided(out.flat, dims, rowStrides(dims), 0, in[0].flat, src, off)
	return nil
}

func execConcatenate(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	axis := int(n.attr.(axisAttr))
	outStrides := rowStrides(out.shape.Dimensions)
	off := 0
	for _, x := range in {
		b.copyStrided(out.flat, x.shape.Dimensions, outStrides, off, x.flat, rowStrides(x.shape.Dimensions), 0)
		off += x.shape.Dimensions[axis] * outStrides[axis]
	}
	return nil
}

func execPad(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	cfg := n.attr.(padAttr)
	if zeroBits(in[1].flat) { // the gradients of slices pad with +0: one memclr
		clearFlat(out.flat)
	} else {
		b.copyStrided(out.flat, []int{out.shape.Size()}, []int{1}, 0, in[1].flat, []int{0}, 0) // the fill value everywhere
	}
	outStrides := rowStrides(out.shape.Dimensions)
	dst := make([]int, len(outStrides))
	off := 0
	for a, p := range cfg {
		off += p.Start * outStrides[a]
		dst[a] = outStrides[a] * (p.Interior + 1)
	}
	b.copyStrided(out.flat, in[0].shape.Dimensions, dst, off, in[0].flat, rowStrides(in[0].shape.Dimensions), 0)
	return nil
}

// zeroBits reports whether the first element of flat is all zero bits (+0,
// false), so that writing it is clearing memory.
func zeroBits(flat any) bool {
	switch elemSize(flat) {
	case 1:
		return raw[uint8](flat)[0] == 0
	case 4:
		return raw[uint32](flat)[0] == 0
	default:
		return raw[uint64](flat)[0] == 0
	}
}

// clearFlat sets every element of flat to zero bits.
func clearFlat(flat any) {
	switch elemSize(flat) {
	case 1:
		clear(raw[uint8](flat))
	case 4:
		clear(raw[uint32](flat))
	default:
		clear(raw[uint64](flat))
	}
}

func execIota(_ *Backend, n *node, _ []*Buffer, out *Buffer) error {
	axis := int(n.attr.(axisAttr))
	outer, dim, inner := split3(out.shape.Dimensions, axis, axis+1)
	switch o := out.flat.(type) {
	case []float32:
		iota(o, outer, dim, inner)
	case []float64:
		iota(o, outer, dim, inner)
	case []int32:
		iota(o, outer, dim, inner)
	case []int64:
		iota(o, outer, dim, inner)
	case []uint8:
		iota(o, outer, dim, inner)
	}
	return nil
}

func iota[T number](out []T, outer, dim, inner int) {
	i := 0
	for range outer {
		for j := range dim {
			for range inner {
				out[i] = T(j)
				i++
			}
		}
	}
}

// split3 returns the sizes of axes [0, a), [a, b) and [b, rank).
func split3(dims []int, a, b int) (outer, mid, inner int) {
	outer, mid, inner = 1, 1, 1
	for i, d := range dims {
		switch {
		case i < a:
			outer *= d
		case i < b:
			mid *= d
		default:
			inner *= d
		}
	}
	return
}

// reduceLayout returns x as [outer, r, inner] with the reduced axes in the
// middle, transposing (into a pooled buffer, temp) when they are not
// contiguous.
func (b *Backend) reduceLayout(x *Buffer, axes []int) (flat any, outer, r, inner int, temp bool) {
	contiguous := axes[len(axes)-1]-axes[0] == len(axes)-1
	if contiguous {
		outer, r, inner = split3(x.shape.Dimensions, axes[0], axes[len(axes)-1]+1)
		return x.flat, outer, r, inner, false
	}
	var perm []int
	for a := range x.shape.Rank() {
		if !slices.Contains(axes, a) {
			perm = append(perm, a)
		}
	}
	perm = append(perm, axes...)
	dims := make([]int, len(perm))
	inStrides := rowStrides(x.shape.Dimensions)
	src := make([]int, len(perm))
	for i, p := range perm {
		dims[i], src[i] = x.shape.Dimensions[p], inStrides[p]
	}
	t := b.newBuffer(shapes.Make(x.shape.DType, dims...))
	b.copyStrided(t.flat, dims, rowStrides(dims), 0, x.flat, src, 0)
	outer, r, inner = split3(dims, len(perm)-len(axes), len(perm))
	return t.flat, outer, r, inner, true
}

func execReduce(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	flat, outer, r, inner, temp := b.reduceLayout(in[0], n.attr.(axesAttr))
	defer b.release(flat, temp)
	var err error
	parts := outer
	b.parallel(parts, max(1, elementwiseChunk/max(r*inner, 1)), func(lo, hi int) {
		var e error
		switch x := flat.(type) {
		case []float32:
			e = reduce(n.op, out.flat.([]float32), x, lo, hi, r, inner)
		case []float64:
			e = reduce(n.op, out.flat.([]float64), x, lo, hi, r, inner)
		case []int32:
			e = reduce(n.op, out.flat.([]int32), x, lo, hi, r, inner)
		case []int64:
			e = reduce(n.op, out.flat.([]int64), x, lo, hi, r, inner)
		case []uint8:
			e = reduce(n.op, out.flat.([]uint8), x, lo, hi, r, inner)
		default:
			e = fmt.Errorf("%s of %T", n.op, flat)
		}
		if e != nil && lo == 0 {
			err = e
		}
	})
	return err
}

// reduce reduces x [outer, r, inner] over its middle axis for outer
// indices [lo, hi). Sums and products accumulate in float64.
func reduce[T number](op backends.OpType, out, x []T, lo, hi, r, inner int) error {
	for o := lo; o < hi; o++ {
		dst := out[o*inner : (o+1)*inner]
		block := x[o*r*inner : (o+1)*r*inner]
		switch op {
		case backends.OpTypeReduceSum, backends.OpTypeReduceProduct:
			prod := op == backends.OpTypeReduceProduct
			if inner == 1 {
				acc := 0.0
				if prod {
					acc = 1
				}
				for _, v := range block {
					if prod {
						acc *= float64(v)
					} else {
						acc += float64(v)
					}
				}
				dst[0] = T(acc)
				continue
			}
			acc := make([]float64, inner)
			for i := range acc {
				if prod {
					acc[i] = 1
				}
			}
			for j := range r {
				row := block[j*inner : (j+1)*inner]
				for i, v := range row {
					if prod {
						acc[i] *= float64(v)
					} else {
						acc[i] += float64(v)
					}
				}
			}
			for i, v := range acc {
				dst[i] = T(v)
			}
		case backends.OpTypeReduceMax, backends.OpTypeReduceMin:
			isMax := op == backends.OpTypeReduceMax
			if r == 0 {
				for i := range dst {
					dst[i] = identityOf[T](isMax)
				}
				continue
			}
			copy(dst, block[:inner])
			for j := 1; j < r; j++ {
				row := block[j*inner : (j+1)*inner]
				for i, v := range row {
					d := dst[i]
					if d != d {
						continue
					}
					if v != v || (isMax && v > d) || (!isMax && v < d) {
						dst[i] = v
					}
				}
			}
		default:
			return fmt.Errorf("%s is not a reduction", op)
		}
	}
	return nil
}

// identityOf returns the lowest (for max) or highest (for min) value of T.
func identityOf[T number](isMax bool) T {
	var z T
	switch any(z).(type) {
	case float32, float64:
		if isMax {
			return T(math.Inf(-1))
		}
		return T(math.Inf(1))
	case int32:
		v := int32(math.MaxInt32)
		if isMax {
			v = math.MinInt32
		}
		return T(v)
	case int64:
		v := int64(math.MaxInt64)
		if isMax {
			v = math.MinInt64
		}
		return T(v)
	}
	if isMax {
		return 0
	}
	return T(255)
}

func execArgMinMax(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	attr := n.attr.(argMinMaxAttr)
	outer, r, inner := split3(in[0].shape.Dimensions, attr.axis, attr.axis+1)
	idx := make([]int, outer*inner)
	switch x := in[0].flat.(type) {
	case []float32:
		argMinMax(idx, x, outer, r, inner, attr.isMin)
	case []float64:
		argMinMax(idx, x, outer, r, inner, attr.isMin)
	case []int32:
		argMinMax(idx, x, outer, r, inner, attr.isMin)
	case []int64:
		argMinMax(idx, x, outer, r, inner, attr.isMin)
	case []uint8:
		argMinMax(idx, x, outer, r, inner, attr.isMin)
	default:
		return fmt.Errorf("ArgMinMax of %s", in[0].shape.DType)
	}
	switch o := out.flat.(type) {
	case []int32:
		for i, v := range idx {
			o[i] = int32(v)
		}
	case []int64:
		for i, v := range idx {
			o[i] = int64(v)
		}
	case []uint8:
		for i, v := range idx {
			o[i] = uint8(v)
		}
	default:
		return fmt.Errorf("ArgMinMax into %s", out.shape.DType)
	}
	return nil
}

// argMinMax finds, for each (outer, inner) position, the first index along
// the middle axis of the smallest or largest value; a NaN wins.
func argMinMax[T number](idx []int, x []T, outer, r, inner int, isMin bool) {
	for o := range outer {
		for i := range inner {
			best, bi := x[o*r*inner+i], 0
			for j := 1; j < r && best == best; j++ {
				v := x[(o*r+j)*inner+i]
				if v != v || (isMin && v < best) || (!isMin && v > best) {
					best, bi = v, j
				}
			}
			idx[o*inner+i] = bi
		}
	}
}
