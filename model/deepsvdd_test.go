package model

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
)

// TestCentre pins Deep SAD's init_center_c rule: the mean, with
// coordinates within eps of 0 pushed to ±eps by their sign; 0 stays 0.
func TestCentre(t *testing.T) {
	sums := []float64{0.2, -0.2, 0, 1, -3, 0.5, -0.4}
	got := centre(sums, 4, 0.1) // means 0.05, −0.05, 0, 0.25, −0.75, 0.125, −0.1
	want := []float32{0.1, -0.1, 0, 0.25, -0.75, 0.125, -0.1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("centre = %v, want %v", got, want)
		}
	}
}

// TestLRMilestones checks rateAt against PyTorch 1.13's MultiStepLR as
// Deep SAD steps it (at the start of every epoch): with milestone 50 the
// rate drops at 0-based epoch 49; a milestone 0 drops it from the start.
func TestLRMilestones(t *testing.T) {
	tests := []struct {
		milestones []int
		epoch      int
		want       float64
	}{
		{[]int{50}, 0, 1e-4}, {[]int{50}, 48, 1e-4}, {[]int{50}, 49, 1e-5}, {[]int{50}, 149, 1e-5},
		{[]int{0}, 0, 1e-5}, {[]int{0}, 99, 1e-5},
		{[]int{2, 4}, 0, 1e-4}, {[]int{2, 4}, 1, 1e-5}, {[]int{2, 4}, 3, 1e-6},
	}
	for _, tt := range tests {
		p := AEParams{LRMilestones: tt.milestones, LRDecay: 0.1, LRDecayEvery: 10}
		if got := p.rateAt(1e-4, tt.epoch); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("milestones %v, epoch %d: rate %g, want %g", tt.milestones, tt.epoch, got, tt.want)
		}
	}
}

func TestDeepSVDDParamsValidate(t *testing.T) {
	for _, tt := range []struct {
		set  func(*DeepSVDDParams)
		want string
	}{
		{func(p *DeepSVDDParams) { p.PretrainEpochs = -1 }, "pretrain_epochs"},
		{func(p *DeepSVDDParams) { p.PretrainLR = 0 }, "pretrain_lr"},
		{func(p *DeepSVDDParams) { p.PretrainLRMilestones = []int{5, 3} }, "pretrain_lr_milestones"},
		{func(p *DeepSVDDParams) { p.LRMilestones = []int{-1} }, "lr_milestones"},
		{func(p *DeepSVDDParams) { p.CenterEps = -0.1 }, "center_eps"},
		{func(p *DeepSVDDParams) { p.LR = -1 }, "lr"},
	} {
		p := DefaultDeepSVDDParams()
		tt.set(p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate = %v, want an error naming %s", err, tt.want)
		}
	}
	if err := DefaultDeepSVDDParams().Validate(); err != nil {
		t.Error(err)
	}
}

// TestDeepSVDDLearns trains Deep SVDD on the small real setup of
// TestModelsLearn and asserts an AUC 5 points above the same network's
// with (almost) no training: no pretraining and a rate of 1e-12.
func TestDeepSVDDLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real data")
	}
	ds := datasetstest.Load(t, datasets.MNIST())
	key := protocol.Key{Dataset: "mnist", Normal: 0, Anomaly: 1, Rho: 0.1}
	exp, err := protocol.Build(ds, key, protocol.Options{MaxTrainNormal: 500, TestSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Dataset: "mnist", Seed: protocol.SeedOf(key.String()), Backend: "cpu"}
	run := func(p *DeepSVDDParams) protocol.Outcome {
		t.Helper()
		d, err := NewDeepSVDD(p, env)
		if err != nil {
			t.Fatal(err)
		}
		out, err := protocol.Evaluate(context.Background(), d, exp)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	p := DefaultDeepSVDDParams()
	p.BatchSize, p.Epochs, p.LRMilestones, p.PretrainEpochs, p.PretrainLR, p.PretrainLRMilestones = 32, 3, nil, 3, 1e-3, nil
	trained := run(p)
	off := DefaultDeepSVDDParams()
	off.BatchSize, off.Epochs, off.LR, off.LRMilestones, off.PretrainEpochs = 32, 1, 1e-12, nil, 0
	untrained := run(off)
	t.Logf("Deep SVDD MNIST c0: AUC %.4f (untrained %.4f), info %v", trained.AUC, untrained.AUC, trained.Info)
	if trained.AUC < untrained.AUC+0.05 || trained.AUC < 0.85 {
		t.Errorf("AUC %.4f: did not learn (want ≥ 0.85 and ≥ untrained %.4f + 0.05)", trained.AUC, untrained.AUC)
	}
	if trained.Info["pretrain_epochs"] != "3" || trained.Info["epochs"] != "3" || trained.Info["center_norm"] == "" {
		t.Errorf("info %v", trained.Info)
	}
	again := run(p)
	if again.AUC != trained.AUC {
		t.Errorf("not deterministic: AUC %v then %v", trained.AUC, again.AUC)
	}
}
