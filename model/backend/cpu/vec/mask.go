package vec

// Pred is a comparison of two floats, with Go's semantics: every
// comparison with a NaN is false but NotEqual, which is true.
type Pred int

// The comparisons.
const (
	Equal Pred = iota
	NotEqual
	Less
	LessOrEqual
	Greater
	GreaterOrEqual
)

// Mask sets out[i] to 1 where a[i] pred b[i] holds and to +0 elsewhere —
// a comparison and its conversion to float32 in one pass (the masks of
// LeakyReLU and max-pooling). a and b must be at least as long as out.
func Mask(pred Pred, out, a, b []float32) {
	n := len(out)
	a, b = a[:n], b[:n]
	if n >= minAsm && haveAVX {
		maskAVX(pred, &out[0], &a[0], &b[0], n, false)
		return
	}
	for i := range out {
		out[i] = one(holds(pred, a[i], b[i]))
	}
}

// MaskScalar sets out[i] to 1 where a[i] pred s holds and to +0
// elsewhere. a must be at least as long as out.
func MaskScalar(pred Pred, out, a []float32, s float32) {
	n := len(out)
	a = a[:n]
	if n >= minAsm && haveAVX {
		maskAVX(pred, &out[0], &a[0], &s, n, true)
		return
	}
	for i := range out {
		out[i] = one(holds(pred, a[i], s))
	}
}

func holds(pred Pred, x, y float32) bool {
	switch pred {
	case Equal:
		return x == y
	case NotEqual:
		return x != y
	case Less:
		return x < y
	case LessOrEqual:
		return x <= y
	case Greater:
		return x > y
	case GreaterOrEqual:
		return x >= y
	}
	panic("vec: unknown comparison")
}

func one(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
