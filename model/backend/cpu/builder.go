package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/notimplemented"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/ncae-repro/ncae/model/backend/internal/convopts"
)

// node is one operation of a graph being built; it is the backends.Op the
// builder hands out.
type node struct {
	id      int
	op      backends.OpType
	shape   shapes.Shape
	inputs  []*node
	attr    any // the operation's parameters, see the attribute types below
	builder *Builder
}

// Attributes of the operations that have some.
type (
	paramAttr struct {
		index int
		name  string
	}
	axesAttr      []int // Transpose, Reverse, Reduce*, BroadcastInDim
	axisAttr      int   // Concatenate, Iota
	argMinMaxAttr struct {
		axis  int
		isMin bool
	}
	sliceAttr struct{ starts, limits, strides []int }
	padAttr   []backends.PadAxis
	dotAttr   struct{ lhsContract, lhsBatch, rhsContract, rhsBatch []int }
	convAttr  struct {
		axes                     backends.ConvolveAxesConfig
		strides, kernelDilations []int
		paddings                 [][2]int
	}
)

// Builder builds one computation; every operation not defined here is
// refused with its name by the embedded notimplemented.Builder.
type Builder struct {
	notimplemented.Builder
	backend  *Backend
	name     string
	nodes    []*node
	params   []*node
	compiled bool
}

var _ backends.Builder = (*Builder)(nil)

func newBuilder(b *Backend, name string) *Builder {
	bld := &Builder{backend: b, name: name}
	bld.Builder.ErrFn = func(op backends.OpType) error {
		return fmt.Errorf("cpu backend: operation %s is not implemented (graph %q); use --backend go for this graph", op, name)
	}
	return bld
}

// Name implements backends.Builder.
func (b *Builder) Name() string { return b.name }

// OpShape implements backends.Builder.
func (b *Builder) OpShape(op backends.Op) (shapes.Shape, error) {
	n, err := b.node(op)
	if err != nil {
		return shapes.Invalid(), err
	}
	return n.shape, nil
}

func (b *Builder) node(op backends.Op) (*node, error) {
	n, ok := op.(*node)
	if !ok || n == nil {
		return nil, fmt.Errorf("cpu backend: op of type %T is not this backend's", op)
	}
	if n.builder != b {
		return nil, fmt.Errorf("cpu backend: op #%d belongs to graph %q, not %q", n.id, n.builder.name, b.name)
	}
	return n, nil
}

func (b *Builder) nodesOf(ops ...backends.Op) ([]*node, error) {
	out := make([]*node, len(ops))
	for i, op := range ops {
		n, err := b.node(op)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func (b *Builder) add(op backends.OpType, shape shapes.Shape, attr any, inputs ...*node) (*node, error) {
	if b.compiled {
		return nil, fmt.Errorf("cpu backend: graph %q is already compiled", b.name)
	}
	if err := checkDType(shape.DType); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	n := &node{id: len(b.nodes), op: op, shape: shape, inputs: inputs, attr: attr, builder: b}
	b.nodes = append(b.nodes, n)
	return n, nil
}

// Parameter implements backends.Builder.
func (b *Builder) Parameter(name string, shape shapes.Shape, _ *backends.ShardingSpec) (backends.Op, error) {
	n, err := b.add(backends.OpTypeParameter, shape, paramAttr{index: len(b.params), name: name})
	if err != nil {
		return nil, err
	}
	b.params = append(b.params, n)
	return n, nil
}

// Constant implements backends.Builder.
func (b *Builder) Constant(flat any, dims ...int) (backends.Op, error) {
	dt := dtypeOfFlat(flat)
	if dt == dtypes.InvalidDType {
		return nil, fmt.Errorf("cpu backend: Constant of %T: unsupported data type", flat)
	}
	shape := shapes.Make(dt, dims...)
	if err := sameFlat(shape, flat); err != nil {
		return nil, err
	}
	buf := &Buffer{shape: shape, flat: makeFlat(dt, shape.Size()), valid: true}
	copyFlat(buf.flat, flat)
	return b.add(backends.OpTypeConstant, shape, buf)
}

func dtypeOfFlat(flat any) dtypes.DType {
	switch flat.(type) {
	case []float32:
		return dtypes.Float32
	case []float64:
		return dtypes.Float64
	case []int32:
		return dtypes.Int32
	case []int64:
		return dtypes.Int64
	case []uint8:
		return dtypes.Uint8
	case []bool:
		return dtypes.Bool
	}
	return dtypes.InvalidDType
}

// Identity implements backends.Builder.
func (b *Builder) Identity(x backends.Op) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	return b.add(backends.OpTypeIdentity, n.shape, nil, n)
}

func (b *Builder) unary(op backends.OpType, x backends.Op) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	if op == backends.OpTypeIsFinite || op == backends.OpTypeIsNaN {
		if !n.shape.DType.IsFloat() {
			return nil, fmt.Errorf("cpu backend: %s of %s: want a float", op, n.shape)
		}
		shape := n.shape.Clone()
		shape.DType = dtypes.Bool
		return b.add(op, shape, nil, n)
	}
	shape, err := shapeinference.UnaryOp(op, n.shape)
	if err != nil {
		return nil, err
	}
	return b.add(op, shape, nil, n)
}

func (b *Builder) binary(op backends.OpType, lhs, rhs backends.Op) (backends.Op, error) {
	in, err := b.nodesOf(lhs, rhs)
	if err != nil {
		return nil, err
	}
	var shape shapes.Shape
	if shapeinference.ComparisonOperations.Has(op) {
		shape, err = shapeinference.ComparisonOp(op, in[0].shape, in[1].shape)
	} else {
		shape, err = shapeinference.BinaryOp(op, in[0].shape, in[1].shape)
	}
	if err != nil {
		return nil, err
	}
	return b.add(op, shape, nil, in...)
}

// Unary operations.
func (b *Builder) Abs(x backends.Op) (backends.Op, error)   { return b.unary(backends.OpTypeAbs, x) }
func (b *Builder) Neg(x backends.Op) (backends.Op, error)   { return b.unary(backends.OpTypeNeg, x) }
func (b *Builder) Sign(x backends.Op) (backends.Op, error)  { return b.unary(backends.OpTypeSign, x) }
func (b *Builder) Exp(x backends.Op) (backends.Op, error)   { return b.unary(backends.OpTypeExp, x) }
func (b *Builder) Expm1(x backends.Op) (backends.Op, error) { return b.unary(backends.OpTypeExpm1, x) }
func (b *Builder) Log(x backends.Op) (backends.Op, error)   { return b.unary(backends.OpTypeLog, x) }
func (b *Builder) Log1p(x backends.Op) (backends.Op, error) { return b.unary(backends.OpTypeLog1p, x) }
func (b *Builder) Logistic(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeLogistic, x)
}
func (b *Builder) Sqrt(x backends.Op) (backends.Op, error)  { return b.unary(backends.OpTypeSqrt, x) }
func (b *Builder) Rsqrt(x backends.Op) (backends.Op, error) { return b.unary(backends.OpTypeRsqrt, x) }
func (b *Builder) Tanh(x backends.Op) (backends.Op, error)  { return b.unary(backends.OpTypeTanh, x) }
func (b *Builder) Floor(x backends.Op) (backends.Op, error) { return b.unary(backends.OpTypeFloor, x) }
func (b *Builder) Ceil(x backends.Op) (backends.Op, error)  { return b.unary(backends.OpTypeCeil, x) }
func (b *Builder) Round(x backends.Op) (backends.Op, error) { return b.unary(backends.OpTypeRound, x) }
func (b *Builder) Cos(x backends.Op) (backends.Op, error)   { return b.unary(backends.OpTypeCos, x) }
func (b *Builder) Sin(x backends.Op) (backends.Op, error)   { return b.unary(backends.OpTypeSin, x) }
func (b *Builder) Erf(x backends.Op) (backends.Op, error)   { return b.unary(backends.OpTypeErf, x) }
func (b *Builder) IsFinite(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeIsFinite, x)
}
func (b *Builder) IsNaN(x backends.Op) (backends.Op, error) { return b.unary(backends.OpTypeIsNaN, x) }
func (b *Builder) LogicalNot(x backends.Op) (backends.Op, error) {
	return b.unary(backends.OpTypeLogicalNot, x)
}

// Binary operations (standard broadcasting: equal shapes, a scalar, or
// axes of size 1).
func (b *Builder) Add(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeAdd, l, r)
}
func (b *Builder) Sub(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeSub, l, r)
}
func (b *Builder) Mul(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeMul, l, r)
}
func (b *Builder) Div(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeDiv, l, r)
}
func (b *Builder) Max(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeMax, l, r)
}
func (b *Builder) Min(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeMin, l, r)
}
func (b *Builder) Pow(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypePow, l, r)
}
func (b *Builder) LogicalAnd(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeLogicalAnd, l, r)
}
func (b *Builder) LogicalOr(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeLogicalOr, l, r)
}
func (b *Builder) LogicalXor(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeLogicalXor, l, r)
}
func (b *Builder) Equal(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeEqual, l, r)
}
func (b *Builder) NotEqual(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeNotEqual, l, r)
}
func (b *Builder) LessThan(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeLessThan, l, r)
}
func (b *Builder) LessOrEqual(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeLessOrEqual, l, r)
}
func (b *Builder) GreaterThan(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeGreaterThan, l, r)
}
func (b *Builder) GreaterOrEqual(l, r backends.Op) (backends.Op, error) {
	return b.binary(backends.OpTypeGreaterOrEqual, l, r)
}

// Clamp is Min(Max(x, lo), hi).
func (b *Builder) Clamp(lo, x, hi backends.Op) (backends.Op, error) {
	m, err := b.Max(x, lo)
	if err != nil {
		return nil, err
	}
	return b.Min(m, hi)
}

// Where implements backends.Builder.
func (b *Builder) Where(cond, onTrue, onFalse backends.Op) (backends.Op, error) {
	in, err := b.nodesOf(cond, onTrue, onFalse)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.WhereOp(in[0].shape, in[1].shape, in[2].shape)
	if err != nil {
		return nil, err
	}
	return b.add(backends.OpTypeWhere, shape, nil, in...)
}

// ConvertDType implements backends.Builder.
func (b *Builder) ConvertDType(x backends.Op, dtype dtypes.DType) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	shape := n.shape.Clone()
	shape.DType = dtype
	return b.add(backends.OpTypeConvertDType, shape, nil, n)
}

// Reshape implements backends.Builder; it never copies.
func (b *Builder) Reshape(x backends.Op, dims ...int) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.ReshapeOp(n.shape, dims)
	if err != nil {
		return nil, err
	}
	return b.add(backends.OpTypeReshape, shape, nil, n)
}

// Transpose implements backends.Builder.
func (b *Builder) Transpose(x backends.Op, perm ...int) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.TransposeOp(n.shape, perm)
	if err != nil {
		return nil, err
	}
	return b.add(backends.OpTypeTranspose, shape, axesAttr(slices.Clone(perm)), n)
}

// BroadcastInDim implements backends.Builder.
func (b *Builder) BroadcastInDim(x backends.Op, shape shapes.Shape, axes []int) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	if err := shapeinference.BroadcastInDimOp(n.shape, shape, axes); err != nil {
		return nil, err
	}
	return b.add(backends.OpTypeBroadcastInDim, shape.Clone(), axesAttr(slices.Clone(axes)), n)
}

// Slice implements backends.Builder.
func (b *Builder) Slice(x backends.Op, starts, limits, strides []int) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	if len(strides) == 0 {
		strides = make([]int, n.shape.Rank())
		for i := range strides {
			strides[i] = 1
		}
	}
	shape, err := shapeinference.SliceOp(n.shape, starts, limits, strides)
	if err != nil {
		return nil, err
	}
	return b.add(backends.OpTypeSlice, shape, sliceAttr{slices.Clone(starts), slices.Clone(limits), slices.Clone(strides)}, n)
}

// Concatenate implements backends.Builder.
func (b *Builder) Concatenate(axis int, ops ...backends.Op) (backends.Op, error) {
	in, err := b.nodesOf(ops...)
	if err != nil {
		return nil, err
	}
	if len(in) == 1 {
		return in[0], nil
	}
	inShapes := make([]shapes.Shape, len(in))
	for i, n := range in {
		inShapes[i] = n.shape
	}
	shape, err := shapeinference.ConcatenateOp(inShapes, axis)
	if err != nil {
		return nil, err
	}
	return b.add(backends.OpTypeConcatenate, shape, axisAttr(axis), in...)
}

// Pad implements backends.Builder for non-negative padding.
func (b *Builder) Pad(x, fill backends.Op, axes ...backends.PadAxis) (backends.Op, error) {
	in, err := b.nodesOf(x, fill)
	if err != nil {
		return nil, err
	}
	if !in[1].shape.IsScalar() || in[1].shape.DType != in[0].shape.DType {
		return nil, fmt.Errorf("cpu backend: Pad: fill value %s must be a scalar of %s", in[1].shape, in[0].shape.DType)
	}
	if len(axes) > in[0].shape.Rank() {
		return nil, fmt.Errorf("cpu backend: Pad: %d axes configured for %s", len(axes), in[0].shape)
	}
	shape := in[0].shape.Clone()
	cfg := make(padAttr, shape.Rank())
	copy(cfg, axes)
	for i, p := range cfg {
		if p.Start < 0 || p.End < 0 || p.Interior < 0 {
			return nil, fmt.Errorf("cpu backend: Pad: axis %d: negative padding %+v is not implemented", i, p)
		}
		d := shape.Dimensions[i]
		shape.Dimensions[i] = p.Start + d + p.End + max(d-1, 0)*p.Interior
	}
	return b.add(backends.OpTypePad, shape, cfg, in...)
}

// Reverse implements backends.Builder.
func (b *Builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	for _, a := range axes {
		if a < 0 || a >= n.shape.Rank() {
			return nil, fmt.Errorf("cpu backend: Reverse: axis %d out of range for %s", a, n.shape)
		}
	}
	return b.add(backends.OpTypeReverse, n.shape, axesAttr(slices.Clone(axes)), n)
}

// Iota implements backends.Builder.
func (b *Builder) Iota(shape shapes.Shape, axis int) (backends.Op, error) {
	if axis < 0 || axis >= shape.Rank() {
		return nil, fmt.Errorf("cpu backend: Iota: axis %d out of range for %s", axis, shape)
	}
	if shape.DType == dtypes.Bool {
		return nil, fmt.Errorf("cpu backend: Iota of booleans")
	}
	return b.add(backends.OpTypeIota, shape.Clone(), axisAttr(axis))
}

func (b *Builder) reduce(op backends.OpType, x backends.Op, axes []int) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 { // GoMLX: no axes means all of them
		axes = make([]int, n.shape.Rank())
		for i := range axes {
			axes[i] = i
		}
	}
	shape, err := shapeinference.ReduceOp(n.shape, axes)
	if err != nil {
		return nil, err
	}
	if n.shape.DType == dtypes.Bool {
		return nil, fmt.Errorf("cpu backend: %s of booleans is not implemented", op)
	}
	a := slices.Clone(axes)
	slices.Sort(a)
	return b.add(op, shape, axesAttr(a), n)
}

// Reductions.
func (b *Builder) ReduceSum(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceSum, x, axes)
}
func (b *Builder) ReduceMax(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceMax, x, axes)
}
func (b *Builder) ReduceMin(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceMin, x, axes)
}
func (b *Builder) ReduceProduct(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceProduct, x, axes)
}

// ArgMinMax implements backends.Builder.
func (b *Builder) ArgMinMax(x backends.Op, axis int, outDType dtypes.DType, isMin bool) (backends.Op, error) {
	n, err := b.node(x)
	if err != nil {
		return nil, err
	}
	shape, err := shapeinference.ArgMinMaxOp(n.shape, axis, outDType)
	if err != nil {
		return nil, err
	}
	if n.shape.DType == dtypes.Bool {
		return nil, fmt.Errorf("cpu backend: ArgMinMax of booleans is not implemented")
	}
	return b.add(backends.OpTypeArgMinMax, shape, argMinMaxAttr{axis: axis, isMin: isMin}, n)
}

// DotGeneral implements backends.Builder: output axes are the batch axes,
// then lhs's free axes, then rhs's.
func (b *Builder) DotGeneral(lhs backends.Op, lhsContract, lhsBatch []int, rhs backends.Op, rhsContract, rhsBatch []int) (backends.Op, error) {
	in, err := b.nodesOf(lhs, rhs)
	if err != nil {
		return nil, err
	}
	l, r := in[0].shape, in[1].shape
	if l.DType != r.DType {
		return nil, fmt.Errorf("cpu backend: DotGeneral of %s and %s: data types differ", l, r)
	}
	if len(lhsContract) != len(rhsContract) || len(lhsBatch) != len(rhsBatch) {
		return nil, fmt.Errorf("cpu backend: DotGeneral: %d/%d contracting and %d/%d batch axes", len(lhsContract), len(rhsContract), len(lhsBatch), len(rhsBatch))
	}
	for _, pair := range [][2][]int{{lhsContract, rhsContract}, {lhsBatch, rhsBatch}} {
		for i := range pair[0] {
			la, ra := pair[0][i], pair[1][i]
			if la < 0 || la >= l.Rank() || ra < 0 || ra >= r.Rank() || l.Dimensions[la] != r.Dimensions[ra] {
				return nil, fmt.Errorf("cpu backend: DotGeneral of %s and %s: axes %d and %d do not match", l, r, la, ra)
			}
		}
	}
	lFree, err := freeAxes(l.Rank(), lhsContract, lhsBatch)
	if err != nil {
		return nil, fmt.Errorf("cpu backend: DotGeneral lhs %s: %w", l, err)
	}
	rFree, err := freeAxes(r.Rank(), rhsContract, rhsBatch)
	if err != nil {
		return nil, fmt.Errorf("cpu backend: DotGeneral rhs %s: %w", r, err)
	}
	var dims []int
	for _, a := range lhsBatch {
		dims = append(dims, l.Dimensions[a])
	}
	for _, a := range lFree {
		dims = append(dims, l.Dimensions[a])
	}
	for _, a := range rFree {
		dims = append(dims, r.Dimensions[a])
	}
	attr := dotAttr{slices.Clone(lhsContract), slices.Clone(lhsBatch), slices.Clone(rhsContract), slices.Clone(rhsBatch)}
	return b.add(backends.OpTypeDotGeneral, shapes.Make(l.DType, dims...), attr, in...)
}

// freeAxes returns the axes of a rank-r operand that are neither contracted
// nor batch, in order; an axis listed twice is an error.
func freeAxes(rank int, contract, batch []int) ([]int, error) {
	used := make([]bool, rank)
	for _, a := range slices.Concat(contract, batch) {
		if used[a] {
			return nil, fmt.Errorf("axis %d used twice", a)
		}
		used[a] = true
	}
	var free []int
	for a := range rank {
		if !used[a] {
			free = append(free, a)
		}
	}
	return free, nil
}

// Dot is the matrix/vector product of ranks ≤ 2.
func (b *Builder) Dot(lhs, rhs backends.Op) (backends.Op, error) {
	in, err := b.nodesOf(lhs, rhs)
	if err != nil {
		return nil, err
	}
	lc := in[0].shape.Rank() - 1
	if lc < 0 || in[1].shape.Rank() == 0 || in[1].shape.Rank() > 2 || lc > 1 {
		return nil, fmt.Errorf("cpu backend: Dot of %s and %s: want ranks 1 or 2", in[0].shape, in[1].shape)
	}
	return b.DotGeneral(lhs, []int{lc}, nil, rhs, []int{0}, nil)
}

// ConvGeneral implements backends.Builder for two spatial axes, no input
// dilation and no grouping: every convolution the NCAE networks and their
// gradients use.
func (b *Builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int, channelGroups, batchGroups int) (backends.Op, error) {
	in, err := b.nodesOf(input, kernel)
	if err != nil {
		return nil, err
	}
	spatial := in[0].shape.Rank() - 2
	strides, inputDilations, kernelDilations = convopts.Units(strides, spatial), convopts.Units(inputDilations, spatial), convopts.Units(kernelDilations, spatial)
	if len(paddings) == 0 {
		paddings = make([][2]int, spatial)
	}
	shape, err := shapeinference.ConvGeneralOp(in[0].shape, in[1].shape, axes, strides, paddings, inputDilations, kernelDilations, channelGroups, batchGroups)
	if err != nil {
		return nil, err
	}
	switch {
	case spatial != 2:
		return nil, fmt.Errorf("cpu backend: ConvGeneral with %d spatial axes is not implemented (2 only)", spatial)
	case slices.ContainsFunc(inputDilations, func(d int) bool { return d != 1 }):
		return nil, fmt.Errorf("cpu backend: ConvGeneral with input dilation %v is not implemented", inputDilations)
	case channelGroups > 1 || batchGroups > 1:
		return nil, fmt.Errorf("cpu backend: grouped ConvGeneral (%d channel, %d batch groups) is not implemented", channelGroups, batchGroups)
	case in[0].shape.DType != dtypes.Float32:
		return nil, fmt.Errorf("cpu backend: ConvGeneral of %s is not implemented (float32 only)", in[0].shape.DType)
	}
	attr := convAttr{axes: axes.Clone(), strides: slices.Clone(strides), kernelDilations: slices.Clone(kernelDilations), paddings: slices.Clone(paddings)}
	return b.add(backends.OpTypeConvGeneral, shape, attr, in...)
}
