package vec

// The mask routines (mask_amd64.s): n ≥ 1; for the VS forms s points at
// the scalar.

//go:noescape
func maskEqualVV(out, a, b *float32, n int)

//go:noescape
func maskEqualVS(out, a, b *float32, n int)

//go:noescape
func maskNotEqualVV(out, a, b *float32, n int)

//go:noescape
func maskNotEqualVS(out, a, b *float32, n int)

//go:noescape
func maskLessVV(out, a, b *float32, n int)

//go:noescape
func maskLessVS(out, a, b *float32, n int)

//go:noescape
func maskLessOrEqualVV(out, a, b *float32, n int)

//go:noescape
func maskLessOrEqualVS(out, a, b *float32, n int)

//go:noescape
func maskGreaterVV(out, a, b *float32, n int)

//go:noescape
func maskGreaterVS(out, a, b *float32, n int)

//go:noescape
func maskGreaterOrEqualVV(out, a, b *float32, n int)

//go:noescape
func maskGreaterOrEqualVS(out, a, b *float32, n int)

func maskAVX(pred Pred, out, a, b *float32, n int, scalar bool) {
	type forms struct {
		vv, vs func(out, a, b *float32, n int)
	}
	var f forms
	switch pred {
	case Equal:
		f = forms{maskEqualVV, maskEqualVS}
	case NotEqual:
		f = forms{maskNotEqualVV, maskNotEqualVS}
	case Less:
		f = forms{maskLessVV, maskLessVS}
	case LessOrEqual:
		f = forms{maskLessOrEqualVV, maskLessOrEqualVS}
	case Greater:
		f = forms{maskGreaterVV, maskGreaterVS}
	case GreaterOrEqual:
		f = forms{maskGreaterOrEqualVV, maskGreaterOrEqualVS}
	default:
		panic("vec: unknown comparison")
	}
	if scalar {
		f.vs(out, a, b, n)
		return
	}
	f.vv(out, a, b, n)
}
