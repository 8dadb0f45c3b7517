package vec

import "golang.org/x/sys/cpu"

// haveAVX is fixed at start-up from the CPU's feature flags.
var haveAVX = cpu.X86.HasAVX

// The assembly routines, one per operation and form (vec_amd64.s): n ≥ 1
// elements, pointers to the first.

//go:noescape
func addVV(out, a, b *float32, n int)

//go:noescape
func subVV(out, a, b *float32, n int)

//go:noescape
func mulVV(out, a, b *float32, n int)

//go:noescape
func divVV(out, a, b *float32, n int)

//go:noescape
func addVS(out, a *float32, s float32, n int)

//go:noescape
func subVS(out, a *float32, s float32, n int)

//go:noescape
func mulVS(out, a *float32, s float32, n int)

//go:noescape
func divVS(out, a *float32, s float32, n int)

//go:noescape
func subSV(out *float32, s float32, b *float32, n int)

//go:noescape
func divSV(out *float32, s float32, b *float32, n int)

func vectorsAVX(op Op, out, a, b *float32, n int) {
	switch op {
	case Add:
		addVV(out, a, b, n)
	case Sub:
		subVV(out, a, b, n)
	case Mul:
		mulVV(out, a, b, n)
	case Div:
		divVV(out, a, b, n)
	default:
		panic("vec: unknown operation")
	}
}

func vectorScalarAVX(op Op, out, a *float32, s float32, n int) {
	switch op {
	case Add:
		addVS(out, a, s, n)
	case Sub:
		subVS(out, a, s, n)
	case Mul:
		mulVS(out, a, s, n)
	case Div:
		divVS(out, a, s, n)
	default:
		panic("vec: unknown operation")
	}
}

// scalarVectorAVX: s + b and s × b are b + s and b × s exactly.
func scalarVectorAVX(op Op, out *float32, s float32, b *float32, n int) {
	switch op {
	case Add:
		addVS(out, b, s, n)
	case Sub:
		subSV(out, s, b, n)
	case Mul:
		mulVS(out, b, s, n)
	case Div:
		divSV(out, s, b, n)
	default:
		panic("vec: unknown operation")
	}
}
