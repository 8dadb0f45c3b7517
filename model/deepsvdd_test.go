package model

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
	"github.com/ncae-repro/ncae/protocol/roc"
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

// TestSADLoss pins Deep SAD's per-sample loss on hand-built distances:
// dist for unlabelled samples, η/(dist + 10⁻⁶) for labelled anomalies; and
// the squared distance to the centre.
func TestSADLoss(t *testing.T) {
	for _, name := range []string{"go", "cpu"} {
		b, err := backend.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		z := tensors.FromFlatDataAndDimensions([]float32{1, 2, 0, 0, 3, 4}, 3, 2)
		c := tensors.FromFlatDataAndDimensions([]float32{1, 0}, 2)
		semi := tensors.FromFlatDataAndDimensions([]float32{0, 1, 1}, 3)
		out := exec(t, b, func(in []*Node) []*Node {
			dist := squaredDistance(in[0], in[1])
			return []*Node{dist, sadLoss(dist, in[2], 2)}
		}, z, c, semi)
		// ‖(0, 2)‖² = 4, ‖(−1, 0)‖² = 1, ‖(2, 4)‖² = 20.
		wantDist := []float32{4, 1, 20}
		wantLoss := []float64{4, 2 / (1 + 1e-6), 2 / (20 + 1e-6)}
		for i := range 3 {
			if out[0][i] != wantDist[i] || math.Abs(float64(out[1][i])-wantLoss[i]) > 1e-6 {
				t.Errorf("%s: dist %v loss %v, want %v %v", name, out[0], out[1], wantDist, wantLoss)
			}
		}
	}
}

// TestDeepSADUsesLabels trains Deep SAD and Deep SVDD from the same start
// on the small MNIST setup (normal class 4, the look-alike class 9 as the
// anomaly class), with 5 % labelled anomalies of class 9 for Deep SAD: it
// must separate the labelled class better (the AUC of class 9 alone against
// the normal test images), and without labels it must be Deep SVDD exactly.
func TestDeepSADUsesLabels(t *testing.T) {
	ds, key, exp, env := labelledSetup(t)
	short := func(p *DeepSVDDParams) {
		p.BatchSize, p.Epochs, p.LRMilestones, p.PretrainEpochs, p.PretrainLR, p.PretrainLRMilestones = 32, 3, nil, 3, 1e-3, nil
	}
	sp := DefaultDeepSADParams()
	short(&sp.DeepSVDDParams)
	sad, err := NewDeepSAD(sp, env)
	if err != nil {
		t.Fatal(err)
	}
	vp := DefaultDeepSVDDParams()
	short(vp)
	svdd, err := NewDeepSVDD(vp, env)
	if err != nil {
		t.Fatal(err)
	}
	a, b := pairAUC(t, sad, ds, exp, 4, 9), pairAUC(t, svdd, ds, exp, 4, 9)
	t.Logf("class 9 against 4: Deep SAD (%d labelled) %.4f, Deep SVDD %.4f; info %v", exp.Labelled.N, a, b, sad.Info())
	if exp.Labelled.N != 29 || sad.Info()["labelled_anomalies"] != "29" {
		t.Errorf("labelled anomalies: %d in the experiment, info %v; want ⌊0.05/0.95·500/0.9⌋ = 29", exp.Labelled.N, sad.Info())
	}
	if a < b+0.02 {
		t.Errorf("Deep SAD with labels %.4f is not above Deep SVDD %.4f on the labelled class", a, b)
	}
	// Without labelled anomalies Deep SAD is Deep SVDD.
	plain, err := protocol.Build(ds, key, protocol.Options{MaxTrainNormal: 500, TestSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	sad0, _ := NewDeepSAD(sp, env)
	svdd0, _ := NewDeepSVDD(vp, env)
	o1, err1 := protocol.Evaluate(context.Background(), sad0, plain)
	o2, err2 := protocol.Evaluate(context.Background(), svdd0, plain)
	if err1 != nil || err2 != nil || o1.AUC != o2.AUC || o1.Info["labelled_anomalies"] != "0" {
		t.Errorf("without labels: Deep SAD %v (%v, info %v), Deep SVDD %v (%v)", o1.AUC, err1, o1.Info, o2.AUC, err2)
	}
}

// TestClassifierLearns trains the supervised classifier on the 4 / 9 setup
// of TestDeepSADUsesLabels: the labelled class must score far above the
// normal class (it fails with training switched off, lr 1e-12), and
// without labels it refuses to train.
func TestClassifierLearns(t *testing.T) {
	ds, key, exp, env := labelledSetup(t)
	nineAUC := func(lr float64) float64 {
		t.Helper()
		p := DefaultClassifierParams()
		p.BatchSize, p.Epochs, p.LR, p.LRMilestones = 32, 5, lr, nil
		d, err := NewClassifier(p, env)
		if err != nil {
			t.Fatal(err)
		}
		return pairAUC(t, d, ds, exp, 4, 9)
	}
	trained, off := nineAUC(1e-3), nineAUC(1e-12)
	t.Logf("class 9 against 4: classifier %.4f, untrained %.4f", trained, off)
	if trained < 0.8 || trained < off+0.1 {
		t.Errorf("classifier AUC %.4f on its labelled class (untrained %.4f): did not learn", trained, off)
	}
	plain, _ := protocol.Build(ds, key, protocol.Options{MaxTrainNormal: 500, TestSize: 1000})
	d, _ := NewClassifier(DefaultClassifierParams(), env)
	if _, err := protocol.Evaluate(context.Background(), d, plain); !errors.Is(err, ErrNoLabels) {
		t.Errorf("without labelled anomalies: %v, want ErrNoLabels", err)
	}
}

// TestCloseReleases: a closed detector cannot score, and closing twice is
// fine.
func TestCloseReleases(t *testing.T) {
	d, err := NewCAE(&CAEParams{DefaultAEParams()}, Env{Dataset: "mnist", Seed: 1, Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.open(); err != nil {
		t.Fatal(err)
	}
	st, err := newState(d.arch, false, protocol.NewRand(1, "model/init"), true)
	if err != nil {
		t.Fatal(err)
	}
	d.state = st
	img := protocol.Samples{N: 3, Rows: 28, Cols: 28, Pixels: make([]byte, 3*784)}
	if _, err := d.Score(context.Background(), img); err != nil {
		t.Fatal(err)
	}
	var c protocol.Closer = d
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Score(context.Background(), img); err == nil {
		t.Error("a closed detector scored")
	}
}

// pairAUC evaluates d on exp and returns its AUC of the test images of class
// anomaly against those of class normal.
func pairAUC(t *testing.T, d protocol.Detector, ds *datasets.Dataset, exp *protocol.Experiment, normal, anomaly byte) float64 {
	t.Helper()
	if _, err := protocol.Evaluate(context.Background(), d, exp); err != nil {
		t.Fatal(err)
	}
	var rows []int
	var isAnomaly []bool
	for i, j := range exp.TestIndex {
		if y := ds.TestLabels[j]; y == normal || y == anomaly {
			rows = append(rows, i)
			isAnomaly = append(isAnomaly, y == anomaly)
		}
	}
	scores, err := d.Score(context.Background(), exp.Test.Subset(rows))
	if err != nil {
		t.Fatal(err)
	}
	auc, err := roc.AUC(scores, isAnomaly)
	if err != nil {
		t.Fatal(err)
	}
	return auc
}

// labelledSetup is the small MNIST experiment of the label-taking tests:
// normal class 4, anomaly class 9, ρ = 0.1, 500 normal images, 5 %
// labelled anomalies, a 1,000-image test subset.
func labelledSetup(t *testing.T) (*datasets.Dataset, protocol.Key, *protocol.Experiment, Env) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains on real data")
	}
	ds := datasetstest.Load(t, datasets.MNIST())
	key := protocol.Key{Dataset: "mnist", Normal: 4, Anomaly: 9, Rho: 0.1}
	exp, err := protocol.Build(ds, key, protocol.Options{MaxTrainNormal: 500, TestSize: 1000, LabelledAnomalies: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	return ds, key, exp, Env{Dataset: "mnist", Seed: protocol.SeedOf(key.String()), Backend: "cpu"}
}

// TestManyRunsFlatMemory runs 50 small deep runs in one process, as a
// sweep does (one shared backend, each detector closed after scoring), and
// checks that the live heap stops growing: compiled graphs and buffers are
// released run by run. The cpu backend keeps up to 32 free buffers of each
// shape for reuse, a cache that these runs fill by about the 30th; from
// then on the heap is flat, where anything a run left behind would grow it
// by the run.
func TestManyRunsFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("50 training runs")
	}
	pool := &backend.Pool{}
	defer pool.Close()
	train, _ := synthetic(96, 8, 1)
	test, _ := synthetic(40, 4, 2)
	live := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var after35 uint64
	for i := range 50 {
		env := Env{Dataset: "mnist", Seed: uint64(i), Backend: "cpu", Backends: pool}
		ae := smallAE()
		ae.Epochs = 1
		d := newSmall(t, i%2 == 1, ae, env)
		fitScore(t, d, train, test)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if i == 34 {
			after35 = live()
		}
	}
	after50 := live()
	t.Logf("live heap after 35 runs %.1f MiB, after 50 %.1f MiB", float64(after35)/(1<<20), float64(after50)/(1<<20))
	if after50 > after35+2<<20 {
		t.Errorf("live heap grew from %.1f MiB after 35 runs to %.1f MiB after 50: something a run leaves behind is kept",
			float64(after35)/(1<<20), float64(after50)/(1<<20))
	}
}
