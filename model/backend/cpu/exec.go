package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// An executor computes node n from its inputs into out, which has n's shape
// and undefined contents (or is one of the inputs, for elementwise
// operations whose input dies there: they must read element i before
// writing it).
type executor func(b *Backend, n *node, in []*Buffer, out *Buffer) error

// executors holds the operations computed by kernels; the operations that
// move no data (Parameter, Constant, Identity, Reshape) are handled by
// Execute itself. elementwise marks the executors that may write over a
// dying input. Neither is modified after start-up.
var executors, elementwise = tables()

func tables() (map[backends.OpType]executor, map[backends.OpType]bool) {
	ex := map[backends.OpType]executor{}
	ew := map[backends.OpType]bool{}
	for _, op := range unaryOps {
		ex[op], ew[op] = execUnary, true
	}
	for _, op := range binaryOps {
		ex[op], ew[op] = execBinary, true
	}
	for _, op := range []backends.OpType{backends.OpTypeEqual, backends.OpTypeNotEqual, backends.OpTypeLessThan,
		backends.OpTypeLessOrEqual, backends.OpTypeGreaterThan, backends.OpTypeGreaterOrEqual} {
		ex[op] = execCompare
	}
	ex[backends.OpTypeIsFinite] = execUnary
	ex[backends.OpTypeIsNaN] = execUnary
	ex[backends.OpTypeWhere], ew[backends.OpTypeWhere] = execWhere, true
	ex[backends.OpTypeConvertDType] = execConvert
	ex[backends.OpTypeTranspose] = execTranspose
	ex[backends.OpTypeBroadcastInDim] = execBroadcastInDim
	ex[backends.OpTypeSlice] = execSlice
	ex[backends.OpTypeConcatenate] = execConcatenate
	ex[backends.OpTypePad] = execPad
	ex[backends.OpTypeReverse] = execReverse
	ex[backends.OpTypeIota] = execIota
	for _, op := range []backends.OpType{backends.OpTypeReduceSum, backends.OpTypeReduceMax, backends.OpTypeReduceMin, backends.OpTypeReduceProduct} {
		ex[op] = execReduce
	}
	ex[backends.OpTypeArgMinMax] = execArgMinMax
	ex[backends.OpTypeDotGeneral] = execDotGeneral
	ex[backends.OpTypeConvGeneral] = execConvGeneral
	ex[opCompareMask], ew[opCompareMask] = execCompareMask, true
	ex[opRowBinary], ew[opRowBinary] = execRowBinary, true
	ex[opRepeatRow] = execRepeatRow
	return ex, ew
}

// implemented lists every operation the builder accepts.
var implemented = func() map[backends.OpType]bool {
	m := map[backends.OpType]bool{}
	for op := range executors {
		if op <= backends.OpTypeLast { // not this backend's own, never built by GoMLX
			m[op] = true
		}
	}
	for _, op := range []backends.OpType{backends.OpTypeParameter, backends.OpTypeConstant, backends.OpTypeIdentity,
		backends.OpTypeReshape, backends.OpTypeClamp, backends.OpTypeDot} {
		m[op] = true
	}
	return m
}()

// Executable is a compiled graph: its reachable nodes in order, and for
// each storage the step after which it is dead.
type Executable struct {
	backend *Backend
	name    string
	nodes   []*node // reachable nodes, in build (hence topological) order
	params  []*node
	outputs []*node
	numIDs  int
	root    []int   // node id → id of the node whose storage it shares (Reshape, Identity)
	lastUse []int   // root id → step of its last use; len(nodes) for outputs
	freeAt  [][]int // step → roots whose storage dies there
}

var _ backends.Executable = (*Executable)(nil)

// Compile implements backends.Builder.
func (b *Builder) Compile(outputs []backends.Op, _ []*backends.ShardingSpec) (backends.Executable, error) {
	if b.compiled {
		return nil, fmt.Errorf("cpu backend: graph %q compiled twice", b.name)
	}
	outs, err := b.nodesOf(outputs...)
	if err != nil {
		return nil, err
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("cpu backend: graph %q has no outputs", b.name)
	}
	b.compiled = true
	reach := make([]bool, len(b.nodes))
	stack := slices.Clone(outs)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reach[n.id] {
			continue
		}
		reach[n.id] = true
		stack = append(stack, n.inputs...)
	}
	e := &Executable{backend: b.backend, name: b.name, params: b.params, outputs: outs, numIDs: len(b.nodes)}
	for _, n := range b.nodes {
		if reach[n.id] || n.op == backends.OpTypeParameter {
			e.nodes = append(e.nodes, n)
		}
	}
	if !b.backend.noFuse {
		e.nodes = fuseCompareMasks(e.nodes, outs)
		e.nodes, e.numIDs = fuseRowBroadcasts(e.nodes, outs, e.numIDs)
	}
	e.root = make([]int, e.numIDs)
	for _, n := range e.nodes {
		e.root[n.id] = n.id
		if n.op == backends.OpTypeReshape || n.op == backends.OpTypeIdentity {
			e.root[n.id] = e.root[n.inputs[0].id]
		}
	}
	e.lastUse = make([]int, e.numIDs)
	for i := range e.lastUse {
		e.lastUse[i] = -1
	}
	for step, n := range e.nodes {
		for _, in := range n.inputs {
			r := e.root[in.id]
			e.lastUse[r] = max(e.lastUse[r], step)
		}
	}
	for _, o := range outs {
		e.lastUse[e.root[o.id]] = len(e.nodes)
	}
	e.freeAt = make([][]int, len(e.nodes))
	for _, n := range e.nodes {
		if e.root[n.id] != n.id {
			continue
		}
		if s := e.lastUse[n.id]; s >= 0 && s < len(e.nodes) {
			e.freeAt[s] = append(e.freeAt[s], n.id)
		}
	}
	return e, nil
}

// Finalize implements backends.Executable.
func (e *Executable) Finalize() {}

// Inputs implements backends.Executable.
func (e *Executable) Inputs() ([]string, []shapes.Shape) {
	names := make([]string, len(e.params))
	sh := make([]shapes.Shape, len(e.params))
	for i, p := range e.params {
		names[i], sh[i] = p.attr.(paramAttr).name, p.shape
	}
	return names, sh
}

// Outputs implements backends.Executable.
func (e *Executable) Outputs() []shapes.Shape {
	sh := make([]shapes.Shape, len(e.outputs))
	for i, o := range e.outputs {
		sh[i] = o.shape
	}
	return sh
}

// Execute runs the graph. Donated inputs become invalid; their memory is
// reused once they are dead.
func (e *Executable) Execute(inputs []backends.Buffer, donate []bool, _ backends.DeviceNum) ([]backends.Buffer, error) {
	b := e.backend
	if len(inputs) != len(e.params) {
		return nil, fmt.Errorf("cpu backend: graph %q takes %d inputs, got %d", e.name, len(e.params), len(inputs))
	}
	vals := make([]*Buffer, e.numIDs)
	owned := make([]bool, e.numIDs) // storage this execution may free or overwrite
	moved := make([]bool, e.numIDs) // storage handed to a later node in place
	var donated []*Buffer
	for i, p := range e.params {
		x, err := b.buffer(inputs[i])
		if err != nil {
			return nil, fmt.Errorf("graph %q input #%d (%s): %w", e.name, i, p.attr.(paramAttr).name, err)
		}
		if !x.shape.Equal(p.shape) {
			return nil, fmt.Errorf("cpu backend: graph %q input #%d (%s): shape %s, want %s", e.name, i, p.attr.(paramAttr).name, x.shape, p.shape)
		}
		vals[p.id] = x
		if i < len(donate) && donate[i] {
			owned[p.id] = true
			donated = append(donated, x)
		}
	}
	in := make([]*Buffer, 0, 4)
	for step, n := range e.nodes {
		switch n.op {
		case backends.OpTypeParameter:
		case backends.OpTypeConstant:
			vals[n.id] = n.attr.(*Buffer)
		case backends.OpTypeReshape, backends.OpTypeIdentity:
			vals[n.id] = &Buffer{shape: n.shape, flat: vals[n.inputs[0].id].flat, valid: true}
		default:
			in = in[:0]
			for _, x := range n.inputs {
				in = append(in, vals[x.id])
			}
			var out *Buffer
			if elementwise[n.op] {
				for _, x := range n.inputs {
					r := e.root[x.id]
					if owned[r] && !moved[r] && e.lastUse[r] == step && x.shape.DType == n.shape.DType && x.shape.Size() == n.shape.Size() {
						out = &Buffer{shape: n.shape, flat: vals[x.id].flat, valid: true}
						moved[r] = true
						break
					}
				}
			}
			if out == nil {
				out = b.newBuffer(n.shape)
			}
			if err := executors[n.op](b, n, in, out); err != nil {
				return nil, fmt.Errorf("cpu backend: graph %q, op #%d %s → %s: %w", e.name, n.id, n.op, n.shape, err)
			}
			vals[n.id] = out
			owned[n.id] = true
		}
		for _, r := range e.freeAt[step] {
			if owned[r] && !moved[r] {
				b.pool.put(vals[r].shape.DType, vals[r].flat)
				moved[r] = true
			}
		}
	}
	outs := make([]backends.Buffer, len(e.outputs))
	claimed := make([]bool, e.numIDs)
	for i, o := range e.outputs {
		r := e.root[o.id]
		v := vals[o.id]
		if owned[r] && !claimed[r] {
			claimed[r] = true
			outs[i] = &Buffer{shape: o.shape, flat: v.flat, valid: true}
			continue
		}
		c := b.newBuffer(o.shape)
		copyFlat(c.flat, v.flat)
		outs[i] = c
	}
	for _, x := range donated {
		x.valid, x.flat = false, nil
	}
	return outs, nil
}
