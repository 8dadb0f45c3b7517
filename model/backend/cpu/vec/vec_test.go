package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// values returns n floats with zeros, negative zero, infinities, NaN,
// subnormals and ordinary numbers mixed in.
func values(r *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-40, -1e-40, math.MaxFloat32, 1, -1}
	v := make([]float32, n)
	for i := range v {
		if r.IntN(8) == 0 {
			v[i] = special[r.IntN(len(special))]
		} else {
			v[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
		}
	}
	return v
}

// same reports whether x and y are the same float32, any NaN equal to any NaN.
func same(x, y float32) bool {
	return math.Float32bits(x) == math.Float32bits(y) || x != x && y != y
}

// TestSameAsGo checks every operation and form against the plain Go loops
// bit for bit, at every length around the assembly's block sizes, in place
// and not.
func TestSameAsGo(t *testing.T) {
	if !haveAVX {
		t.Skip("no AVX here: the Go loops are all there is to compare")
	}
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 39, 40, 63, 64, 65, 100, 127, 128, 129, 1000, 4099}
	ops := []struct {
		op   Op
		name string
	}{{Add, "add"}, {Sub, "sub"}, {Mul, "mul"}, {Div, "div"}}
	for _, o := range ops {
		for _, n := range lengths {
			a, b := values(r, n), values(r, n)
			s := values(r, 1)[0]
			check := func(form string, got, want []float32) {
				t.Helper()
				for i := range want {
					if !same(got[i], want[i]) {
						t.Fatalf("%s %s n=%d: element %d = %v, want %v", o.name, form, n, i, got[i], want[i])
					}
				}
			}
			want, got := make([]float32, n), make([]float32, n)
			vectorsGo(o.op, want, a, b)
			Vectors(o.op, got, a, b)
			check("vectors", got, want)
			inPlace := append([]float32(nil), a...)
			Vectors(o.op, inPlace, inPlace, b)
			check("vectors in place of a", inPlace, want)
			inPlace = append([]float32(nil), b...)
			Vectors(o.op, inPlace, a, inPlace)
			check("vectors in place of b", inPlace, want)

			vectorScalarGo(o.op, want, a, s)
			VectorScalar(o.op, got, a, s)
			check("vector-scalar", got, want)
			inPlace = append([]float32(nil), a...)
			VectorScalar(o.op, inPlace, inPlace, s)
			check("vector-scalar in place", inPlace, want)

			scalarVectorGo(o.op, want, s, b)
			ScalarVector(o.op, got, s, b)
			check("scalar-vector", got, want)
			inPlace = append([]float32(nil), b...)
			ScalarVector(o.op, inPlace, s, inPlace)
			check("scalar-vector in place", inPlace, want)
		}
	}
}

// TestNegateSameAsGo checks Negate against Go's unary minus bit for bit,
// zeros and infinities included (a NaN must stay a NaN), at every length
// around the assembly's block sizes, in place and not.
func TestNegateSameAsGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, math.SmallestNonzeroFloat32}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 100, 4099} {
		a := values(r, n)
		copy(a, special)                          // in the wide blocks
		copy(a[max(0, n-len(special)):], special) // and in the assembly's one-at-a-time tail
		got := make([]float32, n)
		Negate(got, a)
		inPlace := append([]float32(nil), a...)
		Negate(inPlace, inPlace)
		for i, x := range a {
			want := -x
			for _, v := range []float32{got[i], inPlace[i]} {
				if x != x {
					if v == v {
						t.Fatalf("n=%d: element %d: −NaN = %v", n, i, v)
					}
				} else if math.Float32bits(v) != math.Float32bits(want) {
					t.Fatalf("n=%d: element %d: −%v = %v, want %v", n, i, x, v, want)
				}
			}
		}
	}
}

// TestShorterOut: only len(out) elements are written or read.
func TestShorterOut(t *testing.T) {
	a := make([]float32, 100)
	for i := range a {
		a[i] = float32(i)
	}
	out := make([]float32, 101)
	out[40] = -7
	Vectors(Add, out[:40], a, a)
	VectorScalar(Mul, out[:40], out[:40], 2)
	if out[39] != 39*4 || out[40] != -7 {
		t.Errorf("out[39], out[40] = %v, %v; want 156, -7 (untouched)", out[39], out[40])
	}
}

func BenchmarkVectors(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 14, 1 << 20} {
		r := rand.New(rand.NewPCG(1, 2))
		x, y, out := values(r, n), values(r, n), make([]float32, n)
		b.Run("asm/"+itoa(n), func(b *testing.B) {
			b.SetBytes(int64(12 * n))
			for b.Loop() {
				Vectors(Mul, out, x, y)
			}
		})
		b.Run("go/"+itoa(n), func(b *testing.B) {
			b.SetBytes(int64(12 * n))
			for b.Loop() {
				vectorsGo(Mul, out, x, y)
			}
		})
	}
}

func itoa(n int) string {
	switch n {
	case 1 << 10:
		return "1K"
	case 1 << 14:
		return "16K"
	}
	return "1M"
}

// TestMaskSameAsGo checks the masks' assembly against Go's comparisons,
// every predicate, both forms, on lengths around the vector width and on
// NaN, ±0, ±Inf and subnormals.
func TestMaskSameAsGo(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	special := []float32{float32(math.NaN()), 0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)),
		float32(math.Inf(-1)), 1e-40, -1e-40}
	draw := func() float32 {
		if r.IntN(3) == 0 {
			return special[r.IntN(len(special))]
		}
		return float32(r.IntN(5) - 2) // ties are common
	}
	for pred := Equal; pred <= GreaterOrEqual; pred++ {
		for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 33, 100, 1000} {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i], b[i] = draw(), draw()
			}
			for _, s := range special {
				got, gotS := make([]float32, n), make([]float32, n)
				Mask(pred, got, a, b)
				MaskScalar(pred, gotS, a, s)
				for i := range a {
					if want := one(holds(pred, a[i], b[i])); math.Float32bits(got[i]) != math.Float32bits(want) {
						t.Fatalf("pred %d n %d: Mask(%g, %g) = %g, want %g", pred, n, a[i], b[i], got[i], want)
					}
					if want := one(holds(pred, a[i], s)); math.Float32bits(gotS[i]) != math.Float32bits(want) {
						t.Fatalf("pred %d n %d: MaskScalar(%g, %g) = %g, want %g", pred, n, a[i], s, gotS[i], want)
					}
				}
			}
		}
	}
	// the Go side of the reference: its semantics, not only its agreement
	nan := float32(math.NaN())
	for _, c := range []struct {
		pred Pred
		x, y float32
		want bool
	}{{Equal, nan, nan, false}, {NotEqual, nan, nan, true}, {Less, nan, 1, false}, {GreaterOrEqual, 1, nan, false},
		{Equal, 0, float32(math.Copysign(0, -1)), true}, {Greater, 1e-40, 0, true}} {
		if holds(c.pred, c.x, c.y) != c.want {
			t.Errorf("holds(%d, %g, %g) = %v", c.pred, c.x, c.y, !c.want)
		}
	}
}
