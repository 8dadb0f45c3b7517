package model

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/model/nn"
)

func goBackend(t *testing.T) *backend.Backend {
	t.Helper()
	b, err := backend.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exec(t *testing.T, b *backend.Backend, fn func([]*Node) []*Node, args ...any) [][]float32 {
	t.Helper()
	e, err := NewExec(b, fn)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(res))
	for i, r := range res {
		out[i] = tensors.MustCopyFlatData[float32](r)
	}
	return out
}

// TestMine checks contamination mining on latents built by hand: the
// samples least similar to the generated ones are mined, ties go to the
// lower index, and each calibrate target is the generated image whose latent
// is nearest.
func TestMine(t *testing.T) {
	b := goBackend(t)
	// Generated latents point along +x and +y; real latents at angles to them.
	zg := [][]float32{{1, 0}, {0, 1}}
	z := [][]float32{
		{1, 0.1}, // near +x
		{-1, 0},  // opposite +x: least similar on average
		{0.1, 1}, // near +y
		{0, -1},  // opposite +y: tied lowest with sample 1
		{1, 1},   // between
	}
	xg := [][][][]float32{{{{0.25}}}, {{{0.75}}}} // two 1×1 "images"
	got := exec(t, b, func(in []*Node) []*Node {
		mask, target := mine(in[0], in[1], in[2], ZerosLike(Slice(in[0], AxisRange(), AxisElem(0))), 2, MiningCosine)
		return []*Node{mask, target}
	}, z, zg, xg)
	if want := []float32{0, 1, 0, 1, 0}; !equal(got[0], want) {
		t.Errorf("mined mask %v, want %v", got[0], want)
	}
	// Nearest by cosine, the first on ties: −x is nearer +y (0) than +x (−1);
	// −y is nearer +x; (1, 1) is equally near both.
	want := []float32{0.25, 0.75, 0.75, 0.25, 0.25}
	if !equal(got[1], want) {
		t.Errorf("calibrate targets %v, want %v", got[1], want)
	}
	// k = 1: of the tied pair the lower index wins.
	got = exec(t, b, func(in []*Node) []*Node {
		mask, _ := mine(in[0], in[1], in[2], ZerosLike(Slice(in[0], AxisRange(), AxisElem(0))), 1, MiningCosine)
		return []*Node{mask}
	}, z, zg, xg)
	if want := []float32{0, 1, 0, 0, 0}; !equal(got[0], want) {
		t.Errorf("k=1 mask %v, want %v", got[0], want)
	}
	// The variants: the generated centre is (0.5, 0.5); the farthest latents
	// from it are samples 1 and 3 (−1, 0) and (0, −1); by reconstruction
	// error the largest errors lose.
	errs := []float32{0.1, 0.2, 0.9, 0.3, 0.8}
	got = exec(t, b, func(in []*Node) []*Node {
		euclid, _ := mine(in[0], in[1], in[2], in[3], 2, MiningEuclidean)
		recon, _ := mine(in[0], in[1], in[2], in[3], 2, MiningReconstruction)
		return []*Node{euclid, recon}
	}, z, zg, xg, errs)
	if want := []float32{0, 1, 0, 1, 0}; !equal(got[0], want) {
		t.Errorf("euclidean mask %v, want %v", got[0], want)
	}
	if want := []float32{0, 0, 1, 0, 1}; !equal(got[1], want) {
		t.Errorf("reconstruction mask %v, want %v", got[1], want)
	}
}

func TestUpdateMu(t *testing.T) {
	b := goBackend(t)
	mu := []float32{1, -1}
	z := [][]float32{{0, 0}, {2, -4}} // mean (1, −2)
	got := exec(t, b, func(in []*Node) []*Node {
		return []*Node{updateMu(in[0], in[1], in[2], false), updateMu(in[0], in[1], in[2], true)}
	}, mu, z, float32(0.5))
	// per dimension: μ − 0.5·(μ − mean) = (1, −1.5); scalar: mean(μ − mean) = (0 + 1)/2 = 0.5 → μ − 0.25.
	if want := []float32{1, -1.5}; !equal(got[0], want) {
		t.Errorf("per-dimension μ %v, want %v", got[0], want)
	}
	if want := []float32{0.75, -1.25}; !equal(got[1], want) {
		t.Errorf("scalar μ %v, want %v", got[1], want)
	}
}

// TestBatchNorm checks PyTorch's semantics: batch statistics with biased
// variance in training, running statistics updated with momentum 0.1 and
// the unbiased variance, running statistics used at inference.
func TestBatchNorm(t *testing.T) {
	b := goBackend(t)
	seq := nn.Seq{nn.BatchNorm}
	var l nn.Layout
	if _, err := seq.Declare(&l, "bn/", []int{1}); err != nil {
		t.Fatal(err)
	}
	x := [][]float32{{1}, {2}, {3}, {6}} // mean 3, biased var 3.5, unbiased 14/3
	got := exec(t, b, func(in []*Node) []*Node {
		vars := nn.Vars{"bn/0.bn.mean": in[0], "bn/0.bn.var": in[1]}
		updates := nn.Vars{}
		train := seq.Apply(&nn.Frame{Vars: vars, Train: true, Updates: updates}, "bn/", in[2])
		eval := seq.Apply(&nn.Frame{Vars: vars}, "bn/", in[2])
		return []*Node{train, updates["bn/0.bn.mean"], updates["bn/0.bn.var"], eval}
	}, []float32{0}, []float32{1}, x)
	sd := math.Sqrt(3.5 + nn.BNEps)
	for i, v := range []float64{1, 2, 3, 6} {
		if d := math.Abs(float64(got[0][i]) - (v-3)/sd); d > 1e-6 {
			t.Errorf("train output %d = %v, want %v", i, got[0][i], (v-3)/sd)
		}
	}
	if math.Abs(float64(got[1][0])-0.3) > 1e-6 || math.Abs(float64(got[2][0])-(0.9+0.1*14.0/3)) > 1e-6 {
		t.Errorf("running mean %v var %v, want 0.3 and %v", got[1][0], got[2][0], 0.9+0.1*14.0/3)
	}
	for i, v := range []float64{1, 2, 3, 6} {
		if d := math.Abs(float64(got[3][i]) - v/math.Sqrt(1+nn.BNEps)); d > 1e-6 {
			t.Errorf("eval output %d = %v, want %v", i, got[3][i], v/math.Sqrt(1+nn.BNEps))
		}
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}
