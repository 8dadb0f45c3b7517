package cpu

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Fusion of elementwise chains. A chain such as LeakyReLU's mask
// (compare → convert → × slope' → + slope) or batch norm's (x − μ) / σ
// would otherwise write and read back one activation-sized buffer per
// operation. The compiler groups an elementwise node with the elementwise
// nodes that feed only it, and the executor runs the group chunk by chunk:
// every member computes fuseChunk elements into a small scratch buffer
// that stays in the L1 cache, and only the last member writes the output.
// Each member runs its own executor on its chunk, so every element is the
// same arithmetic as without fusion, bit for bit (TestFusionBitIdentical).

// fuseChunk is the number of elements a group computes at a time.
const fuseChunk = 8192

// minFuse is the size below which a chain is not fused: the per-chunk
// bookkeeping would cost more than the memory it saves.
const minFuse = 4 * fuseChunk

// fusible reports whether n can be a member of a group: an elementwise
// operation on float32 or bool values whose every input is either the
// size of its output or a single element.
func fusible(n *node) bool {
	if !fusibleOp[n.op] || n.shape.Size() < minFuse {
		return false
	}
	if dt := n.shape.DType; dt != dtypes.Float32 && dt != dtypes.Bool {
		return false
	}
	for _, x := range n.inputs {
		if dt := x.shape.DType; dt != dtypes.Float32 && dt != dtypes.Bool {
			return false
		}
		if s := x.shape.Size(); s != n.shape.Size() && s != 1 {
			return false
		}
	}
	return true
}

// fusibleOp lists the operations whose executors compute element i from
// element i of their inputs (or their single element) and nothing else.
var fusibleOp = func() map[backends.OpType]bool {
	m := map[backends.OpType]bool{}
	for _, op := range unaryOps {
		m[op] = true
	}
	for _, op := range binaryOps {
		m[op] = true
	}
	for _, op := range []backends.OpType{backends.OpTypeEqual, backends.OpTypeNotEqual, backends.OpTypeLessThan,
		backends.OpTypeLessOrEqual, backends.OpTypeGreaterThan, backends.OpTypeGreaterOrEqual, backends.OpTypeConvertDType} {
		m[op] = true
	}
	return m
}()

// fuse finds the groups among nodes (reachable, in topological order):
// it returns, for each group's last member (its root), the members in
// order, root last; and for every other member, its root's id in into
// (−1 for nodes in no group). A node joins the group of the node it feeds
// when both are fusible and it feeds nothing else and is not an output.
func fuse(nodes, outputs []*node, numIDs int) (groups map[int][]*node, into []int) {
	uses := make([]int, numIDs)
	for _, n := range nodes {
		for _, x := range n.inputs {
			uses[x.id]++
		}
	}
	for _, o := range outputs {
		uses[o.id] += 2 // never folded into a consumer
	}
	into = make([]int, numIDs)
	for i := range into {
		into[i] = -1
	}
	groups = map[int][]*node{}
	for _, n := range nodes {
		if !fusible(n) {
			continue
		}
		var members []*node
		for _, x := range n.inputs {
			if uses[x.id] != 1 || !fusible(x) || into[x.id] >= 0 {
				continue
			}
			if g, ok := groups[x.id]; ok {
				members = append(members, g...)
				delete(groups, x.id)
			} else {
				members = append(members, x)
			}
		}
		if len(members) == 0 {
			continue
		}
		members = append(members, n)
		for _, m := range members[:len(members)-1] {
			into[m.id] = n.id
		}
		groups[n.id] = members
	}
	return groups, into
}

// leaves returns the nodes outside a group that its members read, each
// once, in order of first use.
func leaves(members []*node) []*node {
	in := map[int]bool{}
	for _, m := range members {
		in[m.id] = true
	}
	seen := map[int]bool{}
	var out []*node
	for _, m := range members {
		for _, x := range m.inputs {
			if !in[x.id] && !seen[x.id] {
				seen[x.id] = true
				out = append(out, x)
			}
		}
	}
	return out
}

// execFused computes a group's root into out, chunk by chunk, from the
// values of the nodes outside the group that its members read.
func (b *Backend) execFused(members []*node, vals []*Buffer, out *Buffer) error {
	size := out.shape.Size()
	chunks := (size + fuseChunk - 1) / fuseChunk
	// Where each member's inputs come from: scratch[j] for member j ≥ 0,
	// or leaf −j−1.
	index := make(map[int]int, len(members))
	for i, m := range members {
		index[m.id] = i
	}
	var leafNodes []*node
	src := make([][]int, len(members))
	for i, m := range members {
		for _, x := range m.inputs {
			j, ok := index[x.id]
			if !ok {
				j = -len(leafNodes) - 1
				index[x.id] = j
				leafNodes = append(leafNodes, x)
			}
			src[i] = append(src[i], j)
		}
	}
	last := size - (chunks-1)*fuseChunk
	shapesOf := map[dtypes.DType][2]shapes.Shape{ // a whole chunk, the last one
		dtypes.Float32: {shapes.Make(dtypes.Float32, fuseChunk), shapes.Make(dtypes.Float32, last)},
		dtypes.Bool:    {shapes.Make(dtypes.Bool, fuseChunk), shapes.Make(dtypes.Bool, last)},
	}
	f32, bools := shapesOf[dtypes.Float32], shapesOf[dtypes.Bool]
	chunkShape := func(dt dtypes.DType, n int) shapes.Shape {
		s := f32
		if dt == dtypes.Bool {
			s = bools
		}
		if n == fuseChunk {
			return s[0]
		}
		return s[1]
	}
	var err error
	b.parallel(chunks, elementwiseChunk/fuseChunk, func(c0, c1 int) {
		// per worker: scratch for the members but the root, views of the
		// leaves and of out, reshaped in place chunk by chunk
		scratch := make([]*Buffer, len(members))
		full := make([]any, len(members))
		for i, m := range members[:len(members)-1] {
			full[i] = makeFlat(m.shape.DType, fuseChunk)
			scratch[i] = &Buffer{valid: true}
		}
		leaves := make([]*Buffer, len(leafNodes))
		for k, x := range leafNodes {
			leaves[k] = vals[x.id]
			if vals[x.id].shape.Size() != 1 {
				leaves[k] = &Buffer{valid: true}
			}
		}
		root := &Buffer{valid: true}
		in := make([]*Buffer, 0, 3)
		for c := c0; c < c1; c++ {
			lo, hi := c*fuseChunk, min((c+1)*fuseChunk, size)
			for k, x := range leafNodes {
				if v := vals[x.id]; v.shape.Size() != 1 {
					leaves[k].shape, leaves[k].flat = chunkShape(v.shape.DType, hi-lo), part2(v.flat, lo, hi)
				}
			}
			for i, m := range members {
				in = in[:0]
				for _, j := range src[i] {
					if j >= 0 {
						in = append(in, scratch[j])
					} else {
						in = append(in, leaves[-j-1])
					}
				}
				dst := scratch[i]
				if i == len(members)-1 {
					dst = root
					dst.flat = part2(out.flat, lo, hi)
				} else {
					dst.flat = part2(full[i], 0, hi-lo)
				}
				dst.shape = chunkShape(m.shape.DType, hi-lo)
				if e := executors[m.op](b, m, in, dst); e != nil && err == nil && c0 == 0 {
					err = e
				}
			}
		}
	})
	return err
}

// part2 is elements [lo, hi) of a float32 or bool slice.
func part2(flat any, lo, hi int) any {
	switch f := flat.(type) {
	case []float32:
		return f[lo:hi]
	case []bool:
		return f[lo:hi]
	}
	panic(fmt.Sprintf("cpu backend: fused %T", flat))
}
