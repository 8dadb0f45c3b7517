package protocol

import (
	"fmt"
	"math"
	"sort"

	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/idx"
)

// Contamination modes.
const (
	Pooled = "pooled" // anomalies drawn from the nine other classes together
	Single = "single" // anomalies drawn from class Key.Anomaly only
)

// Options are the protocol settings shared by every experiment of a run.
type Options struct {
	Mode string // Pooled (default when empty) or Single
	// MaxTrainNormal, when positive, keeps a seeded random subset of that many
	// normal training images (n_c becomes this number). 0 = all, as in the paper.
	MaxTrainNormal int
	// TestSize, when positive, keeps a seeded subset of the test split with
	// the same anomaly proportion. 0 = the full test split, as in the paper.
	TestSize int
	// ValidationFraction of the test set forms the labelled, class-
	// proportional hold-out on which ValidatedDetectors select hyper-
	// parameters (Deep SAD's OC-SVM protocol); 0 means 0.1.
	ValidationFraction float64
	// ExtraOutliers, when positive, adds ExtraOutlierCount images of the
	// anomaly class a on top of the contamination, unlabelled like the rest.
	// It reproduces a default of the released NCAE code: its main.py passes
	// Deep SAD's --ratio_known_outlier 0.01 --n_known_outlier_classes 1, so
	// every training set there carries a 1 % block of one anomaly class (the
	// labels of which its trainer ignores), even at ρ = 0. 0 = off, as in
	// the paper's protocol.
	ExtraOutliers float64
	// LabelledAnomalies, when positive, draws ExtraOutlierCount(γ_l, ρ, n_c)
	// images of the anomaly class a as *labelled* anomalies (Deep SAD's
	// ratio_known_outlier γ_l with one known class): Experiment.Labelled,
	// handed only to detectors that take labels (LabelledDetector). Drawn
	// from a stream of their own after everything else and never an image
	// already in the training set, so the rest of the experiment is the
	// same with or without them. Needs the pooled mode (in single mode a
	// would be both the labelled and the contaminating class).
	LabelledAnomalies float64
}

// ExtraOutlierCount is the size of the extra block for a ratio r, n_c
// normal images and contamination ρ: Deep SAD's create_semisupervised_setting
// solves for a block that is r of the whole training set, the
// contamination counted before rounding: ⌊r/(1−r) · n_c/(1−ρ)⌋.
func ExtraOutlierCount(r, rho float64, normal int) int {
	if r <= 0 {
		return 0
	}
	return int(math.Floor(r/(1-r)*float64(normal)/(1-rho) + 1e-9))
}

// Experiment is one experiment's data, ready for a detector.
type Experiment struct {
	Key Key
	// Train is the contaminated, unlabelled training set, in the official
	// split's order (so position says nothing about the label).
	Train Samples
	// TrainIndex maps Train rows to the official training split.
	TrainIndex []int
	// TrainIsAnomaly is the truth about Train. It exists only to report how
	// well a method finds the contamination; no detector may train on it.
	TrainIsAnomaly []bool
	NormalTrain    int // n_c
	AnomaliesTrain int // n_a

	Test          Samples
	TestIndex     []int // Test rows in the official test split
	TestIsAnomaly []bool
	// Validation indexes Test: the labelled hold-out for ValidatedDetectors.
	Validation []int
	// Labelled are the labelled anomalies of Options.LabelledAnomalies
	// (N = 0 without them), LabelledIndex their rows in the official
	// training split.
	Labelled      Samples
	LabelledIndex []int
}

// AnomalyCount is n_a = ⌊ρ/(1−ρ)·n_c⌋; the 1e-9 absorbs the rounding of
// ρ/(1−ρ) (0.2/0.8·6000 must give 1500, not 1499).
func AnomalyCount(rho float64, normal int) int {
	return int(math.Floor(rho/(1-rho)*float64(normal) + 1e-9))
}

// Build draws experiment key's training and test sets from ds. It is a pure
// function of (ds, key, opt).
func Build(ds *datasets.Dataset, key Key, opt Options) (*Experiment, error) {
	if ds.Spec.Name != key.Dataset {
		return nil, fmt.Errorf("protocol: key %s given data set %s", key, ds.Spec.Name)
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	mode := opt.Mode
	if mode == "" {
		mode = Pooled
	}
	base := key.BaseSeed()
	labels := ds.TrainLabels

	var normal, pool []int
	for i, y := range labels {
		switch {
		case int(y) == key.Normal:
			normal = append(normal, i)
		case mode == Pooled || int(y) == key.Anomaly:
			pool = append(pool, i)
		}
	}
	if len(normal) == 0 {
		return nil, fmt.Errorf("protocol: %s: no training images of class %d", key, key.Normal)
	}
	if opt.MaxTrainNormal > 0 && opt.MaxTrainNormal < len(normal) {
		normal = NewRand(base, "train-normal").Sample(normal, opt.MaxTrainNormal)
	}
	nA := AnomalyCount(key.Rho, len(normal))
	if nA > len(pool) {
		return nil, fmt.Errorf("protocol: %s: ρ = %g needs %d anomalies, %s mode has only %d", key, key.Rho, nA, mode, len(pool))
	}
	var anomalies []int
	switch mode {
	case Pooled, Single:
		anomalies = NewRand(base, "contamination").Sample(pool, nA)
	default:
		return nil, fmt.Errorf("protocol: unknown contamination mode %q (want %q or %q)", mode, Pooled, Single)
	}

	if nX := ExtraOutlierCount(opt.ExtraOutliers, key.Rho, len(normal)); nX > 0 {
		// From class a, never an image the contamination already drew
		// (Deep SAD draws the two independently and may repeat one).
		drawn := make(map[int]bool, len(anomalies))
		for _, i := range anomalies {
			drawn[i] = true
		}
		var candidates []int
		for i, y := range labels {
			if int(y) == key.Anomaly && !drawn[i] {
				candidates = append(candidates, i)
			}
		}
		if nX > len(candidates) {
			return nil, fmt.Errorf("protocol: %s: extra_outliers = %g needs %d images of class %d, %d are left", key, opt.ExtraOutliers, nX, key.Anomaly, len(candidates))
		}
		anomalies = append(anomalies, NewRand(base, "extra-outliers").Sample(candidates, nX)...)
		nA += nX
	}

	exp := &Experiment{Key: key, NormalTrain: len(normal), AnomaliesTrain: nA}
	exp.TrainIndex = append(append([]int(nil), normal...), anomalies...)
	sort.Ints(exp.TrainIndex)
	exp.Train = subset(ds.TrainImages, exp.TrainIndex)
	if nL := ExtraOutlierCount(opt.LabelledAnomalies, key.Rho, len(normal)); nL > 0 {
		if mode != Pooled {
			return nil, fmt.Errorf("protocol: %s: labelled anomalies need the pooled mode (in single mode class %d would be both labelled and contaminating)", key, key.Anomaly)
		}
		inTrain := make(map[int]bool, len(exp.TrainIndex))
		for _, i := range exp.TrainIndex {
			inTrain[i] = true
		}
		var candidates []int
		for i, y := range labels {
			if int(y) == key.Anomaly && !inTrain[i] {
				candidates = append(candidates, i)
			}
		}
		if nL > len(candidates) {
			return nil, fmt.Errorf("protocol: %s: labelled_anomalies = %g needs %d images of class %d, %d are left", key, opt.LabelledAnomalies, nL, key.Anomaly, len(candidates))
		}
		exp.LabelledIndex = NewRand(base, "labelled-anomalies").Sample(candidates, nL)
		sort.Ints(exp.LabelledIndex)
	}
	exp.Labelled = subset(ds.TrainImages, exp.LabelledIndex)
	exp.TrainIsAnomaly = make([]bool, len(exp.TrainIndex))
	for i, j := range exp.TrainIndex {
		exp.TrainIsAnomaly[i] = int(labels[j]) != key.Normal
	}

	testAnomaly := make([]bool, len(ds.TestLabels))
	for i, y := range ds.TestLabels {
		testAnomaly[i] = int(y) != key.Normal
	}
	exp.TestIndex = allIndices(len(testAnomaly))
	if opt.TestSize > 0 && opt.TestSize < len(testAnomaly) {
		exp.TestIndex = Stratified(testAnomaly, opt.TestSize, NewRand(base, "test-subset"))
	}
	exp.Test = subset(ds.TestImages, exp.TestIndex)
	exp.TestIsAnomaly = make([]bool, len(exp.TestIndex))
	for i, j := range exp.TestIndex {
		exp.TestIsAnomaly[i] = testAnomaly[j]
	}
	frac := opt.ValidationFraction
	if frac == 0 {
		frac = 0.1
	}
	exp.Validation = Stratified(exp.TestIsAnomaly, int(frac*float64(len(exp.TestIndex))), NewRand(base, "validation"))
	return exp, nil
}

func checkKey(k Key) error {
	switch {
	case k.Normal < 0 || k.Normal > 9:
		return fmt.Errorf("protocol: normal class %d not in 0..9", k.Normal)
	case k.Anomaly < 0 || k.Anomaly > 9 || k.Anomaly == k.Normal:
		return fmt.Errorf("protocol: anomaly class %d must be in 0..9 and differ from the normal class %d", k.Anomaly, k.Normal)
	case !(k.Rho >= 0 && k.Rho < 1):
		return fmt.Errorf("protocol: ρ = %g not in [0, 1)", k.Rho)
	}
	return nil
}

// Stratified returns n indices of labels (sorted), keeping the anomaly
// proportion: ⌊n·n_anomalies/len⌋ anomalies, the rest normal. This is Deep
// SAD's class-proportional hold-out, except that Deep SAD floors the normal
// count too, so its hold-out can be one sample short of n.
func Stratified(isAnomaly []bool, n int, r *Rand) []int {
	var norm, anom []int
	for i, a := range isAnomaly {
		if a {
			anom = append(anom, i)
		} else {
			norm = append(norm, i)
		}
	}
	nAnom := 0
	if len(isAnomaly) > 0 {
		nAnom = n * len(anom) / len(isAnomaly)
	}
	nNorm := min(n-nAnom, len(norm))
	out := append(r.Sample(norm, nNorm), r.Sample(anom, nAnom)...)
	sort.Ints(out)
	return out
}

func allIndices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func subset(im *idx.Images, indices []int) Samples {
	all := Samples{N: im.Count, Rows: im.Rows, Cols: im.Cols, Pixels: im.Pixels}
	return all.Subset(indices)
}
