// Package vec computes elementwise float32 arithmetic — out = a op b for
// op one of +, −, ×, ÷, with either operand possibly one scalar, out = −a,
// and comparisons as float32 masks of 1 and 0 — in AVX assembly on amd64
// CPUs that have it and in plain Go elsewhere.
//
// Every result is bit-for-bit the one plain Go computes: each element is
// one IEEE-754 single-precision operation, correctly rounded whichever
// instruction computes it (only the payload of a NaN may differ). out may
// be a or b (an operation in place), but must not overlap them otherwise.
package vec

import "math"

// Op is an arithmetic operation.
type Op int

// The operations.
const (
	Add Op = iota
	Sub
	Mul
	Div
)

// Vectors sets out[i] = a[i] op b[i]. a and b must be at least as long as
// out.
func Vectors(op Op, out, a, b []float32) {
	n := len(out)
	a, b = a[:n], b[:n]
	if n >= minAsm && haveAVX {
		vectorsAVX(op, &out[0], &a[0], &b[0], n)
		return
	}
	vectorsGo(op, out, a, b)
}

// VectorScalar sets out[i] = a[i] op s. a must be at least as long as out.
func VectorScalar(op Op, out, a []float32, s float32) {
	n := len(out)
	a = a[:n]
	if n >= minAsm && haveAVX {
		vectorScalarAVX(op, &out[0], &a[0], s, n)
		return
	}
	vectorScalarGo(op, out, a, s)
}

// ScalarVector sets out[i] = s op b[i]. b must be at least as long as out.
func ScalarVector(op Op, out []float32, s float32, b []float32) {
	n := len(out)
	b = b[:n]
	if n >= minAsm && haveAVX {
		scalarVectorAVX(op, &out[0], s, &b[0], n)
		return
	}
	scalarVectorGo(op, out, s, b)
}

// Negate sets out[i] = −a[i], computed as −0 − a[i]: the same bits as Go's
// unary minus for every number, zeros and infinities included; a NaN stays
// a NaN (its sign is not flipped, which the package allows of a NaN's
// payload). a must be at least as long as out.
func Negate(out, a []float32) {
	ScalarVector(Sub, out, negativeZero, a)
}

// negativeZero is −0, the subtraction that negates.
var negativeZero = float32(math.Copysign(0, -1))

// minAsm is the length from which the assembly is called; below it the
// call costs more than it saves.
const minAsm = 16

func vectorsGo(op Op, out, a, b []float32) {
	switch op {
	case Add:
		for i := range out {
			out[i] = a[i] + b[i]
		}
	case Sub:
		for i := range out {
			out[i] = a[i] - b[i]
		}
	case Mul:
		for i := range out {
			out[i] = a[i] * b[i]
		}
	case Div:
		for i := range out {
			out[i] = a[i] / b[i]
		}
	default:
		panic("vec: unknown operation")
	}
}

func vectorScalarGo(op Op, out, a []float32, s float32) {
	switch op {
	case Add:
		for i, x := range a {
			out[i] = x + s
		}
	case Sub:
		for i, x := range a {
			out[i] = x - s
		}
	case Mul:
		for i, x := range a {
			out[i] = x * s
		}
	case Div:
		for i, x := range a {
			out[i] = x / s
		}
	default:
		panic("vec: unknown operation")
	}
}

func scalarVectorGo(op Op, out []float32, s float32, b []float32) {
	switch op {
	case Add:
		for i, y := range b {
			out[i] = s + y
		}
	case Sub:
		for i, y := range b {
			out[i] = s - y
		}
	case Mul:
		for i, y := range b {
			out[i] = s * y
		}
	case Div:
		for i, y := range b {
			out[i] = s / y
		}
	default:
		panic("vec: unknown operation")
	}
}
