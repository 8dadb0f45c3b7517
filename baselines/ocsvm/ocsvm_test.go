package ocsvm

import (
	"context"
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/ncae-repro/ncae/baselines/internal/pairwise"
	"github.com/ncae-repro/ncae/protocol"
)

// fixture is a small data set reproducible in NumPy (see the expected values).
func fixture() (train, test protocol.Samples) {
	train = protocol.Samples{N: 60, Rows: 3, Cols: 3}
	for i := 0; i < 60; i++ {
		for k := 0; k < 9; k++ {
			train.Pixels = append(train.Pixels, byte((i*37+k*11+(i*i*k)%13)%256))
		}
	}
	test = protocol.Samples{N: 8, Rows: 3, Cols: 3}
	for i := 0; i < 8; i++ {
		for k := 0; k < 9; k++ {
			test.Pixels = append(test.Pixels, byte((i*53+k*7+100)%256))
		}
	}
	return train, test
}

// TestMatchesScikitLearn compares with scikit-learn 1.2.1 (libsvm):
//
//	X = [[((i*37 + k*11 + (i*i*k) % 13) % 256)/255 for k in range(9)] for i in range(60)]
//	T = [[((i*53 + k*7 + 100) % 256)/255 for k in range(9)] for i in range(8)]
//	m = OneClassSVM(kernel='rbf', nu=0.1, gamma=g, tol=1e-6, shrinking=False).fit(X)
//	-m.intercept_, len(m.support_), m.decision_function(T)
func TestMatchesScikitLearn(t *testing.T) {
	tests := []struct {
		gamma float64
		rho   float64
		nSV   int
		dec   []float64
	}{
		{0.5, 2.3178265663, 10, []float64{0.6632783671, 0.4022881408, -0.1741631034, -0.1070523806, 0.5057690442, 0.6534916570, 0.3107731950, -0.1088275132}},
		{4.0, 0.6015950852, 27, []float64{-0.0342970798, -0.0091977797, -0.1382174494, -0.1163746126, -0.0183264913, -0.0350371909, 0.0005160963, -0.0517493699}},
	}
	train, test := fixture()
	for _, tt := range tests {
		o := New(Params{Nu: 0.1, Gammas: []float64{tt.gamma}, Tol: 1e-6})
		if err := o.Fit(context.Background(), train); err != nil {
			t.Fatal(err)
		}
		if math.Abs(o.rho-tt.rho) > 1e-5 || o.sv.Rows != tt.nSV {
			t.Errorf("γ=%v: ρ = %.10f with %d SVs, scikit-learn %.10f with %d", tt.gamma, o.rho, o.sv.Rows, tt.rho, tt.nSV)
		}
		var sum float64
		for _, a := range o.alpha {
			sum += a
		}
		if math.Abs(sum-6) > 1e-9 {
			t.Errorf("Σα = %v, want νn = 6", sum)
		}
		scores, err := o.Score(context.Background(), test)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range scores {
			if math.Abs(-s-tt.dec[i]) > 1e-5 {
				t.Errorf("γ=%v: decision[%d] = %.10f, scikit-learn %.10f", tt.gamma, i, -s, tt.dec[i])
			}
		}
	}
}

// TestKKT checks the optimality conditions of the solution on random data.
func TestKKT(t *testing.T) {
	r := protocol.NewRand(5, "kkt")
	const n, d = 200, 6
	x := pairwise.Matrix{Rows: n, Cols: d, Data: make([]float32, n*d)}
	for i := range x.Data {
		x.Data[i] = float32(r.Float64())
	}
	dist, _ := pairwise.Full(context.Background(), 0, x, x)
	k := make([]float32, n*n)
	for i, v := range dist.Data {
		k[i] = float32(math.Exp(-2 * float64(v)))
	}
	const tol = 1e-4
	kern := newKernel(dist, 0)
	kern.setGamma(2)
	m, err := solve(context.Background(), kern, 0.15, tol, 0)
	if err != nil || !m.converged {
		t.Fatal(err)
	}
	alpha := make([]float64, n)
	for s, i := range m.sv {
		alpha[i] = m.alpha[s]
	}
	var sum float64
	for i := 0; i < n; i++ {
		sum += alpha[i]
		if alpha[i] < 0 || alpha[i] > 1 {
			t.Fatalf("α[%d] = %v outside [0, 1]", i, alpha[i])
		}
		var g float64
		for j := 0; j < n; j++ {
			g += float64(k[i*n+j]) * alpha[j]
		}
		// KKT: αᵢ = 0 ⇒ Gᵢ ≥ ρ; αᵢ = 1 ⇒ Gᵢ ≤ ρ; free ⇒ Gᵢ = ρ (up to tol).
		switch {
		case alpha[i] == 0 && g < m.rho-tol,
			alpha[i] == 1 && g > m.rho+tol,
			alpha[i] > 0 && alpha[i] < 1 && math.Abs(g-m.rho) > tol:
			t.Errorf("KKT violated at %d: α = %v, G = %v, ρ = %v", i, alpha[i], g, m.rho)
		}
	}
	if math.Abs(sum-0.15*n) > 1e-9 {
		t.Errorf("Σα = %v, want %v", sum, 0.15*n)
	}
}

// firstBest returns the index of the first highest hold-out AUC, failing
// when the AUCs take too few values for a selection test to mean anything.
func firstBest(t *testing.T, aucs []float64) int {
	t.Helper()
	best, distinct := 0, map[float64]bool{}
	for i, a := range aucs {
		distinct[a] = true
		if a > aucs[best] {
			best = i
		}
	}
	if len(distinct) < 3 {
		t.Fatalf("hold-out AUCs %v: too few distinct values to test the selection", aucs)
	}
	return best
}

func TestSelectsGammaOnValidation(t *testing.T) {
	train, test := fixture()
	val := protocol.Labelled{Samples: test, IsAnomaly: []bool{true, false, true, false, false, false, false, false}}
	o := New(*DefaultParams())
	if err := o.FitValidated(context.Background(), train, val); err != nil {
		t.Fatal(err)
	}
	best := firstBest(t, o.valAUC)
	if o.gamma != o.params.Gammas[best] {
		t.Errorf("selected γ = %v, the best hold-out AUC %v is at γ = %v", o.gamma, o.valAUC, o.params.Gammas[best])
	}
	if err := New(*DefaultParams()).Fit(context.Background(), train); err == nil {
		t.Error("Fit with ten gammas and no validation set should fail")
	}
}

// TestSelectsNuAndGamma checks the (ν, γ) search: the kept model is the
// best pair on the hold-out, a one-element Nus is the same model as Nu, and
// Info names the selected ν with one val_auc list per ν.
func TestSelectsNuAndGamma(t *testing.T) {
	train, test := fixture()
	// Labels under which the 30 hold-out AUCs take several values.
	val := protocol.Labelled{Samples: test, IsAnomaly: []bool{true, false, true, false, false, false, false, false}}
	p := *DefaultParams()
	p.Nus = []float64{0.1, 0.3, 0.6}
	o := New(p)
	if err := o.FitValidated(context.Background(), train, val); err != nil {
		t.Fatal(err)
	}
	if len(o.valAUC) != 3*len(p.Gammas) {
		t.Fatalf("%d hold-out AUCs, want %d", len(o.valAUC), 3*len(p.Gammas))
	}
	best := firstBest(t, o.valAUC)
	if o.nu != p.Nus[best/len(p.Gammas)] || o.gamma != p.Gammas[best%len(p.Gammas)] {
		t.Errorf("selected ν = %v, γ = %v; the best hold-out AUC is at ν = %v, γ = %v (%v)",
			o.nu, o.gamma, p.Nus[best/len(p.Gammas)], p.Gammas[best%len(p.Gammas)], o.valAUC)
	}
	info := o.Info()
	if info["nu"] == "" || info["val_auc_nu0.3"] == "" || info["val_auc"] != "" {
		t.Errorf("info %v: want nu and val_auc_nu<ν> per ν", info)
	}

	// ν = 0.1 given as a one-element list is the default model.
	plain, listed := New(*DefaultParams()), New(Params{Nu: 0.7, Nus: []float64{0.1}, Gammas: DefaultParams().Gammas, Tol: 1e-3})
	var scores [2][]float64
	for i, m := range []*OCSVM{plain, listed} {
		if err := m.FitValidated(context.Background(), train, val); err != nil {
			t.Fatal(err)
		}
		var err error
		if scores[i], err = m.Score(context.Background(), test); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(scores[0], scores[1]) {
		t.Errorf("Nus = [0.1] scores %v, Nu = 0.1 scores %v", scores[1], scores[0])
	}
	if !maps.Equal(plain.Info(), listed.Info()) {
		t.Errorf("Nus = [0.1] info %v, Nu = 0.1 info %v", listed.Info(), plain.Info())
	}
}

// TestBetter pins the tie rule: among equal hold-out AUCs the first pair in
// ν-major order wins, although γ is the outer loop.
func TestBetter(t *testing.T) {
	tests := []struct {
		auc     float64
		at      int
		bestAUC float64
		bestAt  int
		want    bool
	}{
		{0.9, 5, 0.8, 1, true},
		{0.8, 5, 0.9, 1, false},
		{0.9, 1, 0.9, 5, true},  // a later γ with a smaller ν: earlier in ν-major order
		{0.9, 5, 0.9, 1, false}, // equal and later
		{0.5, 0, math.Inf(-1), -1, true},
	}
	for _, tt := range tests {
		if got := better(tt.auc, tt.at, tt.bestAUC, tt.bestAt); got != tt.want {
			t.Errorf("better(%v, %d, %v, %d) = %v, want %v", tt.auc, tt.at, tt.bestAUC, tt.bestAt, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []Params{{Nu: 0, Gammas: []float64{1}, Tol: 1e-3}, {Nu: 0.1, Tol: 1e-3}, {Nu: 0.1, Gammas: []float64{-1}, Tol: 1e-3}, {Nu: 0.1, Gammas: []float64{1}},
		{Nu: 0.1, Gammas: []float64{1}, Tol: 1e-3, Nus: []float64{0.1, 0}}, {Nu: 0.1, Gammas: []float64{1}, Tol: 1e-3, Nus: []float64{1.5}}, {Nu: 0.1, Gammas: []float64{1}, Tol: 1e-3, Nus: []float64{0.1, 0.2, 0.1}}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Error(err)
	}
}
