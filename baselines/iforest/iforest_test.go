package iforest

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/roc"
)

// blobs returns n normal samples around grey level 100 and k outliers around
// 200, 8 pixels each, with the outlier flags.
func blobs(n, k int, seed uint64) (protocol.Samples, []bool) {
	r := protocol.NewRand(seed, "blobs")
	s := protocol.Samples{N: n + k, Rows: 2, Cols: 4}
	var flags []bool
	for i := 0; i < n+k; i++ {
		centre := 100
		if i >= n {
			centre = 200
		}
		for p := 0; p < 8; p++ {
			s.Pixels = append(s.Pixels, byte(centre-25+r.IntN(51)))
		}
		flags = append(flags, i >= n)
	}
	return s, flags
}

func TestAveragePathLength(t *testing.T) {
	tests := []struct {
		n    int
		want float64
	}{{0, 0}, {1, 0}, {2, 1}, {3, 2*(math.Log(2)+0.5772156649015329) - 4.0/3}, {256, 10.244770920119917}} // c(256): scikit-learn 1.2 _average_path_length
	for _, tt := range tests {
		if got := averagePathLength(tt.n); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("c(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestSeparatesOutliers(t *testing.T) {
	train, _ := blobs(500, 25, 1)
	test, truth := blobs(300, 30, 2)
	f := New(*DefaultParams(), 7)
	if err := f.Fit(context.Background(), train); err != nil {
		t.Fatal(err)
	}
	scores, err := f.Score(context.Background(), test)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scores {
		if !(s > 0 && s < 1) {
			t.Fatalf("score %v outside (0, 1)", s)
		}
	}
	auc, _ := roc.AUC(scores, truth)
	if auc < 0.98 {
		t.Errorf("AUC %.3f on well separated blobs", auc)
	}
	// Tree heights stay within ⌈log₂ 256⌉ = 8.
	for _, tr := range f.trees {
		for _, n := range tr {
			if n.feature < 0 && n.pathAdd > 8+float32(averagePathLength(256)) {
				t.Fatalf("leaf path %v exceeds the height limit", n.pathAdd)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	train, _ := blobs(400, 20, 3)
	test, _ := blobs(50, 5, 4)
	run := func(seed uint64) []float64 {
		f := New(*DefaultParams(), seed)
		if err := f.Fit(context.Background(), train); err != nil {
			t.Fatal(err)
		}
		s, _ := f.Score(context.Background(), test)
		return s
	}
	a, b, c := run(1), run(1), run(2)
	if !slices.Equal(a, b) {
		t.Error("same seed, different scores")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds, same scores")
	}
}

func TestConstantData(t *testing.T) {
	s := protocol.Samples{N: 50, Rows: 1, Cols: 3, Pixels: make([]byte, 150)}
	f := New(Params{Trees: 3, SubSample: 16}, 1)
	if err := f.Fit(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	scores, err := f.Score(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Every tree is a single leaf holding 16 equal points: E[h] = c(16).
	if want := math.Exp2(-1); math.Abs(scores[0]-want) > 1e-6 {
		t.Errorf("score %v, want %v", scores[0], want)
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []Params{{Trees: 0, SubSample: 256}, {Trees: 10, SubSample: 1}, {Trees: 10, SubSample: 256, MaxDepth: -1}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Error(err)
	}
}

func TestCancel(t *testing.T) {
	train, _ := blobs(400, 20, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New(*DefaultParams(), 1).Fit(ctx, train); err != context.Canceled {
		t.Errorf("Fit on a cancelled context: %v", err)
	}
}
