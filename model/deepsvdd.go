package model

// One-Class Deep SVDD (Ruff et al., ICML 2018) as Deep SAD's code runs it
// (Deep SAD with no labelled samples reduces to it exactly): the autoencoder
// is pretrained with plain MSE, the centre c is the mean encoder output over
// the training set, and the encoder alone is then trained to map every
// training image close to c. Score: ‖f(x) − c‖².

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's examples use the dot import for graph code
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/nn"
	"github.com/ncae-repro/ncae/protocol"
)

// DeepSVDDParams configure Deep SVDD. The embedded AEParams are the
// one-class training's (epochs, batch_size, lr, lr_milestones, lr_decay,
// weight_decay, leaky_slope; deconv_fan_in for the pretraining decoder);
// the pretrain_ keys are the autoencoder pretraining's. Defaults: Deep SAD's
// recipe (its README's MNIST command, which the NCAE paper's Deep SVDD
// column comes from).
type DeepSVDDParams struct {
	AEParams
	// PretrainEpochs is the autoencoder pretraining's length; 0 skips it
	// (the encoder then starts from its random initialisation).
	PretrainEpochs int     `toml:"pretrain_epochs"`
	PretrainLR     float64 `toml:"pretrain_lr"`
	// PretrainLRMilestones: as AEParams.LRMilestones. Deep SAD's README
	// leaves --ae_lr_milestone at its default 0, and PyTorch's MultiStepLR
	// applies a milestone 0 at construction: its pretraining runs at
	// pretrain_lr × 0.1 throughout (checked with PyTorch 1.13). The default
	// [0] does the same.
	PretrainLRMilestones []int   `toml:"pretrain_lr_milestones"`
	PretrainWeightDecay  float64 `toml:"pretrain_weight_decay"`
	// CenterEps: coordinates of c with |c_i| < CenterEps are pushed to
	// ±CenterEps, keeping the sign (a zero coordinate stays zero), so that
	// no unit is trivially matched by zero weights (Deep SAD's eps = 0.1).
	CenterEps float64 `toml:"center_eps"`
}

// DefaultDeepSVDDParams returns Deep SAD's recipe: Adam, batch 128, lr 1e-4
// for 150 epochs with ×0.1 at epoch 50, weight decay 0.5e-6; pretraining
// 150 epochs at 1e-4 (×0.1 from the start, see PretrainLRMilestones), weight
// decay 0.5e-3; LeakyReLU 0.01 (PyTorch's default, which Deep SAD's LeNet
// uses).
func DefaultDeepSVDDParams() *DeepSVDDParams {
	return &DeepSVDDParams{
		AEParams: AEParams{Epochs: 150, BatchSize: 128, LR: 1e-4, LRMilestones: []int{50}, LRDecay: 0.1,
			WeightDecay: 0.5e-6, LeakySlope: 0.01, DeconvFanIn: FanInOutput},
		PretrainEpochs: 150, PretrainLR: 1e-4, PretrainLRMilestones: []int{0}, PretrainWeightDecay: 0.5e-3,
		CenterEps: 0.1,
	}
}

// Validate reports a bad value with its key.
func (p *DeepSVDDParams) Validate() error {
	if err := p.AEParams.Validate(); err != nil {
		return err
	}
	switch {
	case p.PretrainEpochs < 0:
		return fmt.Errorf("pretrain_epochs = %d: must be ≥ 0 (0 = no pretraining)", p.PretrainEpochs)
	case !(p.PretrainLR > 0) || math.IsInf(p.PretrainLR, 0):
		return fmt.Errorf("pretrain_lr = %g: must be > 0", p.PretrainLR)
	case !(p.PretrainWeightDecay >= 0):
		return fmt.Errorf("pretrain_weight_decay = %g: must be ≥ 0", p.PretrainWeightDecay)
	case !(p.CenterEps >= 0):
		return fmt.Errorf("center_eps = %g: must be ≥ 0", p.CenterEps)
	}
	return checkMilestones("pretrain_lr_milestones", p.PretrainLRMilestones)
}

// MarshalJSON is what the configuration hash sees: every key (the method
// is new, so none is left out).
func (p DeepSVDDParams) MarshalJSON() ([]byte, error) {
	type plain DeepSVDDParams
	return json.Marshal(struct {
		plain
		DeconvFanIn  FanIn `json:"deconv_fan_in"`
		LRMilestones []int `json:"lr_milestones"`
	}{plain(p), p.DeconvFanIn, p.LRMilestones})
}

// pretraining is the autoencoder pretraining's settings.
func (p *DeepSVDDParams) pretraining() AEParams {
	ae := p.AEParams
	ae.Epochs, ae.LR, ae.LRMilestones, ae.WeightDecay = p.PretrainEpochs, p.PretrainLR, p.PretrainLRMilestones, p.PretrainWeightDecay
	return ae
}

// DeepSADParams configure Deep SAD (Ruff et al., ICLR 2020): Deep SVDD's
// settings and recipe, plus η, the weight of the labelled anomalies'
// inverse-distance term.
type DeepSADParams struct {
	DeepSVDDParams
	Eta float64 `toml:"eta"`
}

// DefaultDeepSADParams returns Deep SAD's recipe (Deep SVDD's) with η = 1.
func DefaultDeepSADParams() *DeepSADParams {
	return &DeepSADParams{DeepSVDDParams: *DefaultDeepSVDDParams(), Eta: 1}
}

// Validate reports a bad value with its key.
func (p *DeepSADParams) Validate() error {
	if !(p.Eta > 0) || math.IsInf(p.Eta, 0) {
		return fmt.Errorf("eta = %g: must be > 0", p.Eta)
	}
	return p.DeepSVDDParams.Validate()
}

// TakesLabels marks Deep SAD as a method that learns from labelled
// anomalies (the configuration hash then covers their ratio).
func (p *DeepSADParams) TakesLabels() bool { return true }

// MarshalJSON is what the configuration hash sees.
func (p DeepSADParams) MarshalJSON() ([]byte, error) {
	inner, err := p.DeepSVDDParams.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		DeepSVDD json.RawMessage `json:"deepsvdd"`
		Eta      float64         `json:"eta"`
	}{inner, p.Eta})
}

// SADDetector is Deep SAD on one experiment: Deep SVDD whose labelled
// anomalies (FitLabelled) are pushed away from the centre. It is a
// protocol.LabelledDetector.
type SADDetector struct {
	*Detector
}

// NewDeepSAD returns a Deep SAD detector.
func NewDeepSAD(p *DeepSADParams, env Env) (*SADDetector, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d, err := NewDeepSVDD(&p.DeepSVDDParams, env)
	if err != nil {
		return nil, err
	}
	d.eta = p.Eta
	return &SADDetector{d}, nil
}

// ObserveTruth is ignored: Deep SAD reports no mining, and its training
// set (with the labelled anomalies appended) is not the experiment's.
func (d *SADDetector) ObserveTruth([]bool) {}

// FitLabelled trains on the unlabelled training set and the labelled
// anomalies together, as Deep SAD's code does: they share the pretraining,
// the centre and the mini-batches; only the loss tells them apart. With
// no labelled anomalies it is Deep SVDD (and says so in its info).
func (d *SADDetector) FitLabelled(ctx context.Context, train, anomalies protocol.Samples) error {
	d.info["labelled_anomalies"] = fmt.Sprint(anomalies.N)
	if anomalies.N == 0 {
		d.info["note"] = "no labelled anomalies (protocol.labelled_anomalies = 0): Deep SVDD"
		return d.Fit(ctx, train)
	}
	all, semi, err := withLabelled(train, anomalies)
	if err != nil {
		return err
	}
	d.semi = semi
	return d.Fit(ctx, all)
}

// NewDeepSVDD returns a One-Class Deep SVDD detector.
func NewDeepSVDD(p *DeepSVDDParams, env Env) (*Detector, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d, err := newDetector(p.AEParams, nil, env)
	if err != nil {
		return nil, err
	}
	d.svdd = p
	return d, nil
}

// fitSVDD pretrains the autoencoder, fixes the centre and trains the
// encoder on the one-class objective.
func (d *Detector) fitSVDD(ctx context.Context, train protocol.Samples, st *state) error {
	p := d.svdd
	if p.PretrainEpochs > 0 {
		pre := &Detector{env: d.env, arch: d.arch, ae: p.pretraining(), b: d.b, info: map[string]string{}}
		if d.env.Progress != nil {
			pre.env.Progress = func(r EpochReport) {
				r.Phase = "pretrain"
				d.env.Progress(r)
			}
		}
		t, err := newTrainer(pre, st)
		if err != nil {
			return err
		}
		err = t.run(ctx, train)
		t.close()
		if err != nil {
			return fmt.Errorf("pretraining: %w", err)
		}
		d.info["pretrain_epochs"], d.info["pretrain_loss"] = pre.info["epochs"], pre.info["loss"]
	}
	sums, err := d.encodeSum(ctx, st, train)
	if err != nil {
		return err
	}
	d.center = centre(sums, train.N, p.CenterEps)
	var norm float64
	for _, c := range d.center {
		norm += float64(c) * float64(c)
	}
	d.info["center_norm"] = fmt.Sprintf("%.4g", math.Sqrt(norm))
	// A fresh optimiser for the one-class phase, as Deep SAD creates one.
	st.zero(st.slots(aeSlot, encPrefix))
	t, err := newTrainer(d, st)
	if err != nil {
		return err
	}
	defer t.close()
	t.center = d.center
	return t.run(ctx, train)
}

// centre is Deep SAD's init_center_c from the per-dimension sums of the
// encoder outputs over n images: their mean, with coordinates closer to 0
// than eps pushed to ±eps (keeping the sign; an exact 0 stays 0).
func centre(sums []float64, n int, eps float64) []float32 {
	c := make([]float32, len(sums))
	for i, s := range sums {
		m := s / float64(n)
		switch {
		case math.Abs(m) < eps && m < 0:
			m = -eps
		case math.Abs(m) < eps && m > 0:
			m = eps
		}
		c[i] = float32(m)
	}
	return c
}

// encodeSum returns the per-dimension sums of the encoder's outputs over
// every training image, batch norm in inference mode (Deep SAD: net.eval()).
func (d *Detector) encodeSum(ctx context.Context, st *state, train protocol.Samples) ([]float64, error) {
	sums := make([]float64, d.arch.Latent)
	err := d.encodeBatches(ctx, st, train, func(z []float32, n int) {
		for i := range n {
			for j := range d.arch.Latent {
				sums[j] += float64(z[i*d.arch.Latent+j])
			}
		}
	})
	return sums, err
}

// encodeBatches runs the encoder in inference mode over s and hands each
// batch's latents [n, d] to use (mapBatches).
func (d *Detector) encodeBatches(ctx context.Context, st *state, s protocol.Samples, use func(z []float32, n int)) error {
	return d.mapBatches(ctx, st, s, func(f *nn.Frame, x *Node) *Node { return d.arch.Encoder.Apply(f, encPrefix, x) }, use)
}

// mapBatches compiles build (a graph of the images x, batch norm in
// inference mode, weights from st), runs it over s in batches of
// scoreBatch (the last padded) and hands each batch's flat output and its
// number of real images to use.
func (d *Detector) mapBatches(ctx context.Context, st *state, s protocol.Samples, build func(f *nn.Frame, x *Node) *Node, use func(out []float32, n int)) error {
	exec, err := NewExec(d.b, func(inputs []*Node) *Node {
		vars := st.vars(inputs[:st.layout.Len()])
		return build(&nn.Frame{Vars: vars, Slope: d.ae.LeakySlope, LowerConv: !d.b.NativeConv}, inputs[len(inputs)-1])
	})
	if err != nil {
		return err
	}
	defer exec.Finalize()
	pixels, dim := s.Float32(), s.Dim()
	batch := make([]float32, scoreBatch*dim)
	for start := 0; start < s.N; start += scoreBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(scoreBatch, s.N-start)
		clear(batch)
		copy(batch, pixels[start*dim:(start+n)*dim])
		x := tensors.FromFlatDataAndDimensions(batch, scoreBatch, s.Rows, s.Cols, 1)
		out, err := exec.Exec(append(st.args(), x)...)
		x.FinalizeAll()
		if err != nil {
			return fmt.Errorf("inference: %w", err)
		}
		use(tensors.MustCopyFlatData[float32](out[0]), n)
		out[0].FinalizeAll()
	}
	return nil
}

// scoreSVDD returns ‖f(x) − c‖² per test image.
func (d *Detector) scoreSVDD(ctx context.Context, test protocol.Samples) ([]float64, error) {
	scores := make([]float64, 0, test.N)
	k := d.arch.Latent
	err := d.encodeBatches(ctx, d.state, test, func(z []float32, n int) {
		for i := range n {
			var s float64
			for j := range k {
				diff := float64(z[i*k+j]) - float64(d.center[j])
				s += diff * diff
			}
			scores = append(scores, s)
		}
	})
	return scores, err
}
