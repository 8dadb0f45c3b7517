package model

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's examples use the dot import for graph code
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/nn"
	"github.com/ncae-repro/ncae/protocol"
)

// trainer runs the epochs of one Fit: batches, noise and μ on the host, one
// compiled step (step.go) per batch.
type trainer struct {
	d     *Detector
	st    *state
	graph *stepGraph
	step  *Exec
	noise *protocol.Rand
	order *protocol.Rand
	mu    []float32 // NCAE's prior mean μ
	// center is Deep SVDD's c, fixed before its training starts.
	center []float32
	// batchSemi marks the current batch's labelled anomalies (Deep SAD).
	batchSemi []float32
}

func newTrainer(d *Detector, st *state) (*trainer, error) {
	sg := &stepGraph{d: d, kind: d.kind(), st: st, adamAE: nn.Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: d.ae.WeightDecay}}
	t := &trainer{
		d:     d,
		st:    st,
		graph: sg,
		noise: protocol.NewRand(d.env.Seed, "model/noise"),
		order: protocol.NewRand(d.env.Seed, "model/order"),
	}
	var err error
	switch sg.kind {
	case kindCAE:
		t.step, err = NewExec(d.b, sg.cae)
	case kindSVDD:
		t.step, err = NewExec(d.b, sg.svdd)
	case kindCLF:
		t.step, err = NewExec(d.b, sg.clf)
	case kindNCAE:
		sg.adamGAN = nn.Adam{Beta1: d.ncae.GANBeta1, Beta2: 0.999, Eps: 1e-8}
		sg.mined = d.ncae.mined()
		t.step, err = NewExec(d.b, sg.ncae)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (t *trainer) close() { t.step.Finalize() }

// run trains for the configured epochs.
func (t *trainer) run(ctx context.Context, train protocol.Samples) error {
	d := t.d
	m := d.ae.BatchSize
	dim := train.Dim()
	pixels := train.Float32()
	batches := train.N / m
	if d.ncae != nil {
		var err error
		if t.mu, err = t.initialMu(pixels, train); err != nil {
			return err
		}
	}
	var precisions, recalls []float64
	var lossSeries [numLosses][]float64 // NCAE: each loss's epoch mean
	batch := make([]float32, m*dim)
	start := time.Now()
	for epoch := range d.ae.Epochs {
		perm := permutation(t.order, train.N)
		schedStep := epoch*batches + 1
		var lossSum float64 // CAE's loss or NCAE's NCR term
		var lossSums [numLosses]float64
		var mined, hits, anomalies int
		for b := range batches {
			if err := ctx.Err(); err != nil {
				return err
			}
			idx := perm[b*m : (b+1)*m]
			for i, j := range idx {
				copy(batch[i*dim:(i+1)*dim], pixels[j*dim:(j+1)*dim])
			}
			if t.graph.kind == kindSVDD || t.graph.kind == kindCLF {
				t.batchSemi = make([]float32, m)
				if d.semi != nil {
					for i, j := range idx {
						t.batchSemi[i] = d.semi[j]
					}
				}
			}
			losses, mask, err := t.trainStep(batch, train.Rows, train.Cols, epoch, schedStep+b)
			if err != nil {
				return fmt.Errorf("epoch %d: %w", epoch+1, err)
			}
			for _, l := range losses {
				if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
					return fmt.Errorf("epoch %d, batch %d: loss %v: %w", epoch+1, b+1, losses, protocol.ErrDiverged)
				}
			}
			if d.ncae == nil {
				lossSum += float64(losses[0])
			} else {
				for i, l := range losses {
					lossSums[i] += float64(l)
				}
				if d.truth != nil {
					for i, j := range idx {
						if d.truth[j] {
							anomalies++
						}
						if mask[i] > 0.5 {
							mined++
							if d.truth[j] {
								hits++
							}
						}
					}
				}
			}
		}
		if d.ncae != nil {
			lossSum = lossSums[lossNCR]
		}
		rep := EpochReport{Epoch: epoch + 1, Epochs: d.ae.Epochs, Loss: lossSum / float64(batches),
			Precision: math.NaN(), Recall: math.NaN(), Elapsed: time.Since(start)}
		if d.ncae != nil && t.graph.mined > 0 && d.truth != nil {
			rep.Precision = ratio(hits, mined)
			rep.Recall = ratio(hits, anomalies)
			precisions = append(precisions, rep.Precision)
			recalls = append(recalls, rep.Recall)
		}
		if d.ncae != nil {
			for i := range lossSeries {
				lossSeries[i] = append(lossSeries[i], lossSums[i]/float64(batches))
			}
		}
		if d.env.Progress != nil {
			d.env.Progress(rep)
		}
		d.info["epochs"] = fmt.Sprint(epoch + 1)
		d.info["loss"] = fmt.Sprintf("%.5f", rep.Loss)
	}
	if precisions != nil {
		d.info["mining_precision"] = formatSeries(precisions)
		d.info["mining_recall"] = formatSeries(recalls)
	}
	if d.ncae != nil {
		// Per-epoch means of every loss of the step: whether D_l, D_s or the
		// generator wins shows here (the adversarial ones are 0 where
		// adv_weight = 0 leaves D_l out).
		for i, name := range [numLosses]string{lossGen: "loss_gen", lossDs: "loss_ds", lossAdv: "loss_adv", lossNCR: "loss_ncr", lossDl: "loss_dl"} {
			d.info[name] = formatLosses(lossSeries[i])
		}
	}
	return nil
}

// formatLosses writes a series of losses with four significant digits.
func formatLosses(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'g', 4, 64)
	}
	return strings.Join(parts, " ")
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// trainStep runs one compiled step on the images in batch (m×rows×cols
// pixels) at a 0-based epoch and 1-based optimiser step, installs the new
// state and, for NCAE, the new μ. It returns the losses and, for NCAE, the
// mined mask.
func (t *trainer) trainStep(batch []float32, rows, cols, epoch, step int) (losses, mask []float32, err error) {
	d, sg := t.d, t.graph
	kind := sg.kind
	ncae := kind == kindNCAE
	m := d.ae.BatchSize
	in := stepInputs[*tensors.Tensor]{
		X:       tensors.FromFlatDataAndDimensions(batch, m, rows, cols, 1),
		SchedAE: d.ae.adamSchedule(sg.adamAE, d.ae.LR, epoch, step),
	}
	if kind == kindSVDD {
		in.Center = tensors.FromFlatDataAndDimensions(slices.Clone(t.center), d.arch.Latent)
	}
	if kind == kindSVDD || kind == kindCLF {
		in.Semi = tensors.FromFlatDataAndDimensions(t.batchSemi, m)
	}
	if ncae {
		in.EpsGen = t.normals(m, d.arch.Latent)
		in.EpsLat = t.normals(m, d.arch.Latent)
		in.Mu = tensors.FromFlatDataAndDimensions(t.mu, d.arch.Latent)
		in.SchedGAN = d.ae.adamSchedule(sg.adamGAN, d.ncae.GANLR, epoch, step)
	}
	args := t.st.args()
	for _, a := range in.list(kind) {
		args = append(args, *a)
	}
	res, err := t.step.Exec(args...)
	for _, a := range in.list(kind) {
		(*a).FinalizeAll()
	}
	if err != nil {
		return nil, nil, err
	}
	t.st.replace(sg.outNames, res[:len(sg.outNames)])
	var out stepResults[*tensors.Tensor]
	for i, r := range out.list(kind) {
		*r = res[len(sg.outNames)+i]
	}
	defer func() {
		for _, r := range out.list(kind) {
			(*r).FinalizeAll()
		}
	}()
	losses = tensors.MustCopyFlatData[float32](out.Losses)
	if ncae {
		mask = tensors.MustCopyFlatData[float32](out.Mask)
		t.mu = tensors.MustCopyFlatData[float32](out.Mu)
	}
	return losses, mask, nil
}

// adamSchedule is the Adam schedule tensor at a 1-based step of a 0-based
// epoch for base rate lr.
func (p *AEParams) adamSchedule(opt nn.Adam, lr float64, epoch, step int) *tensors.Tensor {
	return opt.Schedule(p.rateAt(lr, epoch), step)
}

// permutation is a Fisher–Yates shuffle of 0..n−1 drawn from r (the
// trainer's order stream).
func permutation(r *protocol.Rand, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// normals returns an [m, d] tensor of standard normal draws (Box–Muller).
func (t *trainer) normals(m, d int) *tensors.Tensor {
	v := make([]float32, m*d)
	for i := 0; i < len(v); i += 2 {
		u1 := 1 - t.noise.Float64() // (0, 1]
		u2 := t.noise.Float64()
		r := math.Sqrt(-2 * math.Log(u1))
		v[i] = float32(r * math.Cos(2*math.Pi*u2))
		if i+1 < len(v) {
			v[i+1] = float32(r * math.Sin(2*math.Pi*u2))
		}
	}
	return tensors.FromFlatDataAndDimensions(v, m, d)
}

// initialMu is μ₀: the mean encoder output of the untrained network over
// the training set's full batches, in training mode (batch statistics, as
// the μ update then tracks); with mu_init = eval, the released code's: in
// inference mode (running statistics), coordinates closer to 0 than 0.1
// pushed to ±0.1 by their sign (an exact 0 stays 0).
func (t *trainer) initialMu(pixels []float32, train protocol.Samples) ([]float32, error) {
	d := t.d
	m, dim := d.ae.BatchSize, train.Dim()
	evalMode := d.ncae.MuInit == MuInitEval
	exec, err := NewExec(d.b, func(inputs []*Node) *Node {
		vars := t.st.vars(inputs[:t.st.layout.Len()])
		z := d.arch.Encoder.Apply(t.graph.frame(vars, !evalMode, nil), encPrefix, inputs[len(inputs)-1])
		return ReduceSum(z, 0)
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	sum := make([]float64, d.arch.Latent)
	batches := train.N / m
	for b := range batches {
		x := tensors.FromFlatDataAndDimensions(pixels[b*m*dim:(b+1)*m*dim], m, train.Rows, train.Cols, 1)
		out, err := exec.Exec(append(t.st.args(), x)...)
		if err != nil {
			return nil, fmt.Errorf("initial μ: %w", err)
		}
		for i, v := range tensors.MustCopyFlatData[float32](out[0]) {
			sum[i] += float64(v)
		}
		out[0].FinalizeAll()
		x.FinalizeAll()
	}
	mu := make([]float32, len(sum))
	for i, s := range sum {
		mu[i] = float32(s / float64(batches*m))
	}
	if evalMode {
		pushFromZero(mu, 0.1)
	}
	return mu, nil
}

// pushFromZero moves every coordinate of v closer to 0 than eps out to ±eps
// by its sign, as the released code does to μ₀; an exact 0 stays 0.
func pushFromZero(v []float32, eps float32) {
	for i, x := range v {
		switch {
		case x > 0 && x < eps:
			v[i] = eps
		case x < 0 && x > -eps:
			v[i] = -eps
		}
	}
}
