package kde

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/ncae-repro/ncae/protocol"
)

func randomSamples(n int, seed uint64) protocol.Samples {
	r := protocol.NewRand(seed, "kde")
	s := protocol.Samples{N: n, Rows: 3, Cols: 3}
	for i := 0; i < n*9; i++ {
		s.Pixels = append(s.Pixels, byte(r.IntN(256)))
	}
	return s
}

// directLogDensity evaluates the Gaussian KDE log density in float64 by the
// textbook formula.
func directLogDensity(x []float64, train []float64, dim int, h float64) float64 {
	n := len(train) / dim
	terms := make([]float64, n)
	mx := math.Inf(-1)
	for j := 0; j < n; j++ {
		var d float64
		for k := 0; k < dim; k++ {
			diff := x[k] - train[j*dim+k]
			d += diff * diff
		}
		terms[j] = -d / (2 * h * h)
		mx = max(mx, terms[j])
	}
	var s float64
	for _, t := range terms {
		s += math.Exp(t - mx)
	}
	return mx + math.Log(s) - math.Log(float64(n)) - float64(dim)/2*math.Log(2*math.Pi*h*h)
}

func TestScoreMatchesDirect(t *testing.T) {
	train, test := randomSamples(40, 1), randomSamples(15, 2)
	for _, h := range []float64{0.05, 0.5, 3} { // 0.05 would underflow without the shift
		k := New(Params{Bandwidths: []float64{h}, Folds: 5})
		if err := k.Fit(context.Background(), train); err != nil {
			t.Fatal(err)
		}
		scores, err := k.Score(context.Background(), test)
		if err != nil {
			t.Fatal(err)
		}
		tr, te := train.Float64(), test.Float64()
		for i, s := range scores {
			want := -directLogDensity(te[i*9:(i+1)*9], tr, 9, h)
			if math.Abs(s-want) > 1e-4*(1+math.Abs(want)) {
				t.Errorf("h=%v sample %d: score %v, want %v", h, i, s, want)
			}
		}
	}
}

func TestCrossValidationMatchesDirect(t *testing.T) {
	train := randomSamples(23, 3) // 23 = 5+5+5+4+4: uneven folds
	x := train.Float64()
	for _, hs := range [][]float64{
		DefaultParams().Bandwidths,    // chain: squared exponentials
		{0.3, 0.45, 0.7, 1.1, 2.5, 4}, // no chain: one exponential each
	} {
		k := New(Params{Bandwidths: hs, Folds: 5})
		if err := k.Fit(context.Background(), train); err != nil {
			t.Fatal(err)
		}
		for b, h := range hs {
			var mean float64
			for _, f := range folds(23, 5) {
				var rest []float64
				rest = append(rest, x[:f[0]*9]...)
				rest = append(rest, x[f[1]*9:]...)
				var total float64
				for i := f[0]; i < f[1]; i++ {
					total += directLogDensity(x[i*9:(i+1)*9], rest, 9, h)
				}
				mean += total / 5
			}
			if got := k.CVScores()[b]; math.Abs(got-mean) > 1e-6*(1+math.Abs(mean)) {
				t.Errorf("h=%v: CV score %v, want %v", h, got, mean)
			}
		}
		best := slices.Index(k.CVScores(), slices.Max(k.CVScores()))
		if k.Bandwidth() != hs[best] {
			t.Errorf("selected %v, the best CV score is at %v", k.Bandwidth(), hs[best])
		}
	}
}

func TestFolds(t *testing.T) {
	got := folds(23, 5)
	want := [][2]int{{0, 5}, {5, 10}, {10, 15}, {15, 19}, {19, 23}}
	if !slices.Equal(got, want) {
		t.Errorf("folds(23, 5) = %v, want %v (scikit-learn's KFold)", got, want)
	}
}

func TestDefaultGrid(t *testing.T) {
	hs := DefaultParams().Bandwidths
	if len(hs) != 10 || math.Abs(hs[0]-math.Sqrt2) > 1e-12 || hs[9] != 32 {
		t.Errorf("default bandwidths %v, want 2^0.5 … 2^5", hs)
	}
	if !newLogSums(hs, 784).chain {
		t.Error("the default grid should use the squaring chain")
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []Params{{Folds: 5}, {Bandwidths: []float64{1, 0}, Folds: 5}, {Bandwidths: []float64{1}, Folds: 1}, {Bandwidths: []float64{math.NaN()}, Folds: 5}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}
