package protocol

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ncae-repro/ncae/protocol/roc"
)

// Detector is what a method implements to take part in the protocol: it
// learns from an unlabelled training set and scores new samples, higher
// meaning more anomalous. Both may take long and must honour ctx.
type Detector interface {
	Fit(ctx context.Context, train Samples) error
	Score(ctx context.Context, test Samples) ([]float64, error)
}

// ValidatedDetector is a Detector that selects a hyper-parameter on a
// labelled validation set drawn from the test split — Deep SAD's declared
// "unfair advantage" for the OC-SVM. Evaluate calls FitValidated instead of
// Fit for such detectors.
type ValidatedDetector interface {
	Detector
	FitValidated(ctx context.Context, train Samples, validation Labelled) error
}

// LabelledDetector is a Detector that also learns from labelled anomalies
// (Deep SAD, the supervised classifier): Evaluate calls FitLabelled
// instead of Fit, with the experiment's Labelled samples (possibly none,
// when Options.LabelledAnomalies is 0: the method then reduces to its
// unsupervised form). Unsupervised detectors never see them.
type LabelledDetector interface {
	Detector
	FitLabelled(ctx context.Context, train Samples, anomalies Samples) error
}

// LabelledValidatedDetector takes both the labelled anomalies and the
// labelled hold-out (SSAD, which picks γ there as the OC-SVM does).
// Evaluate prefers it to the other Fit methods.
type LabelledValidatedDetector interface {
	Detector
	FitLabelledValidated(ctx context.Context, train, anomalies Samples, validation Labelled) error
}

// Closer is implemented by detectors that hold resources beyond memory the
// garbage collector sees (compiled graphs, device buffers). Evaluate's
// callers close a detector once its outcome is recorded; Close must be
// safe to call more than once.
type Closer interface {
	Close() error
}

// Parallel is implemented by detectors that can be told how many goroutines
// to use. A runner of several experiments at once gives each its share of
// the cores; without a call a detector uses them all. The number must not
// change a detector's scores. It is a ceiling a detector may not reach
// (a build on OpenBLAS keeps OpenBLAS's own threads).
type Parallel interface {
	SetWorkers(n int)
}

// Reporter is implemented by detectors with something to record beside the
// AUC (a selected γ or bandwidth, mining precision per epoch, …). The map is
// stored in the result row's info column.
type Reporter interface {
	Info() map[string]string
}

// TruthObserver is implemented by detectors that report how well they find
// the contamination. The harness hands them the training set's truth before
// Fit; using it to train would break the protocol.
type TruthObserver interface {
	ObserveTruth(trainIsAnomaly []bool)
}

// ErrDiverged is wrapped by detectors whose training produced non-finite
// values; such runs are recorded with status "diverged".
var ErrDiverged = errors.New("training diverged")

// Outcome is the result of evaluating one detector on one experiment.
type Outcome struct {
	AUC          float64
	AUPR         float64 // average precision (roc.AveragePrecision)
	TrainSeconds float64
	ScoreSeconds float64
	Info         map[string]string
	// Scores are the detector's test scores, one per test sample in the
	// test set's order (higher = more anomalous); nil unless scoring
	// succeeded.
	Scores []float64
}

// holdOut is exp's labelled hold-out.
func holdOut(exp *Experiment) Labelled {
	val := Labelled{Samples: exp.Test.Subset(exp.Validation), IsAnomaly: make([]bool, len(exp.Validation))}
	for i, j := range exp.Validation {
		val.IsAnomaly[i] = exp.TestIsAnomaly[j]
	}
	return val
}

// Evaluate fits d on exp's training set and returns its AUC and average
// precision on the test set, with the test scores they come from.
func Evaluate(ctx context.Context, d Detector, exp *Experiment) (Outcome, error) {
	var out Outcome
	if o, ok := d.(TruthObserver); ok {
		o.ObserveTruth(exp.TrainIsAnomaly)
	}
	start := time.Now()
	var err error
	switch v := d.(type) {
	case LabelledValidatedDetector:
		err = v.FitLabelledValidated(ctx, exp.Train, exp.Labelled, holdOut(exp))
	case LabelledDetector:
		err = v.FitLabelled(ctx, exp.Train, exp.Labelled)
	case ValidatedDetector:
		err = v.FitValidated(ctx, exp.Train, holdOut(exp))
	default:
		err = d.Fit(ctx, exp.Train)
	}
	out.TrainSeconds = time.Since(start).Seconds()
	if r, ok := d.(Reporter); ok {
		out.Info = r.Info()
	}
	if err != nil {
		return out, fmt.Errorf("fit: %w", err)
	}
	start = time.Now()
	scores, err := d.Score(ctx, exp.Test)
	out.ScoreSeconds = time.Since(start).Seconds()
	if r, ok := d.(Reporter); ok {
		out.Info = r.Info()
	}
	if err != nil {
		return out, fmt.Errorf("score: %w", err)
	}
	if len(scores) != exp.Test.N {
		return out, fmt.Errorf("score: %d scores for %d test samples", len(scores), exp.Test.N)
	}
	for i, s := range scores {
		if math.IsNaN(s) {
			return out, fmt.Errorf("score: %w: score %d is NaN", ErrDiverged, i)
		}
	}
	out.Scores = scores
	if out.AUC, err = roc.AUC(scores, exp.TestIsAnomaly); err != nil {
		return out, err
	}
	if out.AUPR, err = roc.AveragePrecision(scores, exp.TestIsAnomaly); err != nil {
		return out, err
	}
	return out, nil
}
