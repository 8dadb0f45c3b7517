package cpu

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/ncae-repro/ncae/model/backend/cpu/vec"
)

type number interface {
	~float32 | ~float64 | ~int32 | ~int64 | ~uint8
}

type float interface{ ~float32 | ~float64 }

var unaryOps = []backends.OpType{backends.OpTypeAbs, backends.OpTypeNeg, backends.OpTypeSign, backends.OpTypeExp,
	backends.OpTypeExpm1, backends.OpTypeLog, backends.OpTypeLog1p, backends.OpTypeLogistic, backends.OpTypeSqrt,
	backends.OpTypeRsqrt, backends.OpTypeTanh, backends.OpTypeFloor, backends.OpTypeCeil, backends.OpTypeRound,
	backends.OpTypeCos, backends.OpTypeSin, backends.OpTypeErf, backends.OpTypeLogicalNot}

var binaryOps = []backends.OpType{backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul, backends.OpTypeDiv,
	backends.OpTypeMax, backends.OpTypeMin, backends.OpTypePow, backends.OpTypeLogicalAnd, backends.OpTypeLogicalOr,
	backends.OpTypeLogicalXor}

func execUnary(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	x := in[0]
	var err error
	b.parallel(out.shape.Size(), elementwiseChunk, func(lo, hi int) {
		var e error
		switch xf := x.flat.(type) {
		case []float32:
			switch {
			case out.shape.DType == dtypes.Bool:
				e = floatPredicate(n.op, out.flat.([]bool)[lo:hi], xf[lo:hi])
			case n.op == backends.OpTypeNeg: // the gradients of every − and ÷
				vec.Negate(out.flat.([]float32)[lo:hi], xf[lo:hi])
			default:
				e = unaryFloat(n.op, out.flat.([]float32)[lo:hi], xf[lo:hi])
			}
		case []float64:
			if out.shape.DType == dtypes.Bool {
				e = floatPredicate(n.op, out.flat.([]bool)[lo:hi], xf[lo:hi])
			} else {
				e = unaryFloat(n.op, out.flat.([]float64)[lo:hi], xf[lo:hi])
			}
		case []int32:
			e = unaryInt(n.op, out.flat.([]int32)[lo:hi], xf[lo:hi])
		case []int64:
			e = unaryInt(n.op, out.flat.([]int64)[lo:hi], xf[lo:hi])
		case []bool:
			if n.op != backends.OpTypeLogicalNot {
				e = fmt.Errorf("%s of booleans", n.op)
				break
			}
			o := out.flat.([]bool)[lo:hi]
			for i, v := range xf[lo:hi] {
				o[i] = !v
			}
		default:
			e = fmt.Errorf("%s of %s is not implemented", n.op, x.shape.DType)
		}
		if e != nil && lo == 0 {
			err = e
		}
	})
	return err
}

func unaryFloat[T float](op backends.OpType, out, x []T) error {
	x = x[:len(out)]
	switch op {
	case backends.OpTypeNeg:
		for i, v := range x {
			out[i] = -v
		}
	case backends.OpTypeAbs:
		for i, v := range x {
			out[i] = T(math.Abs(float64(v)))
		}
	case backends.OpTypeSign:
		for i, v := range x {
			switch {
			case v > 0:
				out[i] = 1
			case v < 0:
				out[i] = -1
			default:
				out[i] = v // ±0 and NaN keep themselves
			}
		}
	case backends.OpTypeExp:
		for i, v := range x {
			out[i] = T(math.Exp(float64(v)))
		}
	case backends.OpTypeExpm1:
		for i, v := range x {
			out[i] = T(math.Expm1(float64(v)))
		}
	case backends.OpTypeLog:
		for i, v := range x {
			out[i] = T(math.Log(float64(v)))
		}
	case backends.OpTypeLog1p:
		for i, v := range x {
			out[i] = T(math.Log1p(float64(v)))
		}
	case backends.OpTypeLogistic:
		for i, v := range x {
			f := float64(v)
			if f >= 0 {
				out[i] = T(1 / (1 + math.Exp(-f)))
			} else {
				e := math.Exp(f)
				out[i] = T(e / (1 + e))
			}
		}
	case backends.OpTypeSqrt:
		for i, v := range x {
			out[i] = T(math.Sqrt(float64(v)))
		}
	case backends.OpTypeRsqrt:
		for i, v := range x {
			out[i] = T(1 / math.Sqrt(float64(v)))
		}
	case backends.OpTypeTanh:
		for i, v := range x {
			out[i] = T(math.Tanh(float64(v)))
		}
	case backends.OpTypeFloor:
		for i, v := range x {
			out[i] = T(math.Floor(float64(v)))
		}
	case backends.OpTypeCeil:
		for i, v := range x {
			out[i] = T(math.Ceil(float64(v)))
		}
	case backends.OpTypeRound:
		for i, v := range x {
			out[i] = T(math.RoundToEven(float64(v)))
		}
	case backends.OpTypeCos:
		for i, v := range x {
			out[i] = T(math.Cos(float64(v)))
		}
	case backends.OpTypeSin:
		for i, v := range x {
			out[i] = T(math.Sin(float64(v)))
		}
	case backends.OpTypeErf:
		for i, v := range x {
			out[i] = T(math.Erf(float64(v)))
		}
	default:
		return fmt.Errorf("%s of floats is not implemented", op)
	}
	return nil
}

func floatPredicate[T float](op backends.OpType, out []bool, x []T) error {
	x = x[:len(out)]
	switch op {
	case backends.OpTypeIsFinite:
		for i, v := range x {
			f := float64(v)
			out[i] = !math.IsInf(f, 0) && !math.IsNaN(f)
		}
	case backends.OpTypeIsNaN:
		for i, v := range x {
			out[i] = v != v
		}
	default:
		return fmt.Errorf("%s is not a predicate", op)
	}
	return nil
}

func unaryInt[T int32 | int64](op backends.OpType, out, x []T) error {
	x = x[:len(out)]
	switch op {
	case backends.OpTypeNeg:
		for i, v := range x {
			out[i] = -v
		}
	case backends.OpTypeAbs:
		for i, v := range x {
			out[i] = max(v, -v)
		}
	case backends.OpTypeSign:
		for i, v := range x {
			out[i] = T(min(max(v, -1), 1))
		}
	default:
		return fmt.Errorf("%s of integers is not implemented", op)
	}
	return nil
}

// operand is one input of an elementwise operation: the whole output's
// worth of elements, or one element (a scalar) repeated.
func (b *Backend) operand(x *Buffer, out shapes.Shape) (flat any, temp bool) {
	if x.shape.Size() == out.Size() || x.shape.Size() == 1 {
		return x.flat, false
	}
	// Broadcast axes of size 1 explicitly.
	t := b.newBuffer(shapes.Make(x.shape.DType, out.Dimensions...))
	strides := rowStrides(x.shape.Dimensions)
	for a, d := range x.shape.Dimensions {
		if d == 1 {
			strides[a] = 0
		}
	}
	b.copyStrided(t.flat, out.Dimensions, rowStrides(out.Dimensions), 0, x.flat, strides, 0)
	return t.flat, true
}

// part returns elements [lo, hi) of an operand, or the whole of a scalar.
func part[T any](v []T, lo, hi int) []T {
	if len(v) == 1 && hi-lo != 1 {
		return v
	}
	return v[lo:hi]
}

func execBinary(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	a, ta := b.operand(in[0], out.shape)
	c, tc := b.operand(in[1], out.shape)
	var err error
	b.parallel(out.shape.Size(), elementwiseChunk, func(lo, hi int) {
		var e error
		switch o := out.flat.(type) {
		case []float32:
			e = binaryNumber(n.op, o[lo:hi], part(a.([]float32), lo, hi), part(c.([]float32), lo, hi))
		case []float64:
			e = binaryNumber(n.op, o[lo:hi], part(a.([]float64), lo, hi), part(c.([]float64), lo, hi))
		case []int32:
			e = binaryNumber(n.op, o[lo:hi], part(a.([]int32), lo, hi), part(c.([]int32), lo, hi))
		case []int64:
			e = binaryNumber(n.op, o[lo:hi], part(a.([]int64), lo, hi), part(c.([]int64), lo, hi))
		case []uint8:
			e = binaryNumber(n.op, o[lo:hi], part(a.([]uint8), lo, hi), part(c.([]uint8), lo, hi))
		case []bool:
			e = binaryBool(n.op, o[lo:hi], part(a.([]bool), lo, hi), part(c.([]bool), lo, hi))
		}
		if e != nil && lo == 0 {
			err = e
		}
	})
	b.release(a, ta)
	b.release(c, tc)
	return err
}

func (b *Backend) release(flat any, temp bool) {
	if temp {
		b.pool.put(dtypeOfFlat(flat), flat)
	}
}

// binaryNumber computes out = a op c elementwise, either operand possibly a
// single element.
func binaryNumber[T number](op backends.OpType, out, a, c []T) error {
	if arithmetic(op, out, a, c) {
		return nil
	}
	switch op {
	case backends.OpTypeDiv:
		mapBinary(out, a, c, div[T])
	case backends.OpTypeMax:
		mapBinary(out, a, c, func(x, y T) T {
			if x != x || x > y {
				return x
			}
			return y
		})
	case backends.OpTypeMin:
		mapBinary(out, a, c, func(x, y T) T {
			if x != x || x < y {
				return x
			}
			return y
		})
	case backends.OpTypePow:
		mapBinary(out, a, c, func(x, y T) T { return T(math.Pow(float64(x), float64(y))) })
	default:
		return fmt.Errorf("%s of numbers is not implemented", op)
	}
	return nil
}

// arithmetic computes the four operations that dominate training (+, −, ×
// and ÷ of floats) with plain loops, which the compiler keeps free of
// function calls; it reports false for any other operation.
func arithmetic[T number](op backends.OpType, out, a, c []T) bool {
	if f, ok := any(out).([]float32); ok {
		return arithmeticFloat32(op, f, any(a).([]float32), any(c).([]float32))
	}
	half := 0.5
	isFloat := T(half) != 0
	if !isFloat && op == backends.OpTypeDiv {
		return false
	}
	n := len(out)
	switch {
	case len(a) == n && len(c) == n:
		a, c = a[:n], c[:n]
		switch op {
		case backends.OpTypeAdd:
			for i := range out {
				out[i] = a[i] + c[i]
			}
		case backends.OpTypeSub:
			for i := range out {
				out[i] = a[i] - c[i]
			}
		case backends.OpTypeMul:
			for i := range out {
				out[i] = a[i] * c[i]
			}
		case backends.OpTypeDiv:
			for i := range out {
				out[i] = a[i] / c[i]
			}
		default:
			return false
		}
	case len(c) == 1 && len(a) == n:
		y := c[0]
		a = a[:n]
		switch op {
		case backends.OpTypeAdd:
			for i, x := range a {
				out[i] = x + y
			}
		case backends.OpTypeSub:
			for i, x := range a {
				out[i] = x - y
			}
		case backends.OpTypeMul:
			for i, x := range a {
				out[i] = x * y
			}
		case backends.OpTypeDiv:
			for i, x := range a {
				out[i] = x / y
			}
		default:
			return false
		}
	case len(a) == 1 && len(c) == n:
		x := a[0]
		c = c[:n]
		switch op {
		case backends.OpTypeAdd:
			for i, y := range c {
				out[i] = x + y
			}
		case backends.OpTypeSub:
			for i, y := range c {
				out[i] = x - y
			}
		case backends.OpTypeMul:
			for i, y := range c {
				out[i] = x * y
			}
		case backends.OpTypeDiv:
			for i, y := range c {
				out[i] = x / y
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// vecOp returns package vec's form of the arithmetic op, and whether op
// is one of the four it has.
func vecOp(op backends.OpType) (vec.Op, bool) {
	switch op {
	case backends.OpTypeAdd:
		return vec.Add, true
	case backends.OpTypeSub:
		return vec.Sub, true
	case backends.OpTypeMul:
		return vec.Mul, true
	case backends.OpTypeDiv:
		return vec.Div, true
	}
	return 0, false
}

// arithmeticFloat32 is arithmetic for float32, in package vec's assembly
// where the CPU has AVX (bit-identical to the plain loops).
func arithmeticFloat32(op backends.OpType, out, a, c []float32) bool {
	v, ok := vecOp(op)
	if !ok {
		return false
	}
	n := len(out)
	switch {
	case len(a) == n && len(c) == n:
		vec.Vectors(v, out, a, c)
	case len(c) == 1 && len(a) == n:
		vec.VectorScalar(v, out, a, c[0])
	case len(a) == 1 && len(c) == n:
		vec.ScalarVector(v, out, a[0], c)
	default:
		return false
	}
	return true
}

// div divides; an integer division by zero gives -1, as in XLA.
func div[T number](x, y T) T {
	half := 0.5
	if y == 0 && T(half) == 0 {
		minusOne := -1
		return T(minusOne)
	}
	return x / y
}

func binaryBool(op backends.OpType, out, a, c []bool) error {
	switch op {
	case backends.OpTypeLogicalAnd:
		mapBinary(out, a, c, func(x, y bool) bool { return x && y })
	case backends.OpTypeLogicalOr:
		mapBinary(out, a, c, func(x, y bool) bool { return x || y })
	case backends.OpTypeLogicalXor:
		mapBinary(out, a, c, func(x, y bool) bool { return x != y })
	default:
		return fmt.Errorf("%s of booleans is not implemented", op)
	}
	return nil
}

// mapBinary sets out[i] = f(a[i], c[i]), a one-element a or c standing for
// every i. It is one small loop, so the compiler inlines it, and f in it,
// into each caller: an indirect call per element costs more than a
// comparison.
func mapBinary[T, R any](out []R, a, c []T, f func(x, y T) R) {
	sa, sc := min(len(a)-1, 1), min(len(c)-1, 1) // 0: a scalar
	for i := range out {
		out[i] = f(a[i*sa], c[i*sc])
	}
}

func execCompare(b *Backend, n *node, in []*Buffer, out *Buffer) error {
	a, ta := b.operand(in[0], out.shape)
	c, tc := b.operand(in[1], out.shape)
	var err error
	b.parallel(out.shape.Size(), elementwiseChunk, func(lo, hi int) {
		o := out.flat.([]bool)[lo:hi]
		var e error
		switch av := a.(type) {
		case []float32:
			e = compare(n.op, o, part(av, lo, hi), part(c.([]float32), lo, hi))
		case []float64:
			e = compare(n.op, o, part(av, lo, hi), part(c.([]float64), lo, hi))
		case []int32:
			e = compare(n.op, o, part(av, lo, hi), part(c.([]int32), lo, hi))
		case []int64:
			e = compare(n.op, o, part(av, lo, hi), part(c.([]int64), lo, hi))
		case []uint8:
			e = compare(n.op, o, part(av, lo, hi), part(c.([]uint8), lo, hi))
		case []bool:
			if n.op != backends.OpTypeEqual && n.op != backends.OpTypeNotEqual {
				e = fmt.Errorf("%s of booleans", n.op)
				break
			}
			ne := n.op == backends.OpTypeNotEqual
			mapBinary(o, part(av, lo, hi), part(c.([]bool), lo, hi), func(x, y bool) bool { return (x == y) != ne })
		}
		if e != nil && lo == 0 {
			err = e
		}
	})
	b.release(a, ta)
	b.release(c, tc)
	return err
}

func compare[T number](op backends.OpType, out []bool, a, c []T) error {
	switch op {
	case backends.OpTypeEqual:
		mapBinary(out, a, c, func(x, y T) bool { return x == y })
	case backends.OpTypeNotEqual:
		mapBinary(out, a, c, func(x, y T) bool { return x != y })
	case backends.OpTypeLessThan:
		mapBinary(out, a, c, func(x, y T) bool { return x < y })
	case backends.OpTypeLessOrEqual:
		mapBinary(out, a, c, func(x, y T) bool { return x <= y })
	case backends.OpTypeGreaterThan:
		mapBinary(out, a, c, func(x, y T) bool { return x > y })
	case backends.OpTypeGreaterOrEqual:
		mapBinary(out, a, c, func(x, y T) bool { return x >= y })
	default:
		return fmt.Errorf("%s is not a comparison", op)
	}
	return nil
}

func execWhere(b *Backend, _ *node, in []*Buffer, out *Buffer) error {
	cond := in[0].flat.([]bool)
	switch elemSize(out.flat) {
	case 1:
		where(cond, raw[uint8](in[1].flat), raw[uint8](in[2].flat), raw[uint8](out.flat))
	case 4:
		where(cond, raw[uint32](in[1].flat), raw[uint32](in[2].flat), raw[uint32](out.flat))
	default:
		where(cond, raw[uint64](in[1].flat), raw[uint64](in[2].flat), raw[uint64](out.flat))
	}
	return nil
}

func where[T any](cond []bool, t, f, out []T) {
	at := func(v []T, i int) T {
		if len(v) == 1 {
			return v[0]
		}
		return v[i]
	}
	for i := range out {
		c := cond[0]
		if len(cond) > 1 {
			c = cond[i]
		}
		if c {
			out[i] = at(t, i)
		} else {
			out[i] = at(f, i)
		}
	}
}

func execConvert(b *Backend, _ *node, in []*Buffer, out *Buffer) error {
	if in[0].shape.DType == out.shape.DType {
		copyFlat(out.flat, in[0].flat)
		return nil
	}
	switch o := out.flat.(type) {
	case []float32:
		if x, ok := in[0].flat.([]bool); ok { // masks: LeakyReLU's, max-pool's
			b.parallel(len(o), elementwiseChunk, func(lo, hi int) { boolsToFloat32(o[lo:hi], x[lo:hi]) })
			return nil
		}
		return convertTo(o, in[0].flat)
	case []float64:
		return convertTo(o, in[0].flat)
	case []int32:
		return convertTo(o, in[0].flat)
	case []int64:
		return convertTo(o, in[0].flat)
	case []uint8:
		return convertTo(o, in[0].flat)
	case []bool:
		switch x := in[0].flat.(type) {
		case []float32:
			toBool(o, x)
		case []float64:
			toBool(o, x)
		case []int32:
			toBool(o, x)
		case []int64:
			toBool(o, x)
		case []uint8:
			toBool(o, x)
		}
	}
	return nil
}

// boolsToFloat32 sets out[i] to 1 or 0: a Go bool is one byte, 0 or 1, and
// its product with the bits of 1.0 are the bits of the result, so there is
// no conversion per element.
func boolsToFloat32(out []float32, x []bool) {
	bits := raw[uint8](x)
	bits = bits[:len(out)]
	for i, v := range bits {
		out[i] = math.Float32frombits(uint32(v) * 0x3f800000)
	}
}

func toBool[T number](out []bool, x []T) {
	x = x[:len(out)]
	for i, v := range x {
		out[i] = v != 0
	}
}

func convertTo[R number](out []R, flat any) error {
	switch x := flat.(type) {
	case []float32:
		convertSlice(out, x)
	case []float64:
		convertSlice(out, x)
	case []int32:
		convertSlice(out, x)
	case []int64:
		convertSlice(out, x)
	case []uint8:
		convertSlice(out, x)
	case []bool:
		bits := raw[uint8](x)
		bits = bits[:len(out)]
		for i, v := range bits { // a Go bool is one byte, 0 or 1
			out[i] = R(v)
		}
	default:
		return fmt.Errorf("conversion from %T", flat)
	}
	return nil
}

func convertSlice[R, T number](out []R, x []T) {
	x = x[:len(out)]
	for i, v := range x {
		out[i] = R(v)
	}
}
