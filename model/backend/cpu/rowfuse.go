package cpu

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/ncae-repro/ncae/model/backend/cpu/vec"
)

// Row broadcasts. The networks' batch norm broadcasts a per-channel row v
// [1, C] to [N, C] as a matrix product with a column of ones (written so
// for SimpleGo, which has no fast implicit broadcasting), then subtracts,
// divides and multiplies with [N, C] operands — N up to 100,352 — and so
// do its gradients. Such a repeated matrix R = ones·v holds, in every row,
// fma(1, v[j], +0) = v[j] + 0 (the outer product's arithmetic for every
// kernel). Compile rewrites the graph so R is never written out:
//
//   - R itself becomes its row, v + 0, a [1, C] node, and so do its
//     identities (GoMLX wraps products with custom gradients in them);
//   - an elementwise op whose operands are all such repeated rows (or
//     scalars) is computed on the rows alone, and is a repeated row too;
//   - an elementwise op of a full [N, C] operand and a repeated row becomes
//     one opRowBinary pass that reads the row from cache;
//   - any other reader of a repeated row (or an output) gets it written out
//     by opRepeatRow, under the original node's id.
//
// Every element is the same operation on the same values as before, so the
// results are bit for bit the graph's (TestRowFusionBitIdentical).

// The operations of this backend's own that the rewrite introduces.
const (
	// opRowBinary: out[i, j] = x[i, j] op row[j] (or row[j] op x[i, j]);
	// inputs x [N, C] and row [1, C]; attribute rowBinaryAttr.
	opRowBinary = backends.OpTypeLast + 2
	// opRepeatRow: out [N, C] = the row [1, C] in every row.
	opRepeatRow = backends.OpTypeLast + 3
)

// rowBinaryAttr is opRowBinary's attribute: the binary op, and whether the
// row is its left operand.
type rowBinaryAttr struct {
	op      backends.OpType
	rowLeft bool
}

// rowOps are the elementwise operations the rewrite computes on rows (or
// with a row operand): float32 arithmetic.
var rowOps = map[backends.OpType]bool{
	backends.OpTypeAdd: true, backends.OpTypeSub: true, backends.OpTypeMul: true, backends.OpTypeDiv: true,
	backends.OpTypeNeg: true, backends.OpTypeSqrt: true,
}

// isOnes reports whether n is a float32 constant of ones: a Constant all
// of whose elements are 1, or the broadcast, reshape or identity of one.
func isOnes(n *node) bool {
	for n.op == backends.OpTypeBroadcastInDim || n.op == backends.OpTypeReshape || n.op == backends.OpTypeIdentity {
		n = n.inputs[0]
	}
	if n.op != backends.OpTypeConstant {
		return false
	}
	f, ok := n.attr.(*Buffer).flat.([]float32)
	if !ok || len(f) == 0 {
		return false
	}
	for _, v := range f {
		if v != 1 {
			return false
		}
	}
	return true
}

// repeatedRow returns v if n is ones [N, 1] · v [1, C] — or onesᵀ · v,
// ones [1, N] contracted on its first axis, as the gradient of a column
// mean writes it — as a float32 DotGeneral with N > 1 and C ≥ 1: the
// matrix with v's values in every row.
func repeatedRow(n *node) (*node, bool) {
	if n.op != backends.OpTypeDotGeneral || n.shape.DType != dtypes.Float32 || n.shape.Rank() != 2 || n.shape.Dimensions[0] < 2 || n.shape.Dimensions[1] < 1 {
		return nil, false
	}
	a := n.attr.(dotAttr)
	l, r := n.inputs[0], n.inputs[1]
	if len(a.lhsBatch) != 0 || len(a.lhsContract) != 1 || a.rhsContract[0] != 0 || l.shape.Rank() != 2 ||
		r.shape.Rank() != 2 || r.shape.Dimensions[0] != 1 || !isOnes(l) {
		return nil, false
	}
	if lc := a.lhsContract[0]; l.shape.Dimensions[lc] != 1 || l.shape.Dimensions[1-lc] != n.shape.Dimensions[0] {
		return nil, false
	}
	return r, true
}

// fuseRowBroadcasts rewrites nodes (compiled order) as the comment above
// says, giving new nodes ids from nextID on; it returns the new order and
// the next free id. The builder's nodes are left as they are.
func fuseRowBroadcasts(nodes []*node, outputs []*node, nextID int) ([]*node, int) {
	newNode := func(op backends.OpType, shape shapes.Shape, attr any, inputs ...*node) *node {
		n := &node{id: nextID, op: op, shape: shape, inputs: inputs, attr: attr}
		nextID++
		return n
	}
	// rows[id] is the [1, C] row of a node that is a repeated row.
	rows := map[int]*node{}
	full := map[int]bool{} // the repeated rows some reader needs written out
	for _, o := range outputs {
		full[o.id] = true
	}
	var zero *node // the scalar +0 that turns v into v + 0
	var out []*node
	for _, n := range nodes {
		if v, ok := repeatedRow(n); ok {
			if zero == nil {
				zero = newNode(backends.OpTypeConstant, shapes.Make(dtypes.Float32), &Buffer{shape: shapes.Make(dtypes.Float32), flat: []float32{0}, valid: true})
				out = append(out, zero)
			}
			row := newNode(backends.OpTypeAdd, v.shape, nil, v, zero)
			rows[n.id] = row
			out = append(out, row)
			out = append(out, n) // kept for now: dropped below unless written out
			continue
		}
		if (n.op == backends.OpTypeIdentity || n.op == backends.OpTypeReshape) && rows[n.inputs[0].id] != nil && n.shape.Equal(n.inputs[0].shape) {
			rows[n.id] = rows[n.inputs[0].id] // an alias (GoMLX's custom gradients wrap products in Identity)
			out = append(out, n)
			continue
		}
		lazy, others := 0, 0 // operands that are repeated rows, and full ones (scalars are neither)
		for _, in := range n.inputs {
			switch {
			case rows[in.id] != nil && in.shape.Equal(n.shape):
				lazy++
			case in.shape.Size() == 1:
			default:
				others++
			}
		}
		switch {
		case lazy > 0 && others == 0 && rowOps[n.op] && n.shape.DType == dtypes.Float32:
			// all operands rows or scalars: computed on the rows
			ins := make([]*node, len(n.inputs))
			var rowShape shapes.Shape
			for i, in := range n.inputs {
				ins[i] = in
				if r := rows[in.id]; r != nil {
					ins[i], rowShape = r, r.shape
				}
			}
			row := newNode(n.op, rowShape, n.attr, ins...)
			rows[n.id] = row
			out = append(out, row, n)
			continue
		case lazy == 1 && others == 1 && len(n.inputs) == 2 && rowOps[n.op] && n.shape.DType == dtypes.Float32 && n.inputs[0].shape.Equal(n.inputs[1].shape):
			rowLeft := rows[n.inputs[0].id] != nil
			x, r := n.inputs[1], rows[n.inputs[0].id]
			if !rowLeft {
				x, r = n.inputs[0], rows[n.inputs[1].id]
			}
			out = append(out, &node{id: n.id, op: opRowBinary, shape: n.shape, inputs: []*node{x, r}, attr: rowBinaryAttr{n.op, rowLeft}, builder: n.builder})
			continue
		}
		for _, in := range n.inputs { // any other reader needs the matrix
			if rows[in.id] != nil {
				full[in.id] = true
			}
		}
		out = append(out, n)
	}
	// The repeated rows: written out where read as matrices, else dropped.
	kept := out[:0]
	for _, n := range out {
		if r := rows[n.id]; r != nil && n.id != r.id {
			if !full[n.id] {
				continue
			}
			n = &node{id: n.id, op: opRepeatRow, shape: n.shape, inputs: []*node{r}, builder: n.builder}
		}
		kept = append(kept, n)
	}
	clear(out[len(kept):])
	return dropUnread(kept, outputs), nextID
}

// dropUnread removes the nodes nothing reads (but parameters and outputs),
// which the rewrites leave behind: the ones the repeated rows were built
// from.
func dropUnread(nodes, outputs []*node) []*node {
	read := map[int]bool{}
	for _, o := range outputs {
		read[o.id] = true
	}
	keep := make([]bool, len(nodes))
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		if read[n.id] || n.op == backends.OpTypeParameter {
			keep[i] = true
			for _, in := range n.inputs {
				read[in.id] = true
			}
		}
	}
	kept := nodes[:0]
	for i, n := range nodes {
		if keep[i] {
			kept = append(kept, n)
		}
	}
	return kept
}

// rowBlock is the length of the repeated-row pattern opRowBinary reads
// beside x: whole rows, about 4 KiB.
const rowBlock = 1024

// execRowBinary computes an opRowBinary node with package vec's kernels:
// x is taken in blocks of whole rows, each against the row repeated to
// the block's length — the operands the materialised form gave, element
// for element.
func execRowBinary(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	attr := n.attr.(rowBinaryAttr)
	op, ok := vecOp(attr.op)
	if !ok {
		return fmt.Errorf("row broadcast of %s: not an arithmetic operation", attr.op)
	}
	x, row, o := in[0].flat.([]float32), in[1].flat.([]float32), out.flat.([]float32)
	c := len(row)
	perBlock := max(1, rowBlock/c)
	pattern := make([]float32, perBlock*c)
	for i := 0; i < len(pattern); i += c {
		copy(pattern[i:], row)
	}
	rowsN := len(o) / c
	b.parallel(rowsN, max(1, elementwiseChunk/c), func(lo, hi int) {
		for r := lo; r < hi; r += perBlock {
			s, e := r*c, min(r+perBlock, hi)*c
			p := pattern[:e-s]
			if attr.rowLeft {
				vec.Vectors(op, o[s:e], p, x[s:e])
			} else {
				vec.Vectors(op, o[s:e], x[s:e], p)
			}
		}
	})
	return nil
}

// execRepeatRow writes the row [1, C] into every row of out [N, C].
func execRepeatRow(_ *Backend, _ *node, in []*Buffer, out *Buffer) error {
	row, o := in[0].flat.([]float32), out.flat.([]float32)
	if len(o) == 0 {
		return nil
	}
	n := copy(o, row)
	for n < len(o) { // doubling copies
		n += copy(o[n:], o[:n])
	}
	return nil
}
