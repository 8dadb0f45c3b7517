package ocsvm

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/baselines/internal/pairwise"
	"github.com/ncae-repro/ncae/protocol"
)

// The point sets of ssad_values.py (the last 4 of each are the labelled
// anomalies): near the unlabelled anomalies, where the labelled margin ends
// active, and among the normal points, where it ends inactive.
var (
	ssadPoints       = [][2]float64{{-0.395, 0.274}, {0.265, -0.8}, {-0.559, 0.904}, {-0.639, 0.96}, {0.599, 0.784}, {-0.477, 1.131}, {0.188, -0.49}, {0.391, -0.304}, {0.69, 0.245}, {-1.01, -0.715}, {0.648, -1.465}, {0.014, -1.042}, {-0.402, 0.532}, {-0.282, -0.727}, {1.884, -1.13}, {0.356, 1.51}, {-1.243, 1.261}, {-0.967, 0.708}, {-0.638, 0.882}, {-0.124, -0.851}, {-0.555, 1.321}, {2.244, -2.336}, {-0.263, -1.137}, {-0.186, 1.044}, {3.777, 3.334}, {3.867, 3.496}, {4.195, 3.348}, {4.419, 4.003}, {3.903, 3.996}, {4.82, 4.092}, {4.794, 4.613}, {4.247, 3.501}}
	ssadCentrePoints = [][2]float64{{0.001, 0.299}, {-0.274, -0.891}, {-0.455, -0.992}, {0.06, 1.34}, {-0.492, -0.62}, {0.49, 0.357}, {0.105, -0.93}, {-0.029, 0.695}, {-1.344, -0.458}, {-1.901, -1.29}, {-1.842, -0.235}, {-1.267, 0.271}, {0.157, -0.187}, {-2.517, -0.539}, {-0.049, 0.113}, {-1.53, -0.478}, {-0.979, -0.809}, {1.061, -0.808}, {-0.033, 0.884}, {-0.584, -0.112}, {0.11, 0.064}, {-1.225, 0.076}, {1.359, -1.547}, {0.859, 0.119}, {-0.641, 2.0}, {0.762, -1.199}, {0.075, 0.577}, {-0.189, 0.683}, {-0.067, 0.667}, {1.439, -0.676}, {0.041, -0.093}, {0.025, -0.237}, {-0.116, -0.039}, {0.18, 0.229}}
)

func ssadKernel(t *testing.T, points [][2]float64) (*kernel, []bool) {
	t.Helper()
	n := len(points)
	x := pairwise.Matrix{Rows: n, Cols: 2, Data: make([]float32, 2*n)}
	for i, p := range points {
		x.Data[2*i], x.Data[2*i+1] = float32(p[0]), float32(p[1])
	}
	dist, err := pairwise.Symmetric(context.Background(), 0, x)
	if err != nil {
		t.Fatal(err)
	}
	labelled := make([]bool, n)
	for i := n - 4; i < n; i++ {
		labelled[i] = true
	}
	return newKernel(dist, 0), labelled
}

// TestSSADMatchesSLSQP pins our SMO to SciPy's SLSQP on the same dual
// (ssad_values.py): the objective and every β, with the box active and the
// labelled margin active (first set) and inactive (second set).
func TestSSADMatchesSLSQP(t *testing.T) {
	type pinned struct {
		gamma, kappa, cu, cn float64
		objective            float64
		beta                 []float64
	}
	sets := []struct {
		name   string
		points [][2]float64
		cases  []pinned
	}{
		{"margin active", ssadPoints, []pinned{
			{0.5, 1.0, 1.0, 1.0, 0.09097249728725183, []float64{0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.069003, 0.125909, 0.074360, 0.000000, 0.000000, 0.000000, 0.072609, 0.114458, 0.129362, 0.000000, 0.000000, 0.000000, 0.000000, 0.136540, 0.016930, 0.000000, 0.124772, 0.000000, 0.767974, 0.368081, 0.000000, -0.000000, 0.000000, -1.000000}},
			{0.5, 1.0, 0.1, 1.0, 0.5755163578404143, []float64{0.000000, 0.100000, 0.000000, 0.089965, 0.100000, 0.100000, 0.000000, 0.012662, 0.100000, 0.100000, 0.100000, 0.100000, 0.000000, 0.007726, 0.100000, 0.100000, 0.100000, 0.100000, 0.000000, 0.089646, 0.100000, 0.100000, 0.100000, 0.000000, 0.100000, 0.100000, 0.100000, 0.100000, -0.182272, 0.000000, -0.278157, -0.539571}},
			{2.0, 0.5, 0.2, 0.3, 0.06011253660658337, []float64{0.063020, 0.003814, 0.000000, 0.000000, 0.041142, 0.000000, 0.017275, 0.040067, 0.053888, 0.087649, 0.089490, 0.000000, 0.000000, 0.000000, 0.100508, 0.083613, 0.072904, 0.033795, 0.000000, 0.000000, 0.044031, 0.104146, 0.062336, 0.002497, 0.000000, 0.199826, 0.200000, 0.200000, -0.133332, -0.066668, 0.000000, -0.300000}},
		}},
		{"margin inactive", ssadCentrePoints, []pinned{
			{0.05, 1.0, 1.0, 1.0, 0.22922833138841478, []float64{0.000000, 0.000000, 0.649265, 0.000000, 0.000000, 1.000000, 0.000000, 0.000000, 0.000000, 0.369726, 0.000000, 0.000000, 0.000000, 0.371044, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.608557, 0.977545, 0.756489, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, -1.000000, -1.000000, -1.000000, -0.732626}},
			{0.1, 0.5, 1.0, 1.0, 0.20949343382064695, []float64{0.000000, 0.000000, 0.429071, 0.000000, 0.000000, 1.000000, 0.000000, 0.000000, 0.000000, 0.135052, 0.000000, 0.000000, 0.000000, 0.288271, 0.015460, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.390922, 0.335605, 0.437179, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, -0.031562, -1.000000, -0.000000, -1.000000}},
			{0.02, 1.0, 0.2, 0.7, 0.3765454614750181, []float64{0.000000, 0.000000, 0.198680, 0.200000, 0.000000, 0.200000, 0.200000, 0.200000, 0.000000, 0.200000, 0.200000, 0.000000, 0.000000, 0.200000, 0.000000, 0.133986, 0.000000, 0.200000, 0.200000, 0.000000, 0.000000, 0.000000, 0.200000, 0.200000, 0.200000, 0.200000, 0.200000, 0.200000, 0.200000, 0.200000, -0.700000, -0.700000, -0.700000, -0.632666}},
		}},
	}
	for _, set := range sets {
		for _, tt := range set.cases {
			k, labelled := ssadKernel(t, set.points)
			k.setGamma(tt.gamma)
			m, err := ssadSolve(context.Background(), k, labelled, tt.kappa, tt.cu, tt.cn, 1e-7, 0)
			if err != nil {
				t.Fatal(err)
			}
			beta := make([]float64, len(set.points))
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
			name := fmt.Sprintf("%s, γ %g κ %g cu %g cn %g", set.name, tt.gamma, tt.kappa, tt.cu, tt.cn)
			if math.Abs(obj-tt.objective) > 1e-5*math.Max(1, tt.objective) || math.Abs(sum-1) > 1e-9 || sumL > -tt.kappa+1e-9 {
				t.Errorf("%s: objective %.9g (SLSQP %.9g), Σβ %v, Σ_labelled β %v", name, obj, tt.objective, sum, sumL)
			}
			for i := range beta {
				if math.Abs(beta[i]-tt.beta[i]) > 2e-3 {
					t.Errorf("%s: β[%d] = %.6f, SLSQP %.6f", name, i, beta[i], tt.beta[i])
				}
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
