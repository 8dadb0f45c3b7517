package model

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
	"github.com/ncae-repro/ncae/protocol/roc"
)

// TestModelsLearn trains the deep models on a fixed small real setup — the
// first quick preset's: one normal class, 500 of its training images plus 10 %
// contamination, a 1,000-image test subset, 3 epochs of batch 32 — and
// asserts an AUC 5 points above what the same network scores untrained and
// above a floor 4–9 points under the AUC measured on the cpu backend (NCAE
// moves by several points with float rounding alone);
// F-MNIST's paper NCAE is left out: it scores below chance there (issue #11).
func TestModelsLearn(t *testing.T) {
	if testing.Short() {
		t.Skip("trains five models on real data")
	}
	tests := []struct {
		method  string
		dataset datasets.Spec
		normal  int
		floor   float64
	}{
		// Measured on cpu (2026-12-01): 0.891, 0.977, 0.995; untrained 0.799.
		{"cae", datasets.MNIST(), 0, 0.85},
		{"ncae", datasets.MNIST(), 0, 0.90},
		{"ncae-noadv", datasets.MNIST(), 0, 0.90},
		// Measured: 0.799, 0.829; untrained 0.680.
		{"cae", datasets.FashionMNIST(), 0, 0.75},
		{"ncae-noadv", datasets.FashionMNIST(), 0, 0.75},
	}
	for _, tc := range tests {
		t.Run(tc.method+"/"+tc.dataset.Name, func(t *testing.T) {
			ds := datasetstest.Load(t, tc.dataset)
			key := protocol.Key{Dataset: tc.dataset.Name, Normal: tc.normal, Anomaly: (tc.normal + 1) % 10, Rho: 0.1}
			exp, err := protocol.Build(ds, key, protocol.Options{MaxTrainNormal: 500, TestSize: 1000})
			if err != nil {
				t.Fatal(err)
			}
			ae := DefaultAEParams()
			ae.Epochs, ae.BatchSize = 3, 32
			env := Env{Dataset: tc.dataset.Name, Seed: protocol.SeedOf(key.String()), Backend: "cpu"}
			var d *Detector
			switch tc.method {
			case "cae":
				d, err = NewCAE(&CAEParams{ae}, env)
			default:
				p := DefaultNCAEParams()
				if tc.method == "ncae-noadv" {
					p = DefaultNCAENoAdvParams()
				}
				p.AEParams, p.GANLR = ae, 5e-4
				d, err = NewNCAE(p, env)
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := protocol.Evaluate(context.Background(), d, exp)
			if err != nil {
				t.Fatal(err)
			}
			untrained := untrainedAUC(t, tc.dataset.Name, env, exp)
			t.Logf("%s %s c%d: AUC %.4f (untrained %.4f), info %v", tc.method, tc.dataset.Name, tc.normal, out.AUC, untrained, out.Info)
			if out.AUC < tc.floor || out.AUC < untrained+0.05 {
				t.Errorf("AUC %.4f: did not learn (want ≥ %.2f and ≥ untrained %.4f + 0.05)", out.AUC, tc.floor, untrained)
			}
			// On MNIST, mining finds contamination well above chance (ρ) by the last epoch.
			if tc.method != "cae" && tc.dataset.Name == "mnist" {
				prec := strings.Fields(out.Info["mining_precision"])
				if len(prec) == 0 {
					t.Fatalf("no mining precision in info %v", out.Info)
				}
				last, err := strconv.ParseFloat(prec[len(prec)-1], 64)
				if err != nil || last < 2*key.Rho {
					t.Errorf("mining precision %v: want the last epoch's ≥ 2ρ = %.2f", prec, 2*key.Rho)
				}
			}
		})
	}
}

// untrainedAUC is the AUC of the networks' initial weights' reconstruction
// error: what a model that learned nothing scores.
func untrainedAUC(t *testing.T, dataset string, env Env, exp *protocol.Experiment) float64 {
	t.Helper()
	d, err := NewCAE(&CAEParams{DefaultAEParams()}, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.open(); err != nil {
		t.Fatal(err)
	}
	st, err := newState(d.arch, false, protocol.NewRand(env.Seed, "model/init"), d.ae.DeconvFanIn == FanInOutput)
	if err != nil {
		t.Fatal(err)
	}
	d.state = st
	scores, err := d.Score(context.Background(), exp.Test)
	if err != nil {
		t.Fatal(err)
	}
	auc, err := roc.AUC(scores, exp.TestIsAnomaly)
	if err != nil {
		t.Fatal(err)
	}
	return auc
}
