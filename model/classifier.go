package model

// The supervised baseline of Deep SAD's experiment: the same encoder with a
// logistic output, trained with binary cross-entropy to tell the labelled
// anomalies from the rest of the training set, which it takes for normal.
// Score: the anomaly logit.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's examples use the dot import for graph code

	"github.com/ncae-repro/ncae/model/nn"
	"github.com/ncae-repro/ncae/protocol"
)

// clfPrefix names the classifier's output layer in a layout.
const clfPrefix = "clf/"

// classifierHead is the logistic output on the latent: one bias-free
// dense unit, like every layer of these networks.
func classifierHead() nn.Seq { return nn.Seq{nn.Dense(1)} }

// ClassifierParams configure the supervised classifier: its training
// (epochs, batch_size, lr, lr_milestones, lr_decay, weight_decay,
// leaky_slope; deconv_fan_in is unused). Defaults: Deep SAD's recipe for
// its deep networks (Adam, batch 128, lr 1e-4, 150 epochs, ×0.1 at 50,
// weight decay 0.5e-6, LeakyReLU 0.01), no pretraining.
type ClassifierParams struct {
	AEParams
}

// DefaultClassifierParams returns the defaults.
func DefaultClassifierParams() *ClassifierParams {
	return &ClassifierParams{AEParams{Epochs: 150, BatchSize: 128, LR: 1e-4, LRMilestones: []int{50}, LRDecay: 0.1,
		WeightDecay: 0.5e-6, LeakySlope: 0.01, DeconvFanIn: FanInOutput}}
}

// TakesLabels marks the classifier as a method that learns from labelled
// anomalies.
func (p *ClassifierParams) TakesLabels() bool { return true }

// UnhashedKeys names the key left out of the config hash: the classifier
// has no decoder, so deconv_fan_in cannot change its runs.
func (p *ClassifierParams) UnhashedKeys() []string { return []string{"deconv_fan_in"} }

// MarshalJSON is what the configuration hash sees: every key but
// deconv_fan_in.
func (p ClassifierParams) MarshalJSON() ([]byte, error) {
	type plain ClassifierParams
	return json.Marshal(struct {
		plain
		LRMilestones []int `json:"lr_milestones"`
	}{plain(p), p.LRMilestones})
}

// ClassifierDetector is the supervised classifier on one experiment, a
// protocol.LabelledDetector.
type ClassifierDetector struct {
	*Detector
}

// NewClassifier returns a classifier detector.
func NewClassifier(p *ClassifierParams, env Env) (*ClassifierDetector, error) {
	d, err := newDetector(p.AEParams, nil, env)
	if err != nil {
		return nil, err
	}
	d.clf = true
	return &ClassifierDetector{d}, nil
}

// ObserveTruth is ignored (no mining to report).
func (d *ClassifierDetector) ObserveTruth([]bool) {}

// ErrNoLabels is returned by the classifier's FitLabelled when the
// experiment has no labelled anomalies: a classifier of one class learns
// nothing.
var ErrNoLabels = errors.New("the classifier needs labelled anomalies (set protocol.labelled_anomalies > 0)")

// FitLabelled trains on the training set (label 0) and the labelled
// anomalies (label 1) together.
func (d *ClassifierDetector) FitLabelled(ctx context.Context, train, anomalies protocol.Samples) error {
	d.info["labelled_anomalies"] = fmt.Sprint(anomalies.N)
	if anomalies.N == 0 {
		return ErrNoLabels
	}
	all, semi, err := withLabelled(train, anomalies)
	if err != nil {
		return err
	}
	d.semi = semi
	return d.Detector.Fit(ctx, all)
}

// Fit without labels fails: see ErrNoLabels.
func (d *ClassifierDetector) Fit(context.Context, protocol.Samples) error { return ErrNoLabels }

// withLabelled appends the labelled anomalies to the training set and
// marks them with 1 in semi.
func withLabelled(train, anomalies protocol.Samples) (protocol.Samples, []float32, error) {
	if anomalies.Rows != train.Rows || anomalies.Cols != train.Cols {
		return protocol.Samples{}, nil, fmt.Errorf("labelled anomalies are %d×%d, the training images %d×%d", anomalies.Rows, anomalies.Cols, train.Rows, train.Cols)
	}
	all := protocol.Samples{N: train.N + anomalies.N, Rows: train.Rows, Cols: train.Cols,
		Pixels: append(append(make([]byte, 0, len(train.Pixels)+len(anomalies.Pixels)), train.Pixels...), anomalies.Pixels...)}
	semi := make([]float32, all.N)
	for i := train.N; i < all.N; i++ {
		semi[i] = 1
	}
	return all, semi, nil
}

// addClassifierHead declares the output layer and its Adam slots in st,
// its weights drawn from r.
func (st *state) addClassifierHead(arch Arch, r nn.Uniform) error {
	var l nn.Layout
	if _, err := classifierHead().Declare(&l, clfPrefix, []int{arch.Latent}); err != nil {
		return err
	}
	w := l.Prefixed(nn.Weight, clfPrefix)
	for _, s := range nn.Renamed(w, aeSlot+"m/", nn.Slot) {
		l.Add(s)
	}
	for _, s := range nn.Renamed(w, aeSlot+"v/", nn.Slot) {
		l.Add(s)
	}
	for i, t := range l.Init(r, false) {
		spec := l.Specs()[i]
		st.layout.Add(spec)
		st.index[spec.Name] = len(st.tensors)
		st.tensors = append(st.tensors, t)
	}
	return nil
}

// clf is one classifier step: binary cross-entropy of the anomaly logit
// against semi (1 for a labelled anomaly), encoder and head trained, batch
// norm in training mode.
func (s *stepGraph) clf(inputs []*Node) []*Node {
	return s.oneLossStep(inputs, func(f *nn.Frame, z *Node, x stepInputs[*Node]) *Node {
		logit := Reshape(classifierHead().Apply(f, clfPrefix, z), -1)
		one := Scalar(logit.Graph(), logit.DType(), 1)
		return ReduceAllMean(Add(Mul(x.Semi, Softplus(Neg(logit))), Mul(Sub(one, x.Semi), Softplus(logit))))
	}, encPrefix, clfPrefix)
}

// scoreCLF returns the anomaly logit of each test image, batch norm in
// inference mode.
func (d *Detector) scoreCLF(ctx context.Context, test protocol.Samples) ([]float64, error) {
	scores := make([]float64, 0, test.N)
	err := d.mapBatches(ctx, d.state, test, func(f *nn.Frame, x *Node) *Node {
		return Reshape(classifierHead().Apply(f, clfPrefix, d.arch.Encoder.Apply(f, encPrefix, x)), -1)
	}, func(out []float32, n int) {
		for _, v := range out[:n] {
			scores = append(scores, float64(v))
		}
	})
	return scores, err
}
