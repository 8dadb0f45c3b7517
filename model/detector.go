package model

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/model/nn"
	"github.com/ncae-repro/ncae/protocol"
)

// Env is what a model needs to know about the experiment beside its
// parameters.
type Env struct {
	Dataset string // "mnist" or "fmnist": selects the networks
	Seed    uint64 // all randomness derives from it
	Backend string // backend spec, see backend.Open
	// Backends, when set, shares open backends between runs (an XLA client
	// is expensive to create); otherwise each detector opens its own.
	Backends *backend.Pool
	// Progress, when set, is told after every epoch.
	Progress func(EpochReport)
}

// EpochReport is what a detector says after each training epoch.
type EpochReport struct {
	// Phase names a training phase before the method's own ("pretrain":
	// Deep SVDD's autoencoder); "" for the method's training.
	Phase         string
	Epoch, Epochs int
	Loss          float64 // mean reconstruction (CAE) or NCR (NCAE) loss
	// Mining precision and recall against the true labels (NCAE with τ > 0
	// and a TruthObserver call only; NaN otherwise).
	Precision, Recall float64
	Elapsed           time.Duration
}

// String is a one-line summary, e.g. "epoch 3/30 loss 0.01234 mining P 0.41 R 0.20 (1m23s)".
func (r EpochReport) String() string {
	s := fmt.Sprintf("epoch %d/%d loss %.5f", r.Epoch, r.Epochs, r.Loss)
	if r.Phase != "" {
		s = r.Phase + " " + s
	}
	if !math.IsNaN(r.Precision) {
		s += fmt.Sprintf(" mining P %.2f R %.2f", r.Precision, r.Recall)
	}
	return s + fmt.Sprintf(" (%s)", r.Elapsed.Round(time.Second))
}

// scoreBatch is the batch size of inference; the last batch is padded.
const scoreBatch = 250

// Detector is CAE, NCAE or Deep SVDD on one experiment. Use NewCAE,
// NewNCAE or NewDeepSVDD.
type Detector struct {
	env    Env
	arch   Arch
	ae     AEParams
	ncae   *NCAEParams     // nil for CAE and Deep SVDD
	svdd   *DeepSVDDParams // nil for CAE and NCAE
	center []float32       // Deep SVDD's c, after Fit
	eta    float64         // Deep SAD's η (0 for Deep SVDD)
	semi   []float32       // Deep SAD, classifier: 1 for the training set's labelled anomalies
	clf    bool            // the supervised classifier
	b      *backend.Backend
	state  *state // after Fit
	scorer *graph.Exec
	truth  []bool
	info   map[string]string
}

// NewCAE returns a CAE detector.
func NewCAE(p *CAEParams, env Env) (*Detector, error) {
	return newDetector(p.AEParams, nil, env)
}

// NewNCAE returns an NCAE detector.
func NewNCAE(p *NCAEParams, env Env) (*Detector, error) {
	return newDetector(p.AEParams, p, env)
}

func newDetector(ae AEParams, p *NCAEParams, env Env) (*Detector, error) {
	if err := ae.Validate(); err != nil {
		return nil, err
	}
	if p != nil {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	arch, err := ArchFor(env.Dataset)
	if err != nil {
		return nil, err
	}
	if p != nil {
		arch = arch.WithDiscLogits(p.DiscLogits)
	}
	return &Detector{env: env, arch: arch, ae: ae, ncae: p, info: map[string]string{}}, nil
}

// kind is the training step the detector's Fit runs.
func (d *Detector) kind() stepKind {
	switch {
	case d.ncae != nil:
		return kindNCAE
	case d.svdd != nil:
		return kindSVDD
	case d.clf:
		return kindCLF
	}
	return kindCAE
}

// ObserveTruth receives the training labels; they are used only to report
// the mining precision and recall, never in training.
func (d *Detector) ObserveTruth(trainIsAnomaly []bool) { d.truth = trainIsAnomaly }

// Info reports the epochs run and, for NCAE, mining precision and recall
// per epoch.
func (d *Detector) Info() map[string]string { return d.info }

// SetWorkers sets the goroutines one operation of the backend may use, for
// a backend that takes the option (cpu; backend.WithWorkers), before
// training; the scores do not depend on it. It implements
// protocol.Parallel.
func (d *Detector) SetWorkers(n int) {
	if d.b == nil {
		d.env.Backend = backend.WithWorkers(d.env.Backend, n)
	}
}

func (d *Detector) open() error {
	if d.b != nil {
		return nil
	}
	var err error
	if d.env.Backends != nil {
		d.b, err = d.env.Backends.Get(d.env.Backend)
	} else {
		d.b, err = backend.Open(d.env.Backend)
	}
	return err
}

// Fit trains the autoencoder (and, for NCAE, the discriminators) on train.
func (d *Detector) Fit(ctx context.Context, train protocol.Samples) error {
	if train.Rows != d.arch.Rows || train.Cols != d.arch.Cols {
		return fmt.Errorf("images are %d×%d, the %s networks need %d×%d", train.Rows, train.Cols, d.env.Dataset, d.arch.Rows, d.arch.Cols)
	}
	if train.N < d.ae.BatchSize {
		return fmt.Errorf("%d training images is fewer than one batch (batch_size = %d)", train.N, d.ae.BatchSize)
	}
	if d.truth != nil && len(d.truth) != train.N {
		return fmt.Errorf("truth has %d labels for %d training images", len(d.truth), train.N)
	}
	if err := d.open(); err != nil {
		return err
	}
	st, err := newState(d.arch, d.ncae != nil, protocol.NewRand(d.env.Seed, "model/init"), d.ae.DeconvFanIn == FanInOutput)
	if err != nil {
		return err
	}
	defer func() {
		if d.state != st { // Fit failed: nothing will close the state later
			st.close()
		}
	}()
	if d.clf {
		if err := st.addClassifierHead(d.arch, protocol.NewRand(d.env.Seed, "model/init-classifier")); err != nil {
			return err
		}
	}
	if d.svdd != nil {
		if err := d.fitSVDD(ctx, train, st); err != nil {
			return err
		}
		d.state = st
		return nil
	}
	t, err := newTrainer(d, st)
	if err != nil {
		return err
	}
	defer t.close()
	if err := t.run(ctx, train); err != nil {
		return err
	}
	d.state = st
	return nil
}

// Score returns each image's mean squared reconstruction error over its
// pixels, with batch norm in inference mode.
func (d *Detector) Score(ctx context.Context, test protocol.Samples) ([]float64, error) {
	if d.state == nil {
		return nil, fmt.Errorf("score before fit")
	}
	if d.svdd != nil {
		return d.scoreSVDD(ctx, test)
	}
	if d.clf {
		return d.scoreCLF(ctx, test)
	}
	if d.scorer == nil {
		var err error
		d.scorer, err = graph.NewExec(d.b, func(inputs []*graph.Node) *graph.Node {
			vars := d.state.vars(inputs[:d.state.layout.Len()])
			x := inputs[len(inputs)-1]
			f := &nn.Frame{Vars: vars, Slope: d.ae.LeakySlope, LowerConv: !d.b.NativeConv}
			xr := d.arch.Decoder.Apply(f, decPrefix, d.arch.Encoder.Apply(f, encPrefix, x))
			return perSampleSE(x, xr)
		})
		if err != nil {
			return nil, err
		}
	}
	pixels := test.Float32()
	dim := test.Dim()
	scores := make([]float64, 0, test.N)
	batch := make([]float32, scoreBatch*dim)
	for start := 0; start < test.N; start += scoreBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(scoreBatch, test.N-start)
		clear(batch)
		copy(batch, pixels[start*dim:(start+n)*dim])
		x := tensors.FromFlatDataAndDimensions(batch, scoreBatch, test.Rows, test.Cols, 1)
		args := append(d.state.args(), x)
		out, err := d.scorer.Exec(args...)
		if err != nil {
			return nil, fmt.Errorf("score: %w", err)
		}
		v := tensors.MustCopyFlatData[float32](out[0])
		out[0].FinalizeAll()
		x.FinalizeAll()
		for _, s := range v[:n] {
			scores = append(scores, float64(s))
		}
	}
	return scores, nil
}

// Close releases the trained state and the inference graph (on an XLA
// device, its buffers); the detector cannot score afterwards. It
// implements protocol.Closer and may be called more than once.
func (d *Detector) Close() error {
	d.closeScorer()
	if d.state != nil {
		d.state.close()
		d.state = nil
	}
	return nil
}

// closeScorer releases the inference graph.
func (d *Detector) closeScorer() {
	if d.scorer != nil {
		d.scorer.Finalize()
		d.scorer = nil
	}
}

// formatSeries renders per-epoch values for runs.csv's info column.
func formatSeries(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		if math.IsNaN(x) {
			parts[i] = "nan"
		} else {
			parts[i] = strconv.FormatFloat(x, 'f', 3, 64)
		}
	}
	return strings.Join(parts, " ")
}
