package roc

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// bruteAUC counts pairs directly: the definition the rank formula must equal.
func bruteAUC(scores []float64, positive []bool) float64 {
	var wins, pairs float64
	for i := range scores {
		if !positive[i] {
			continue
		}
		for j := range scores {
			if positive[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				wins++
			case scores[i] == scores[j]:
				wins += 0.5
			}
		}
	}
	return wins / pairs
}

func TestAUCHandComputed(t *testing.T) {
	tests := []struct {
		name     string
		scores   []float64
		positive []bool
		want     float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{1, 1, 1, 1}, []bool{false, true, false, true}, 0.5},
		// Pairs (pos,neg): (0.5,0.1)=1 (0.5,0.5)=½ (0.5,0.7)=0 (0.7,0.1)=1 (0.7,0.5)=1 (0.7,0.7)=½ → 4/6.
		{"ties across classes", []float64{0.1, 0.5, 0.7, 0.5, 0.7}, []bool{false, false, false, true, true}, 4.0 / 6},
		// sklearn.metrics.roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75.
		{"sklearn doc example", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		{"one of each tied", []float64{3, 3}, []bool{true, false}, 0.5},
		{"infinite scores", []float64{math.Inf(-1), 0, math.Inf(1)}, []bool{false, true, true}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AUC(tt.scores, tt.positive)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("AUC = %v, want %v", got, tt.want)
			}
			if b := bruteAUC(tt.scores, tt.positive); math.Abs(got-b) > 1e-15 {
				t.Errorf("AUC = %v, pair count gives %v", got, b)
			}
		})
	}
}

func TestAUCMatchesPairCountWithManyTies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 2 + r.IntN(60)
		scores := make([]float64, n)
		positive := make([]bool, n)
		for i := range scores {
			scores[i] = float64(r.IntN(5)) // heavy ties
			positive[i] = r.IntN(3) == 0
		}
		positive[0], positive[1] = true, false
		got, err := AUC(scores, positive)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteAUC(scores, positive); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: AUC = %v, pair count %v", trial, got, want)
		}
	}
}

func TestAUCErrors(t *testing.T) {
	tests := []struct {
		name     string
		scores   []float64
		positive []bool
	}{
		{"length mismatch", []float64{1, 2}, []bool{true}},
		{"only positives", []float64{1, 2}, []bool{true, true}},
		{"only negatives", []float64{1, 2}, []bool{false, false}},
		{"empty", nil, nil},
		{"NaN", []float64{math.NaN(), 1}, []bool{true, false}},
	}
	for _, tt := range tests {
		if _, err := AUC(tt.scores, tt.positive); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := AUC([]float64{1}, []bool{true}); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: error %v does not wrap ErrOneClass", err)
	}
}

// TestAveragePrecisionMatchesSklearn pins AveragePrecision to
// sklearn.metrics.average_precision_score (Debian's scikit-learn 1.2; the
// inputs come from numpy.random.default_rng(7)).
func TestAveragePrecisionMatchesSklearn(t *testing.T) {
	tests := []struct {
		name     string
		scores   []float64
		positive []bool
		want     float64
	}{
		{"hand", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.8333333333333333},
		{"ties", []float64{0.6, 0.9, 0.8, 0.2, 0.3, 0.9, 0.0, 0.8, 0.8, 0.5, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 1.0, 0.8, 0.6, 1.0, 0.2, 0.2, 0.6, 0.0, 0.0, 0.5, 0.5, 0.9, 0.6, 0.5, 0.5, 0.2, 0.0, 0.2, 0.7, 0.2, 0.4, 0.0, 0.8, 0.2}, []bool{true, false, false, false, false, false, true, false, false, false, false, false, true, false, false, true, false, false, false, false, false, false, false, true, false, true, false, true, false, true, false, false, false, false, true, false, false, false, false, true}, 0.24058441558441557},
		{"random 30", []float64{1.523529, -0.428025, -0.30368, 0.352589, -0.12077, -0.197284, -1.114067, -0.011521, -0.443581, 1.166128, 0.653089, -0.024144, 0.668381, -0.33987, 1.052126, -0.0054, 0.583382, -1.290893, 0.34668, -1.688204, -2.035329, -0.304477, -0.899928, 0.164053, 2.244757, -0.831723, -0.623944, 0.205404, 0.493013, -0.176406}, []bool{false, false, true, false, true, false, false, true, false, false, true, false, false, false, false, false, true, false, true, false, false, false, false, false, false, false, false, false, false, false}, 0.27773078529657474},
	}
	for _, tt := range tests {
		got, err := AveragePrecision(tt.scores, tt.positive)
		if err != nil || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: AveragePrecision = %v, %v; scikit-learn %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := AveragePrecision([]float64{1, 2}, []bool{true, true}); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: %v", err)
	}
	if _, err := AveragePrecision([]float64{1, math.NaN()}, []bool{true, false}); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := AveragePrecision([]float64{1}, []bool{true, false}); err == nil {
		t.Error("length mismatch accepted")
	}
}
