package backend

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/ncae-repro/ncae/model/backend/internal/convopts"
)

// Compat wraps GoMLX's pure-Go backend (v0.26.0) so that the gradients the
// NCAE networks need can be built on it, using only its public interfaces:
//
//   - Pad, which the gradient of Slice emits, is built from Concatenate and
//     a broadcast fill value (start/end padding; interior padding only for
//     the strided slices we never take is rejected).
//   - Reverse, which the gradient of a convolution w.r.t. its input emits,
//     is built from unit Slices concatenated in reverse order.
//   - ConvGeneral gets unit strides and dilations where the caller passed
//     none (the convolution gradient does), which SimpleGo rejects as 0.
//
// Every other operation goes to the wrapped backend unchanged.
func Compat(b backends.Backend) backends.Backend {
	return compatBackend{b}
}

type compatBackend struct {
	backends.Backend
}

func (b compatBackend) Builder(name string) backends.Builder {
	return compatBuilder{b.Backend.Builder(name)}
}

func (b compatBackend) Capabilities() backends.Capabilities {
	c := b.Backend.Capabilities().Clone()
	c.Operations[backends.OpTypePad] = true
	c.Operations[backends.OpTypeReverse] = true
	return c
}

type compatBuilder struct {
	backends.Builder
}

// Pad implements start/end padding with fillValue by concatenation.
func (b compatBuilder) Pad(x, fillValue backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	if len(axesConfig) > shape.Rank() {
		return nil, fmt.Errorf("compat Pad: %d axes configured for a rank-%d operand", len(axesConfig), shape.Rank())
	}
	shape = shape.Clone() // OpShape's dimensions belong to the builder

	out := x
	for axis, pad := range axesConfig {
		if pad.Interior != 0 || pad.Start < 0 || pad.End < 0 {
			return nil, fmt.Errorf("compat Pad: axis %d: only non-negative start/end padding is implemented, got %+v", axis, pad)
		}
		if pad.Start == 0 && pad.End == 0 {
			continue
		}
		parts := make([]backends.Op, 0, 3)
		if pad.Start > 0 {
			fill, err := b.fill(fillValue, shape, axis, pad.Start)
			if err != nil {
				return nil, err
			}
			parts = append(parts, fill)
		}
		parts = append(parts, out)
		if pad.End > 0 {
			fill, err := b.fill(fillValue, shape, axis, pad.End)
			if err != nil {
				return nil, err
			}
			parts = append(parts, fill)
		}
		if out, err = b.Concatenate(axis, parts...); err != nil {
			return nil, err
		}
		shape.Dimensions[axis] += pad.Start + pad.End
	}
	return out, nil
}

// fill broadcasts the scalar fillValue to shape with axis resized to n.
func (b compatBuilder) fill(fillValue backends.Op, shape shapes.Shape, axis, n int) (backends.Op, error) {
	dims := slices.Clone(shape.Dimensions)
	dims[axis] = n
	return b.BroadcastInDim(fillValue, shapes.Make(shape.DType, dims...), nil)
}

// Reverse reverses x along axes, one unit slice at a time; the reversed axes
// are convolution kernels' spatial axes (size 5 here), so this stays small.
func (b compatBuilder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	out := x
	for _, axis := range axes {
		shape, err := b.OpShape(out)
		if err != nil {
			return nil, err
		}
		n := shape.Dimensions[axis]
		if n <= 1 {
			continue
		}
		starts := make([]int, shape.Rank())
		limits := slices.Clone(shape.Dimensions)
		strides := make([]int, shape.Rank())
		for i := range strides {
			strides[i] = 1
		}
		parts := make([]backends.Op, n)
		for i := range n {
			starts[axis], limits[axis] = i, i+1
			// The builder keeps the slices it is given: pass copies.
			if parts[n-1-i], err = b.Slice(out, slices.Clone(starts), slices.Clone(limits), slices.Clone(strides)); err != nil {
				return nil, err
			}
		}
		if out, err = b.Concatenate(axis, parts...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ConvGeneral fills in unit strides and dilations left nil by GoMLX's
// convolution gradient.
func (b compatBuilder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (backends.Op, error) {
	shape, err := b.OpShape(input)
	if err != nil {
		return nil, err
	}
	spatial := shape.Rank() - 2
	strides = convopts.Units(strides, spatial)
	inputDilations = convopts.Units(inputDilations, spatial)
	kernelDilations = convopts.Units(kernelDilations, spatial)
	return b.Builder.ConvGeneral(input, kernel, axes, strides, paddings, inputDilations, kernelDilations,
		channelGroupCount, batchGroupCount)
}
