package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// rowGraph builds, on a backend opened with config, batch norm's pattern:
// the repeated rows R = ones·v and S = ones·w, then x − R, (x − R)/S,
// S·S and R/S on rows alone, their product with x, a row output, and
// ones·v read as a matrix by a transpose; it returns the compiled graph's
// op counts and its outputs for x [n, c], v and w [1, c].
func rowGraph(t *testing.T, config string, n, c int, x, v, w []float32) (map[backends.OpType]int, [][]float32) {
	t.Helper()
	be, err := New(config)
	if err != nil {
		t.Fatal(err)
	}
	bld := be.Builder("rows")
	f32 := dtypes.Float32
	xs, rs := shapes.Make(f32, n, c), shapes.Make(f32, 1, c)
	xp, _ := bld.Parameter("x", xs, nil)
	vp, _ := bld.Parameter("v", rs, nil)
	wp, _ := bld.Parameter("w", rs, nil)
	one, _ := bld.Constant([]float32{1})
	oneS, _ := bld.Reshape(one)
	ones, _ := bld.BroadcastInDim(oneS, shapes.Make(f32, n, 1), nil)
	onesID, _ := bld.Identity(ones) // as StopGradient leaves it
	r0, _ := bld.DotGeneral(onesID, []int{1}, nil, vp, []int{0}, nil)
	r, _ := bld.Identity(r0) // as a custom gradient leaves it
	onesT, _ := bld.BroadcastInDim(oneS, shapes.Make(f32, 1, n), nil)
	s, _ := bld.DotGeneral(onesT, []int{0}, nil, wp, []int{0}, nil) // onesᵀ·w, as a column mean's gradient
	centred, _ := bld.Sub(xp, r)                                    // a row on the right
	normed, _ := bld.Div(centred, s)                                // and again
	ss, _ := bld.Mul(s, s)                                          // rows alone
	half, _ := bld.Constant([]float32{0.5})
	halfS, _ := bld.Reshape(half)
	rs2, _ := bld.Div(r, ss)
	rs3, _ := bld.Mul(rs2, halfS) // a row and a scalar
	neg, _ := bld.Neg(rs3)
	left, _ := bld.Sub(neg, normed) // a row on the left
	tr, _ := bld.Transpose(r, 1, 0) // a matrix reader of R
	sq, _ := bld.Sqrt(ss)           // a row output, written out
	flat, _ := bld.Reshape(s, n*c)  // a reshape to another shape reads the matrix
	// R itself is an output too
	exe, err := bld.Compile([]backends.Op{normed, left, tr, sq, flat, r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[backends.OpType]int{}
	for _, nd := range exe.(*Executable).nodes {
		ops[nd.op]++
	}
	var args []backends.Buffer
	for _, p := range []struct {
		data []float32
		sh   shapes.Shape
	}{{x, xs}, {v, rs}, {w, rs}} {
		buf, err := be.BufferFromFlatData(0, append([]float32(nil), p.data...), p.sh)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, buf)
	}
	outs, err := exe.Execute(args, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var res [][]float32
	for _, o := range outs {
		res = append(res, append([]float32(nil), o.(*Buffer).flat.([]float32)...))
	}
	return ops, res
}

// TestRowFusionBitIdentical checks the row-broadcast rewrite: what it
// compiles (no outer product left but the one a matrix reader needs, one
// pass per row operand) and that every output equals the graph's without
// it bit for bit, −0, NaN and infinities in the rows included, on rows of
// 1, 8, 37 and 1,100 channels (a row block's pattern of whole rows, or of
// one row).
func TestRowFusionBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, c := range []int{1, 8, 37, 1100} {
		n := 3000
		if c > rowBlock {
			n = 60 // blocks of one row each
		}
		x, v, w := make([]float32, n*c), make([]float32, c), make([]float32, c)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		for j := range v {
			v[j], w[j] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		v[0] = float32(math.Copysign(0, -1)) // −0: the outer product gives +0
		if c > 2 {
			v[1], w[2] = float32(math.NaN()), float32(math.Inf(-1))
		}
		name := fmt.Sprintf("%d channels", c)
		ops, got := rowGraph(t, "", n, c, x, v, w)
		want := map[backends.OpType]int{opRowBinary: 3, opRepeatRow: 3, backends.OpTypeDotGeneral: 0, backends.OpTypeBroadcastInDim: 0, backends.OpTypeIdentity: 0}
		for op, k := range want {
			if ops[op] != k {
				t.Fatalf("%s: compiled ops %v: want %d of op %d", name, ops, k, op)
			}
		}
		_, plain := rowGraph(t, "nofuse", n, c, x, v, w)
		for o := range plain {
			for i := range plain[o] {
				if math.Float32bits(got[o][i]) != math.Float32bits(plain[o][i]) {
					t.Fatalf("%s: output %d [%d] = %g, unfused %g", name, o, i, got[o][i], plain[o][i])
				}
			}
		}
	}
}
