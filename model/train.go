package model

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's examples use the dot import for graph code
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/nn"
	"github.com/ncae-repro/ncae/protocol"
)

// Indices of the NCAE step's losses in its loss vector.
const (
	lossGen = iota // generator: fool D_s (non-saturating)
	lossDs         // D_s: real vs generated
	lossAdv        // encoder: fool D_l
	lossNCR        // normality-calibrated reconstruction (Eq. 7a)
	lossDl         // D_l: prior vs encoded
	numLosses
)

// trainer runs the epochs of one Fit.
type trainer struct {
	d        *Detector
	st       *state
	step     *Exec
	outNames []string // state tensors the step returns, in order; set when the graph is built
	adamAE   nn.Adam
	adamGAN  nn.Adam
	mined    int // ⌈τ·m⌉
	noise    *protocol.Rand
	order    *protocol.Rand
	mu       []float32 // NCAE's prior mean μ
}

func newTrainer(d *Detector, st *state) (*trainer, error) {
	t := &trainer{
		d:      d,
		st:     st,
		adamAE: nn.Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: d.ae.WeightDecay},
		noise:  protocol.NewRand(d.env.Seed, "model/noise"),
		order:  protocol.NewRand(d.env.Seed, "model/order"),
	}
	var err error
	if d.ncae == nil {
		t.step, err = NewExec(d.b, t.caeStep)
	} else {
		t.adamGAN = nn.Adam{Beta1: d.ncae.GANBeta1, Beta2: 0.999, Eps: 1e-8}
		t.mined = d.ncae.mined()
		t.step, err = NewExec(d.b, t.ncaeStep)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (t *trainer) close() { t.step.Finalize() }

func (t *trainer) frame(vars nn.Vars, train bool, updates nn.Vars) *nn.Frame {
	return &nn.Frame{Vars: vars, Train: train, Updates: updates, Slope: t.d.ae.LeakySlope, LowerConv: !t.d.b.NativeConv}
}

// perSampleSE is the mean squared difference per sample.
func perSampleSE(a, b *Node) *Node {
	d := Sub(a, b)
	return nn.RowMean(Reshape(Square(d), d.Shape().Dimensions[0], -1))
}

// adamStep applies opt to the weights names (current values in vars) with
// gradients of loss, writing new weights to vars and everything changed to
// out.
func (t *trainer) adamStep(opt nn.Adam, slot string, loss *Node, names []string, vars, in nn.Vars, sched *Node, out map[string]*Node) {
	nodes := make([]*Node, len(names))
	for i, n := range names {
		nodes[i] = vars[n]
	}
	grads := Gradient(loss, nodes...)
	for i, n := range names {
		p, m, v := opt.Update(nodes[i], grads[i], in[slot+"m/"+n], in[slot+"v/"+n], sched)
		vars[n], out[n], out[slot+"m/"+n], out[slot+"v/"+n] = p, p, m, v
	}
}

// finishOutputs orders the changed state tensors and records their names.
func (t *trainer) finishOutputs(out map[string]*Node) []*Node {
	t.outNames = t.outNames[:0]
	var nodes []*Node
	for _, name := range t.st.layout.Names() {
		if n, ok := out[name]; ok {
			t.outNames = append(t.outNames, name)
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// caeStep: inputs are the state, x [m,28,28,1] and the AE schedule; outputs
// the changed state and the batch's mean squared error.
func (t *trainer) caeStep(inputs []*Node) []*Node {
	n := t.st.layout.Len()
	in := t.st.vars(inputs[:n])
	x, sched := inputs[n], inputs[n+1]
	vars := copyVars(in)
	out := map[string]*Node{}
	updates := nn.Vars{}
	f := t.frame(vars, true, updates)
	z := t.d.arch.Encoder.Apply(f, encPrefix, x)
	xr := t.d.arch.Decoder.Apply(f, decPrefix, z)
	loss := ReduceAllMean(perSampleSE(x, xr))
	t.adamStep(t.adamAE, aeSlot, loss, t.st.weights(encPrefix, decPrefix), vars, in, sched, out)
	for k, v := range updates {
		out[k] = v
	}
	return append(t.finishOutputs(out), Reshape(loss, 1))
}

// ncaeStep is one NCAE step on a batch, in the released code's order:
// (1) generator, (2) D_s, (3) autoencoder with the latent-adversarial and
// NCR terms, (4) D_l, (5) μ. Inputs: the state, x, the AE schedule, ε for
// the generator's prior, ε for D_l's prior, μ, the GAN schedule. Outputs:
// the changed state, the losses, the mined mask and the new μ.
func (t *trainer) ncaeStep(inputs []*Node) []*Node {
	p := t.d.ncae
	a := t.d.arch
	n := t.st.layout.Len()
	in := t.st.vars(inputs[:n])
	x, schedAE, epsGen, epsLat, mu, schedGAN := inputs[n], inputs[n+1], inputs[n+2], inputs[n+3], inputs[n+4], inputs[n+5]
	g := x.Graph()
	m := x.Shape().Dimensions[0]
	muRow := ExpandAxes(mu, 0)
	out := map[string]*Node{}
	vars := copyVars(in)
	bce := func(logits *Node, real bool) *Node { // −log σ(l) or −log(1 − σ(l))
		if real {
			return ReduceAllMean(Softplus(Neg(logits)))
		}
		return ReduceAllMean(Softplus(logits))
	}
	ds := func(v nn.Vars, img *Node) *Node { return a.SampleDisc.Apply(t.frame(v, true, nil), dsPrefix, img) }
	dl := func(v nn.Vars, z *Node) *Node { return a.LatentDisc.Apply(t.frame(v, true, nil), dlPrefix, z) }

	// (1) Generator (Eq. 5): g(ω'), ω' ~ N(μ, σ²I), learns to fool D_s.
	omega := Add(muRow, MulScalar(epsGen, p.sigmaStd()))
	xg := a.Decoder.Apply(t.frame(vars, true, nil), decPrefix, omega)
	genLoss := bce(ds(vars, xg), true)
	dsVars := copyVars(vars) // D_s weights before any update, for step 2
	t.adamStep(t.adamGAN, genSlot, genLoss, t.st.weights(decPrefix), vars, in, schedGAN, out)

	// (2) D_s: real x against the generated batch.
	xg = StopGradient(xg)
	dsLoss := Add(bce(ds(dsVars, x), true), bce(ds(dsVars, xg), false))
	t.adamStep(t.adamGAN, dsSlot, dsLoss, t.st.weights(dsPrefix), dsVars, in, schedGAN, out)

	// (3) Autoencoder, with the generator's decoder update applied.
	updates := nn.Vars{}
	f := t.frame(vars, true, updates)
	z := a.Encoder.Apply(f, encPrefix, x)
	xr := a.Decoder.Apply(f, decPrefix, z)
	// The encoder learns to fool D_l (Eq. 3); with adv_weight = 0, D_l
	// influences nothing and is left out of the graph.
	useDl := p.AdvWeight > 0
	advLoss := Scalar(g, dtypes.Float32, 0)
	if useDl {
		advLoss = bce(dl(in, z), true)
	}
	errOwn := perSampleSE(x, xr)
	minedMask := Zeros(g, shapes.Make(dtypes.Float32, m))
	var ncr *Node
	if t.mined == 0 {
		ncr = ReduceAllMean(errOwn)
	} else {
		zg := StopGradient(a.Encoder.Apply(t.frame(vars, true, nil), encPrefix, xg))
		var target *Node
		minedMask, target = mine(StopGradient(z), zg, xg, StopGradient(errOwn), t.mined, p.MiningSimilarity)
		var errMined *Node
		if p.NCRMode == ModeCalibrate {
			errMined = perSampleSE(xr, target)
		} else {
			errMined = Neg(Min(errOwn, Scalar(g, dtypes.Float32, p.NegateMargin)))
		}
		keep := OneMinus(minedMask)
		ncr = ReduceAllMean(Add(Mul(keep, errOwn), Mul(minedMask, errMined)))
	}
	aeLoss := MulScalar(ncr, p.RecWeight)
	if useDl {
		aeLoss = Add(MulScalar(advLoss, p.AdvWeight), aeLoss)
	}
	t.adamStep(t.adamAE, aeSlot, aeLoss, t.st.weights(encPrefix, decPrefix), vars, in, schedAE, out)
	for k, v := range updates {
		out[k] = v
	}

	// (4) D_l (Eq. 3): ω ~ N(μ, I) real, f(x) fake.
	zc := StopGradient(z)
	dlLoss := Scalar(g, dtypes.Float32, 0)
	if useDl {
		dlVars := copyVars(in)
		dlLoss = Add(bce(dl(dlVars, Add(muRow, epsLat)), true), bce(dl(dlVars, zc), false))
		t.adamStep(t.adamGAN, dlSlot, dlLoss, t.st.weights(dlPrefix), dlVars, in, schedGAN, out)
	} // without D_l, ε for its prior is still drawn: the noise stream stays the paper's

	// (5) μ ← μ − γ·mean(μ − f(x)) (Eq. 4), γ the autoencoder's rate.
	newMu := updateMu(mu, zc, Reshape(Slice(schedAE, AxisElem(0))), p.MuUpdate == "scalar")

	losses := Concatenate([]*Node{Reshape(genLoss, 1), Reshape(dsLoss, 1), Reshape(advLoss, 1), Reshape(ncr, 1), Reshape(dlLoss, 1)}, 0)
	return append(t.finishOutputs(out), losses, minedMask, newMu)
}

// mine is contamination mining (Eq. 6): the k samples of lowest c_i are
// predicted contaminated (mask 1), where c_i is, by similarity, the mean
// cosine similarity of f(x_i) to the latents f(g(ω'_j)) of the generated
// batch (the paper), minus the Euclidean distance of f(x_i) to their centre,
// or minus the sample's reconstruction error err_i. target_i is the
// generated sample g(ω'_k) whose latent is nearest (cosine) to f(x_i): the
// calibrate mode's reconstruction target, whatever the similarity.
func mine(z, zg, xg, err *Node, k int, similarity string) (mask, target *Node) {
	m, mg := z.Shape().Dimensions[0], zg.Shape().Dimensions[0]
	cos := nn.Matmul(unitRows(z), Transpose(unitRows(zg), 0, 1)) // [i, j] = cos(f(x_i), f(g(ω'_j)))
	var c *Node
	switch similarity {
	case MiningEuclidean:
		centre := ReduceMean(zg, 0)
		c = Neg(Sqrt(ReduceSum(Square(Sub(z, ExpandAxes(centre, 0))), 1)))
	case MiningReconstruction:
		c = Neg(err)
	default: // MiningCosine, validated
		c = ReduceMean(cos, 1)
	}
	mask = lowest(c, k)
	nearest := OneHot(ArgMax(cos, 1), mg, xg.DType())
	img := xg.Shape().Dimensions[1:]
	target = Reshape(nn.Matmul(nearest, Reshape(xg, mg, -1)), append([]int{m}, img...)...)
	return mask, target
}

// updateMu is Eq. 4 without gradient: μ ← μ − γ·mean_i(μ − z_i) per latent
// dimension, or with one mean over every element when scalar (the released
// code).
func updateMu(mu, z, lr *Node, scalar bool) *Node {
	diff := Sub(mu, ReduceMean(z, 0))
	if scalar {
		diff = ReduceAllMean(diff)
	}
	return Sub(mu, Mul(lr, diff))
}

func copyVars(v nn.Vars) nn.Vars {
	c := make(nn.Vars, len(v))
	for k, n := range v {
		c[k] = n
	}
	return c
}

// unitRows scales each row to unit length (cosine similarity by matmul).
func unitRows(x *Node) *Node {
	norm := Sqrt(AddScalar(ReduceSum(Square(x), 1), 1e-12))
	return Div(x, ExpandAxes(norm, 1))
}

// lowest returns a 0/1 mask of the k smallest entries of c [m]; ties go to
// the lower index. rank_i = #{j: c_j < c_i} + #{j < i: c_j = c_i}.
func lowest(c *Node, k int) *Node {
	g := c.Graph()
	m := c.Shape().Dimensions[0]
	ci, cj := ExpandAxes(c, 1), ExpandAxes(c, 0) // [m,1], [1,m]
	before := LessThan(Iota(g, shapes.Make(dtypes.Int32, 1, m), 1), Iota(g, shapes.Make(dtypes.Int32, m, 1), 0))
	below := Or(LessThan(cj, ci), And(Equal(cj, ci), before))
	rank := ReduceSum(ConvertDType(below, dtypes.Float32), 1)
	return ConvertDType(LessThan(rank, Scalar(g, dtypes.Float32, float64(k))), dtypes.Float32)
}

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
	batch := make([]float32, m*dim)
	start := time.Now()
	for epoch := range d.ae.Epochs {
		perm := t.permutation(train.N)
		schedStep := epoch*batches + 1
		var lossSum float64
		var mined, hits, anomalies int
		for b := range batches {
			if err := ctx.Err(); err != nil {
				return err
			}
			idx := perm[b*m : (b+1)*m]
			for i, j := range idx {
				copy(batch[i*dim:(i+1)*dim], pixels[j*dim:(j+1)*dim])
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
				lossSum += float64(losses[lossNCR])
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
		rep := EpochReport{Epoch: epoch + 1, Epochs: d.ae.Epochs, Loss: lossSum / float64(batches),
			Precision: math.NaN(), Recall: math.NaN(), Elapsed: time.Since(start)}
		if d.ncae != nil && t.mined > 0 && d.truth != nil {
			rep.Precision = ratio(hits, mined)
			rep.Recall = ratio(hits, anomalies)
			precisions = append(precisions, rep.Precision)
			recalls = append(recalls, rep.Recall)
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
	return nil
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
	d := t.d
	m := d.ae.BatchSize
	x := tensors.FromFlatDataAndDimensions(batch, m, rows, cols, 1)
	args := append(t.st.args(), x, d.ae.adamSchedule(t.adamAE, d.ae.LR, epoch, step))
	if d.ncae != nil {
		args = append(args, t.normals(m, d.arch.Latent), t.normals(m, d.arch.Latent),
			tensors.FromFlatDataAndDimensions(t.mu, d.arch.Latent), d.ae.adamSchedule(t.adamGAN, d.ncae.GANLR, epoch, step))
	}
	res, err := t.step.Exec(args...)
	for _, a := range args[t.st.layout.Len():] {
		a.(*tensors.Tensor).FinalizeAll()
	}
	if err != nil {
		return nil, nil, err
	}
	t.st.replace(t.outNames, res[:len(t.outNames)])
	extra := res[len(t.outNames):]
	losses = tensors.MustCopyFlatData[float32](extra[0])
	if d.ncae != nil {
		mask = tensors.MustCopyFlatData[float32](extra[1])
		t.mu = tensors.MustCopyFlatData[float32](extra[2])
	}
	for _, e := range extra {
		e.FinalizeAll()
	}
	return losses, mask, nil
}

// adamSchedule is the Adam schedule tensor at a 1-based step of a 0-based
// epoch for base rate lr.
func (p *AEParams) adamSchedule(opt nn.Adam, lr float64, epoch, step int) *tensors.Tensor {
	return opt.Schedule(p.rateAt(lr, epoch), step)
}

// permutation is a Fisher–Yates shuffle of 0..n−1 from the order stream.
func (t *trainer) permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := t.order.IntN(i + 1)
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
// the μ update then tracks).
func (t *trainer) initialMu(pixels []float32, train protocol.Samples) ([]float32, error) {
	d := t.d
	m, dim := d.ae.BatchSize, train.Dim()
	exec, err := NewExec(d.b, func(inputs []*Node) *Node {
		vars := t.st.vars(inputs[:t.st.layout.Len()])
		z := d.arch.Encoder.Apply(t.frame(vars, true, nil), encPrefix, inputs[len(inputs)-1])
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
	return mu, nil
}
