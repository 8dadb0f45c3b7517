package ocsvm

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/baselines/internal/pairwise"
	"github.com/ncae-repro/ncae/protocol"
)

// ssadPoints: 24 normal points, 4 unlabelled anomalies and 4 labelled ones
// near them (ssad_values.py).
var ssadPoints = [][2]float64{{-0.395, 0.274}, {0.265, -0.8}, {-0.559, 0.904}, {-0.639, 0.96}, {0.599, 0.784}, {-0.477, 1.131}, {0.188, -0.49}, {0.391, -0.304}, {0.69, 0.245}, {-1.01, -0.715}, {0.648, -1.465}, {0.014, -1.042}, {-0.402, 0.532}, {-0.282, -0.727}, {1.884, -1.13}, {0.356, 1.51}, {-1.243, 1.261}, {-0.967, 0.708}, {-0.638, 0.882}, {-0.124, -0.851}, {-0.555, 1.321}, {2.244, -2.336}, {-0.263, -1.137}, {-0.186, 1.044}, {3.777, 3.334}, {3.867, 3.496}, {4.195, 3.348}, {4.419, 4.003}, {3.903, 3.996}, {4.82, 4.092}, {4.794, 4.613}, {4.247, 3.501}}

func ssadKernel(t *testing.T) (*kernel, []bool) {
	t.Helper()
	n := len(ssadPoints)
	x := pairwise.Matrix{Rows: n, Cols: 2, Data: make([]float32, 2*n)}
	for i, p := range ssadPoints {
		x.Data[2*i], x.Data[2*i+1] = float32(p[0]), float32(p[1])
	}
	dist, err := pairwise.Symmetric(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	labelled := make([]bool, n)
	for i := n - 4; i < n; i++ {
		labelled[i] = true
	}
	return newKernel(dist), labelled
}

// TestSSADMatchesSLSQP pins our SMO to SciPy's SLSQP on the same dual
// (ssad_values.py): the objective and every β, including cases where the
// box and the labelled margin are active.
func TestSSADMatchesSLSQP(t *testing.T) {
	tests := []struct {
		gamma, kappa, cu, cn float64
		objective            float64
		beta                 []float64
	}{
		{0.5, 1.0, 1.0, 1.0, 0.09097249728725183, []float64{0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.069003, 0.125909, 0.074360, 0.000000, 0.000000, 0.000000, 0.072609, 0.114458, 0.129362, 0.000000, 0.000000, 0.000000, 0.000000, 0.136540, 0.016930, 0.000000, 0.124772, 0.000000, 0.767974, 0.368081, 0.000000, -0.000000, 0.000000, -1.000000}},
		{0.5, 1.0, 0.1, 1.0, 0.5755163578404143, []float64{0.000000, 0.100000, 0.000000, 0.089965, 0.100000, 0.100000, 0.000000, 0.012662, 0.100000, 0.100000, 0.100000, 0.100000, 0.000000, 0.007726, 0.100000, 0.100000, 0.100000, 0.100000, 0.000000, 0.089646, 0.100000, 0.100000, 0.100000, 0.000000, 0.100000, 0.100000, 0.100000, 0.100000, -0.182272, 0.000000, -0.278157, -0.539571}},
		{2.0, 0.5, 0.2, 0.3, 0.06011253660658337, []float64{0.063020, 0.003814, 0.000000, 0.000000, 0.041142, 0.000000, 0.017275, 0.040067, 0.053888, 0.087649, 0.089490, 0.000000, 0.000000, 0.000000, 0.100508, 0.083613, 0.072904, 0.033795, 0.000000, 0.000000, 0.044031, 0.104146, 0.062336, 0.002497, 0.000000, 0.199826, 0.200000, 0.200000, -0.133332, -0.066668, 0.000000, -0.300000}},
	}
	for _, tt := range tests {
		k, labelled := ssadKernel(t)
		k.setGamma(tt.gamma)
		m, err := ssadSolve(context.Background(), k, labelled, tt.kappa, tt.cu, tt.cn, 1e-7, 0)
		if err != nil {
			t.Fatal(err)
		}
		beta := make([]float64, len(ssadPoints))
		for i, j := range m.sv {
			beta[j] = m.beta[i]
		}
		var obj, sum, sumL float64
		for i := range beta {
			for j := range beta {
				obj += 0.5 * beta[i] * beta[j] * float64(k.value(i, j))
			}
			sum += beta[i]
			if labelled[i] {
				sumL += beta[i]
			}
		}
		if math.Abs(obj-tt.objective) > 1e-5*math.Max(1, tt.objective) || math.Abs(sum-1) > 1e-9 || sumL > -tt.kappa+1e-9 {
			t.Errorf("γ %g κ %g cu %g cn %g: objective %.9g (SLSQP %.9g), Σβ %v, Σ_labelled β %v", tt.gamma, tt.kappa, tt.cu, tt.cn, obj, tt.objective, sum, sumL)
		}
		for i := range beta {
			if math.Abs(beta[i]-tt.beta[i]) > 2e-3 {
				t.Errorf("γ %g κ %g cu %g cn %g: β[%d] = %.6f, SLSQP %.6f", tt.gamma, tt.kappa, tt.cu, tt.cn, i, beta[i], tt.beta[i])
			}
		}
	}
}

// TestSSADDetector runs the detector through the protocol's interfaces:
// it picks γ on the hold-out, scores the labelled kind of anomaly high and
// reports what it did; without labelled anomalies κ is 0.
func TestSSADDetector(t *testing.T) {
	img := func(vals ...byte) protocol.Samples {
		s := protocol.Samples{N: len(vals) / 4, Rows: 2, Cols: 2, Pixels: vals}
		return s
	}
	// Normal images are dark, anomalies bright in the first pixel.
	var train, anomalies, test []byte
	var testAnomaly []bool
	for i := range 40 {
		v := byte(10 + i%7)
		train = append(train, v, v, 20, 20)
		test = append(test, v+1, v, 20, 21)
		testAnomaly = append(testAnomaly, false)
	}
	for i := range 6 {
		anomalies = append(anomalies, 200+byte(i), 20, 20, 20)
		test = append(test, 205-byte(i), 21, 20, 20)
		testAnomaly = append(testAnomaly, true)
	}
	testSet := img(test...)
	val := protocol.Labelled{Samples: testSet, IsAnomaly: testAnomaly}
	d := NewSSAD(*DefaultSSADParams())
	if err := d.FitLabelledValidated(context.Background(), img(train...), img(anomalies...), val); err != nil {
		t.Fatal(err)
	}
	scores, err := d.Score(context.Background(), testSet)
	if err != nil {
		t.Fatal(err)
	}
	var minAnomaly, maxNormal = math.Inf(1), math.Inf(-1)
	for i, s := range scores {
		if testAnomaly[i] {
			minAnomaly = math.Min(minAnomaly, s)
		} else {
			maxNormal = math.Max(maxNormal, s)
		}
	}
	if !(minAnomaly > maxNormal) {
		t.Errorf("anomaly scores from %v, normal up to %v: not separated", minAnomaly, maxNormal)
	}
	info := d.Info()
	if info["labelled_anomalies"] != "6" || info["gamma"] == "" || info["val_auc"] == "" {
		t.Errorf("info %v", info)
	}
	plain := NewSSAD(*DefaultSSADParams())
	if err := plain.FitLabelledValidated(context.Background(), img(train...), protocol.Samples{Rows: 2, Cols: 2}, val); err != nil {
		t.Fatal(err)
	}
	if plain.Info()["note"] == "" {
		t.Errorf("no note that κ = 0 without labels: %v", plain.Info())
	}
	if err := NewSSAD(*DefaultSSADParams()).Fit(context.Background(), img(train...)); err == nil {
		t.Error("Fit without the hold-out accepted")
	}
}

func TestSSADParamsValidate(t *testing.T) {
	for _, tt := range []struct {
		set  func(*SSADParams)
		want string
	}{
		{func(p *SSADParams) { p.Kappa = -1 }, "kappa"},
		{func(p *SSADParams) { p.Cu = 0 }, "cu"},
		{func(p *SSADParams) { p.Cn = math.Inf(1) }, "cn"},
		{func(p *SSADParams) { p.Gammas = nil }, "gammas"},
		{func(p *SSADParams) { p.Gammas = []float64{1, -1} }, "gammas[1]"},
		{func(p *SSADParams) { p.Tol = 0 }, "tol"},
	} {
		p := DefaultSSADParams()
		tt.set(p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate = %v, want an error naming %s", err, tt.want)
		}
	}
}
