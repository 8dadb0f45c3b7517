package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestFusionBitIdentical runs elementwise chains of the kinds the networks
// have (LeakyReLU's mask and product, batch norm's normalisation, a loss's
// unary chain, max-pooling's pick) with fusion and with fusion=off, and
// requires every output bit for bit equal: sizes that are and are not a
// multiple of the chunk, inputs that die in the chain (written over in
// place), a link used twice (not fused), an output in mid-chain, and
// chains below the fusion threshold.
func TestFusionBitIdentical(t *testing.T) {
	fused, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := New("fusion=off")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		name string
		fn   func(x, y *Node) []*Node
	}{
		{"leaky-relu", func(x, _ *Node) []*Node {
			mask := AddScalar(MulScalar(ConvertDType(GreaterThan(x, ScalarZero(x.Graph(), x.DType())), x.DType()), 0.99), 0.01)
			return []*Node{Mul(x, StopGradient(mask))}
		}},
		{"batch-norm", func(x, y *Node) []*Node {
			return []*Node{Div(Sub(x, y), Sqrt(AddScalar(Abs(y), 1e-5)))}
		}},
		{"unary-chain", func(x, _ *Node) []*Node {
			return []*Node{Neg(Log1p(Exp(Neg(Abs(x)))))}
		}},
		{"scalar-left-and-pick", func(x, y *Node) []*Node {
			pick := ConvertDType(GreaterOrEqual(x, y), x.DType())
			return []*Node{Add(y, Mul(pick, Sub(x, y))), Sub(Scalar(x.Graph(), x.DType(), 2), Mul(x, x))}
		}},
		{"shared-link", func(x, y *Node) []*Node {
			s := Mul(x, y)
			return []*Node{Add(Exp(s), s), Neg(s)}
		}},
		{"output-mid-chain", func(x, y *Node) []*Node {
			s := Sub(x, y)
			return []*Node{s, MulScalar(Abs(s), 3)}
		}},
	}
	for _, size := range []int{100352 * 8, 3*fuseChunk + 5, minFuse - 1, 5*minFuse + 1} {
		x, y := tensors.FromShape(shapes.Make(dtypes.Float32, size)), tensors.FromShape(shapes.Make(dtypes.Float32, size))
		x.MutableFlatData(func(flat any) {
			for i := range flat.([]float32) {
				flat.([]float32)[i] = float32(r.NormFloat64())
			}
		})
		y.MutableFlatData(func(flat any) {
			for i := range flat.([]float32) {
				flat.([]float32)[i] = float32(r.NormFloat64())
			}
		})
		for _, c := range cases {
			var results [2][]*tensors.Tensor
			for i, be := range []*Backend{fused, plain} {
				exec, err := NewExec(be, func(in []*Node) []*Node { return c.fn(in[0], in[1]) })
				if err != nil {
					t.Fatal(err)
				}
				xc, err := x.LocalClone()
				if err != nil {
					t.Fatal(err)
				}
				yc, err := y.LocalClone()
				if err != nil {
					t.Fatal(err)
				}
				results[i], err = exec.Exec(xc, yc)
				if err != nil {
					t.Fatalf("%s, size %d: %v", c.name, size, err)
				}
			}
			for k := range results[0] {
				results[0][k].ToLocal()
				results[1][k].ToLocal()
				a, b := results[0][k].Value().([]float32), results[1][k].Value().([]float32)
				for i := range a {
					if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
						t.Fatalf("%s, size %d, output %d: element %d fused %g, unfused %g", c.name, size, k, i, a[i], b[i])
					}
				}
			}
		}
	}
}

// TestFuseGroups checks which nodes the compiler groups: LeakyReLU's mask
// chain becomes one group; a node read twice and an output stay whole;
// a chain below the threshold is not fused.
func TestFuseGroups(t *testing.T) {
	be, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	compile := func(size int, build func(b *Builder, x backends.Op) []backends.Op) *Executable {
		t.Helper()
		bld := be.Builder("t").(*Builder)
		x, err := bld.Parameter("x", shapes.Make(dtypes.Float32, size), nil)
		if err != nil {
			t.Fatal(err)
		}
		exe, err := bld.Compile(build(bld, x), nil)
		if err != nil {
			t.Fatal(err)
		}
		return exe.(*Executable)
	}
	must := func(op backends.Op, err error) backends.Op {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	leaky := func(b *Builder, x backends.Op) []backends.Op {
		zero := must(b.Constant([]float32{0}))
		mask := must(b.ConvertDType(must(b.GreaterThan(x, zero)), dtypes.Float32))
		mask = must(b.Add(must(b.Mul(mask, must(b.Constant([]float32{0.99})))), must(b.Constant([]float32{0.01}))))
		return []backends.Op{must(b.Mul(x, mask))}
	}
	e := compile(minFuse, leaky)
	if len(e.groups) != 1 {
		t.Fatalf("LeakyReLU: %d groups, want 1", len(e.groups))
	}
	for _, g := range e.groups {
		if len(g) != 5 || g[len(g)-1].op != backends.OpTypeMul {
			t.Errorf("LeakyReLU's group: %d members ending in %s, want 5 ending in Mul", len(g), g[len(g)-1].op)
		}
	}
	if e := compile(minFuse-1, leaky); len(e.groups) != 0 {
		t.Errorf("below the threshold: %d groups, want none", len(e.groups))
	}
	shared := func(b *Builder, x backends.Op) []backends.Op {
		s := must(b.Neg(x))                        // read twice: materialised
		return []backends.Op{must(b.Add(s, s)), s} // and an output
	}
	if e := compile(minFuse, shared); len(e.groups) != 0 {
		t.Errorf("a node read twice was fused: %d groups", len(e.groups))
	}
}
