package cpu

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/ncae-repro/ncae/model/backend/cpu/vec"
)

// opCompareMask is an operation of this backend's own, never built by
// GoMLX: a float32 comparison converted to a float32 mask of 1 and 0 in
// one pass (attribute: the comparison's OpType). Compile puts it in place
// of the pair ConvertDType(compare(a, b)) — the masks of LeakyReLU and
// max-pooling, written so for SimpleGo — which took two passes, one of them
// a branchy loop per element, and a boolean array between them.
const opCompareMask = backends.OpTypeLast + 1

// maskPred returns the comparison op as vec computes it, and whether op
// is one.
func maskPred(op backends.OpType) (vec.Pred, bool) {
	switch op {
	case backends.OpTypeEqual:
		return vec.Equal, true
	case backends.OpTypeNotEqual:
		return vec.NotEqual, true
	case backends.OpTypeLessThan:
		return vec.Less, true
	case backends.OpTypeLessOrEqual:
		return vec.LessOrEqual, true
	case backends.OpTypeGreaterThan:
		return vec.Greater, true
	case backends.OpTypeGreaterOrEqual:
		return vec.GreaterOrEqual, true
	}
	return 0, false
}

// fuseCompareMasks replaces, in the compiled order nodes, each conversion
// to float32 of a float32 comparison that nothing else reads (and that is
// not an output) by one opCompareMask node with the conversion's id, and
// drops the comparison; it returns the new order. The builder's nodes are
// left as they are.
func fuseCompareMasks(nodes []*node, outputs []*node) []*node {
	uses := map[int]int{}
	for _, n := range nodes {
		for _, in := range n.inputs {
			uses[in.id]++
		}
	}
	for _, o := range outputs {
		uses[o.id]++
	}
	dropped := map[int]bool{}
	for i, n := range nodes {
		if n.op != backends.OpTypeConvertDType || n.shape.DType != dtypes.Float32 {
			continue
		}
		c := n.inputs[0]
		if _, ok := maskPred(c.op); !ok || uses[c.id] != 1 || c.inputs[0].shape.DType != dtypes.Float32 {
			continue
		}
		nodes[i] = &node{id: n.id, op: opCompareMask, shape: n.shape, inputs: c.inputs, attr: c.op, builder: n.builder}
		dropped[c.id] = true
	}
	kept := nodes[:0]
	for _, n := range nodes {
		if !dropped[n.id] {
			kept = append(kept, n)
		}
	}
	clear(nodes[len(kept):])
	return kept
}

// execCompareMask computes an opCompareMask node: out = 1 where in[0]
// compares to in[1] as the attribute says, +0 elsewhere — the values the
// comparison and its conversion gave.
func execCompareMask(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	pred, ok := maskPred(n.attr.(backends.OpType))
	if !ok {
		return fmt.Errorf("mask of %s: not a comparison", n.attr)
	}
	a, ta := b.operand(in[0], out.shape)
	c, tc := b.operand(in[1], out.shape)
	o, af, cf := out.flat.([]float32), a.([]float32), c.([]float32)
	b.parallel(len(o), elementwiseChunk, func(lo, hi int) {
		switch {
		case len(cf) == 1:
			vec.MaskScalar(pred, o[lo:hi], part(af, lo, hi), cf[0])
		case len(af) == 1: // s pred x is x pred' s
			vec.MaskScalar(mirrored(pred), o[lo:hi], cf[lo:hi], af[0])
		default:
			vec.Mask(pred, o[lo:hi], af[lo:hi], cf[lo:hi])
		}
	})
	b.release(a, ta)
	b.release(c, tc)
	return nil
}

// mirrored is the comparison with its operands swapped: s < x is x > s.
func mirrored(p vec.Pred) vec.Pred {
	switch p {
	case vec.Less:
		return vec.Greater
	case vec.LessOrEqual:
		return vec.GreaterOrEqual
	case vec.Greater:
		return vec.Less
	case vec.GreaterOrEqual:
		return vec.LessOrEqual
	}
	return p
}
