package protocol

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
	"github.com/ncae-repro/ncae/protocol/idx"
)

// synthetic returns a tiny data set: perClass training and test images per
// class, 1×1 pixels whose value is 10·class.
func synthetic(perClass, perClassTest int) *datasets.Dataset {
	mk := func(n int) (*idx.Images, []byte) {
		im := &idx.Images{Count: 10 * n, Rows: 1, Cols: 1}
		var labels []byte
		for i := 0; i < 10*n; i++ {
			c := byte(i % 10)
			labels = append(labels, c)
			im.Pixels = append(im.Pixels, 10*c)
		}
		return im, labels
	}
	ds := &datasets.Dataset{Spec: datasets.Spec{Name: "synth"}}
	ds.TrainImages, ds.TrainLabels = mk(perClass)
	ds.TestImages, ds.TestLabels = mk(perClassTest)
	return ds
}

func TestAnomalyCount(t *testing.T) {
	tests := []struct {
		rho    float64
		normal int
		want   int
	}{
		{0, 5923, 0},
		{0.01, 5923, 59},
		{0.05, 5923, 311},
		{0.1, 5923, 658},
		{0.2, 5923, 1480}, // MNIST class 0
		{0.01, 6000, 60},
		{0.05, 6000, 315},
		{0.1, 6000, 666},
		{0.2, 6000, 1500}, // Fashion-MNIST: 0.25·6000 exactly, despite rounding
		{0.5, 10, 10},
	}
	for _, tt := range tests {
		if got := AnomalyCount(tt.rho, tt.normal); got != tt.want {
			t.Errorf("AnomalyCount(%v, %d) = %d, want %d", tt.rho, tt.normal, got, tt.want)
		}
	}
}

func TestBuildPooled(t *testing.T) {
	ds := synthetic(100, 20)
	key := Key{Dataset: "synth", Normal: 3, Anomaly: 5, Seed: 0, Rho: 0.2}
	exp, err := Build(ds, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if exp.NormalTrain != 100 || exp.AnomaliesTrain != 25 || exp.Train.N != 125 {
		t.Fatalf("n_c=%d n_a=%d n=%d, want 100, 25, 125", exp.NormalTrain, exp.AnomaliesTrain, exp.Train.N)
	}
	classes := map[int]bool{}
	var nAnom int
	for i, j := range exp.TrainIndex {
		c := int(ds.TrainLabels[j])
		if exp.TrainIsAnomaly[i] != (c != 3) || int(exp.Train.Pixels[i]) != 10*c {
			t.Fatalf("row %d: label/pixel mismatch", i)
		}
		if c != 3 {
			nAnom++
			classes[c] = true
		}
	}
	if nAnom != 25 || classes[3] || len(classes) < 5 {
		t.Errorf("%d anomalies from classes %v: want 25 from several classes ≠ 3", nAnom, classes)
	}
	if !slices.IsSorted(exp.TrainIndex) {
		t.Error("training set is not in the official order")
	}
	if exp.Test.N != 200 {
		t.Errorf("test set has %d images, want the full 200", exp.Test.N)
	}
	for i, j := range exp.TestIndex {
		if exp.TestIsAnomaly[i] != (ds.TestLabels[j] != 3) {
			t.Fatalf("test row %d mislabelled", i)
		}
	}
	// Validation: 10 % of 200 = 20, class-proportional: ⌊20·180/200⌋ = 18 anomalies.
	var valAnom int
	for _, i := range exp.Validation {
		if exp.TestIsAnomaly[i] {
			valAnom++
		}
	}
	if len(exp.Validation) != 20 || valAnom != 18 {
		t.Errorf("validation: %d samples, %d anomalies; want 20, 18", len(exp.Validation), valAnom)
	}
}

func TestBuildSingle(t *testing.T) {
	ds := synthetic(100, 20)
	exp, err := Build(ds, Key{Dataset: "synth", Normal: 1, Anomaly: 7, Rho: 0.1}, Options{Mode: Single})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range exp.TrainIndex {
		if exp.TrainIsAnomaly[i] && ds.TrainLabels[j] != 7 {
			t.Fatalf("single mode drew class %d", ds.TrainLabels[j])
		}
	}
	if exp.AnomaliesTrain != 11 {
		t.Errorf("n_a = %d, want 11", exp.AnomaliesTrain)
	}
	// ρ = 0.6 needs 150 anomalies; class 7 has only 100.
	if _, err := Build(ds, Key{Dataset: "synth", Normal: 1, Anomaly: 7, Rho: 0.6}, Options{Mode: Single}); err == nil {
		t.Error("single mode accepted more anomalies than the class has")
	}
}

func TestBuildSubsets(t *testing.T) {
	ds := synthetic(100, 20)
	exp, err := Build(ds, Key{Dataset: "synth", Normal: 0, Anomaly: 1, Rho: 0.2}, Options{MaxTrainNormal: 40, TestSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if exp.NormalTrain != 40 || exp.AnomaliesTrain != 10 || exp.Test.N != 50 {
		t.Errorf("n_c=%d n_a=%d test=%d, want 40, 10, 50", exp.NormalTrain, exp.AnomaliesTrain, exp.Test.N)
	}
	var testAnom int
	for _, a := range exp.TestIsAnomaly {
		if a {
			testAnom++
		}
	}
	if testAnom != 45 {
		t.Errorf("test subset has %d anomalies, want 45 (90 %%)", testAnom)
	}
}

func TestBuildRejects(t *testing.T) {
	ds := synthetic(10, 2)
	bad := []Key{
		{Dataset: "other", Normal: 0, Anomaly: 1},
		{Dataset: "synth", Normal: 10, Anomaly: 1},
		{Dataset: "synth", Normal: 2, Anomaly: 2},
		{Dataset: "synth", Normal: 2, Anomaly: 3, Rho: 1},
		{Dataset: "synth", Normal: 2, Anomaly: 3, Rho: -0.1},
	}
	for _, k := range bad {
		if _, err := Build(ds, k, Options{}); err == nil {
			t.Errorf("Build accepted %s", k)
		}
	}
	if _, err := Build(ds, Key{Dataset: "synth", Normal: 2, Anomaly: 3}, Options{Mode: "mixed"}); err == nil {
		t.Error("Build accepted mode \"mixed\"")
	}
}

func TestBuildDeterministic(t *testing.T) {
	ds := synthetic(200, 20)
	key := Key{Dataset: "synth", Normal: 4, Anomaly: 2, Seed: 1, Rho: 0.2}
	a, _ := Build(ds, key, Options{MaxTrainNormal: 150, TestSize: 100})
	b, _ := Build(ds, key, Options{MaxTrainNormal: 150, TestSize: 100})
	if !slices.Equal(a.TrainIndex, b.TrainIndex) || !slices.Equal(a.TestIndex, b.TestIndex) || !slices.Equal(a.Validation, b.Validation) {
		t.Fatal("same key, different draws")
	}
	other := key
	other.Seed = 2
	c, _ := Build(ds, other, Options{MaxTrainNormal: 150, TestSize: 100})
	if slices.Equal(a.TrainIndex, c.TrainIndex) {
		t.Error("different seeds drew the same training set")
	}
	// Nested contamination: the anomalies at ρ = 0.05 are among those at ρ = 0.2.
	small := key
	small.Rho = 0.05
	d, _ := Build(ds, small, Options{MaxTrainNormal: 150, TestSize: 100})
	big := map[int]bool{}
	for _, j := range a.TrainIndex {
		big[j] = true
	}
	for _, j := range d.TrainIndex {
		if !big[j] {
			t.Fatalf("ρ = 0.05 drew image %d that ρ = 0.2 did not", j)
		}
	}
}

// TestSeedsPinned guards the random streams against silent change (a Go
// release, a refactor): changing them changes every published number.
func TestSeedsPinned(t *testing.T) {
	key := Key{Dataset: "mnist", Normal: 0, Anomaly: 1, Seed: 0, Rho: 0.2}
	if got, want := key.String(), "mnist/c0/a1/s0/rho0.2"; got != want {
		t.Errorf("key = %q, want %q", got, want)
	}
	if got, want := key.BaseSeed(), uint64(pinnedBaseSeed); got != want {
		t.Errorf("BaseSeed = %#x, want %#x", got, want)
	}
	got := NewRand(key.BaseSeed(), "contamination").Sample([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 5)
	if !slices.Equal(got, pinnedSample) {
		t.Errorf("Sample = %v, want %v", got, pinnedSample)
	}
}

func TestIntNUniform(t *testing.T) {
	r := NewRand(1, "t")
	counts := make([]int, 7)
	for i := 0; i < 70000; i++ {
		counts[r.IntN(7)]++
	}
	for v, n := range counts {
		if n < 9500 || n > 10500 { // ±5σ ≈ ±470
			t.Errorf("value %d drawn %d times of 70000", v, n)
		}
	}
}

func TestGrid(t *testing.T) {
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	paper := Grid{Datasets: []string{"mnist"}, Rhos: []float64{0.1}, NormalClasses: all, AnomalyClasses: all, Seeds: []int{0}}
	keys := paper.Keys()
	if len(keys) != 90 {
		t.Fatalf("paper grid has %d experiments per data set and ρ, want 90", len(keys))
	}
	seen := map[Key]bool{}
	for _, k := range keys {
		if k.Normal == k.Anomaly || seen[k] {
			t.Fatalf("bad or repeated key %s", k)
		}
		seen[k] = true
	}
	one := paper
	one.AnomaliesPerNormal = 1
	one.Seeds = []int{0, 1}
	keys = one.Keys()
	if len(keys) != 20 {
		t.Fatalf("one anomaly class per normal class, 2 seeds: %d keys, want 20", len(keys))
	}
	for _, k := range keys {
		if k.Anomaly != (k.Normal+1)%10 {
			t.Errorf("%s: anomaly class should be the next class", k)
		}
	}
}

// fakeDetector scores a sample by its mean pixel; it records what it was given.
type fakeDetector struct {
	fitN      int
	valN      int
	truthSeen bool
	nan       bool
}

func (f *fakeDetector) Fit(ctx context.Context, train Samples) error { f.fitN = train.N; return nil }
func (f *fakeDetector) FitValidated(ctx context.Context, train Samples, val Labelled) error {
	f.valN = len(val.IsAnomaly)
	return f.Fit(ctx, train)
}
func (f *fakeDetector) ObserveTruth(t []bool)   { f.truthSeen = len(t) > 0 }
func (f *fakeDetector) Info() map[string]string { return map[string]string{"k": "v"} }
func (f *fakeDetector) Score(ctx context.Context, test Samples) ([]float64, error) {
	out := make([]float64, test.N)
	for i := range out {
		for _, p := range test.Row(i) {
			out[i] += float64(p)
		}
		// Normal class 0 has pixel 0; every anomaly is brighter.
		if f.nan {
			out[i] = out[i] / 0 * 0
		}
	}
	return out, nil
}

func TestEvaluate(t *testing.T) {
	ds := synthetic(50, 10)
	exp, err := Build(ds, Key{Dataset: "synth", Normal: 0, Anomaly: 1, Rho: 0.1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDetector{}
	out, err := Evaluate(context.Background(), d, exp)
	if err != nil {
		t.Fatal(err)
	}
	if out.AUC != 1 || d.fitN != exp.Train.N || d.valN != 10 || !d.truthSeen || out.Info["k"] != "v" {
		t.Errorf("outcome %+v, detector %+v", out, d)
	}
	if _, err := Evaluate(context.Background(), &fakeDetector{nan: true}, exp); !errors.Is(err, ErrDiverged) {
		t.Errorf("NaN scores: error %v, want ErrDiverged", err)
	}
}

// TestRealCounts pins the paper's class counts on the real files.
func TestRealCounts(t *testing.T) {
	tests := []struct {
		spec               datasets.Spec
		normal             int
		rho                float64
		wantNormal, wantNA int
		wantTestNormal     int
	}{
		{datasets.MNIST(), 0, 0.2, 5923, 1480, 980},
		{datasets.MNIST(), 0, 0.01, 5923, 59, 980},
		{datasets.MNIST(), 1, 0.1, 6742, 749, 1135},
		{datasets.FashionMNIST(), 0, 0.2, 6000, 1500, 1000},
		{datasets.FashionMNIST(), 7, 0.05, 6000, 315, 1000},
	}
	for _, tt := range tests {
		ds := datasetstest.Load(t, tt.spec)
		exp, err := Build(ds, Key{Dataset: tt.spec.Name, Normal: tt.normal, Anomaly: (tt.normal + 1) % 10, Rho: tt.rho}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var testNormal int
		for _, a := range exp.TestIsAnomaly {
			if !a {
				testNormal++
			}
		}
		if exp.NormalTrain != tt.wantNormal || exp.AnomaliesTrain != tt.wantNA || exp.Train.N != tt.wantNormal+tt.wantNA ||
			exp.Test.N != 10000 || testNormal != tt.wantTestNormal || exp.Train.Dim() != 784 {
			t.Errorf("%s c=%d ρ=%v: n_c=%d n_a=%d n=%d test=%d (normal %d)", tt.spec.Name, tt.normal, tt.rho,
				exp.NormalTrain, exp.AnomaliesTrain, exp.Train.N, exp.Test.N, testNormal)
		}
	}
}

// TestExtraOutlierCount pins the block size to what Deep SAD's
// create_semisupervised_setting gives (numpy.linalg.solve of its 4×4 system
// with ratio_known_normal 0, ratio_known_outlier 0.01, then int()), which
// the released NCAE code calls with those defaults.
func TestExtraOutlierCount(t *testing.T) {
	tests := []struct {
		r, rho float64
		normal int
		want   int
	}{
		{0.01, 0, 5923, 59},
		{0.01, 0.2, 5923, 74},
		{0.01, 0.1, 6000, 67},
		{0.01, 0.05, 5421, 57},
		{0, 0.2, 5923, 0},
	}
	for _, tt := range tests {
		if got := ExtraOutlierCount(tt.r, tt.rho, tt.normal); got != tt.want {
			t.Errorf("ExtraOutlierCount(%g, %g, %d) = %d, want %d", tt.r, tt.rho, tt.normal, got, tt.want)
		}
	}
}

func TestBuildExtraOutliers(t *testing.T) {
	ds := synthetic(100, 20)
	key := Key{Dataset: "synth", Normal: 3, Anomaly: 5, Seed: 0, Rho: 0.2}
	plain, err := Build(ds, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Build(ds, key, Options{ExtraOutliers: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	// ⌊0.05/0.95 · 100/0.8⌋ = 6 extra images of class 5 on top of the 25.
	if exp.AnomaliesTrain != 31 || exp.Train.N != 131 {
		t.Fatalf("n_a = %d, n = %d; want 31, 131", exp.AnomaliesTrain, exp.Train.N)
	}
	in := map[int]bool{}
	for _, j := range plain.TrainIndex {
		in[j] = true
	}
	var extra int
	for i, j := range exp.TrainIndex {
		if i > 0 && exp.TrainIndex[i-1] == j {
			t.Fatalf("image %d drawn twice", j)
		}
		if !in[j] {
			extra++
			if ds.TrainLabels[j] != 5 || !exp.TrainIsAnomaly[i] {
				t.Errorf("extra image %d has class %d (anomaly %v), want class 5, an anomaly", j, ds.TrainLabels[j], exp.TrainIsAnomaly[i])
			}
		}
	}
	if extra != 6 {
		t.Errorf("%d images beyond the plain training set, want 6 (the plain set must be kept whole)", extra)
	}
	if _, err := Build(ds, key, Options{ExtraOutliers: 0.45}); err == nil || !strings.Contains(err.Error(), "extra_outliers") {
		t.Errorf("a block larger than class 5: error %v, want one naming extra_outliers", err)
	}
}

// TestBuildLabelledAnomalies: the labelled anomalies are Deep SAD's size,
// from class a, outside the training set, deterministic, and the rest of
// the experiment is identical with and without them.
func TestBuildLabelledAnomalies(t *testing.T) {
	ds := synthetic(100, 20)
	key := Key{Dataset: "synth", Normal: 3, Anomaly: 5, Seed: 0, Rho: 0.2}
	plain, err := Build(ds, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Build(ds, key, Options{LabelledAnomalies: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	// ⌊0.05/0.95 · 100/0.8⌋ = 6 labelled images of class 5.
	if exp.Labelled.N != 6 || len(exp.LabelledIndex) != 6 || plain.Labelled.N != 0 {
		t.Fatalf("labelled %d (%v), without the option %d; want 6 and 0", exp.Labelled.N, exp.LabelledIndex, plain.Labelled.N)
	}
	if !slices.Equal(exp.TrainIndex, plain.TrainIndex) || string(exp.Train.Pixels) != string(plain.Train.Pixels) ||
		!slices.Equal(exp.TestIndex, plain.TestIndex) || !slices.Equal(exp.Validation, plain.Validation) {
		t.Error("labelled anomalies changed the unlabelled experiment")
	}
	inTrain := map[int]bool{}
	for _, j := range exp.TrainIndex {
		inTrain[j] = true
	}
	for i, j := range exp.LabelledIndex {
		if ds.TrainLabels[j] != 5 || inTrain[j] || (i > 0 && exp.LabelledIndex[i-1] >= j) {
			t.Errorf("labelled image %d: class %d, in the training set %v (indices %v)", j, ds.TrainLabels[j], inTrain[j], exp.LabelledIndex)
		}
	}
	again, _ := Build(ds, key, Options{LabelledAnomalies: 0.05})
	if !slices.Equal(again.LabelledIndex, exp.LabelledIndex) {
		t.Error("labelled draw not deterministic")
	}
	if _, err := Build(ds, key, Options{LabelledAnomalies: 0.05, Mode: Single}); err == nil || !strings.Contains(err.Error(), "pooled") {
		t.Errorf("single mode with labelled anomalies: %v", err)
	}
}
