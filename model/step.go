package model

// The graph of one training step: CAE's plain reconstruction step and
// NCAE's step (Eq. 3–7 of the paper), built once per Fit and run by the
// host loop in train.go for every batch.

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX's examples use the dot import for graph code
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/ncae-repro/ncae/model/nn"
)

// Indices of the NCAE step's losses in its loss vector.
const (
	lossGen = iota // generator: fool D_s (non-saturating)
	lossDs         // D_s: real vs generated
	lossAdv        // encoder: fool D_l (0 when adv_weight = 0)
	lossNCR        // normality-calibrated reconstruction (Eq. 7a)
	lossDl         // D_l: prior vs encoded (0 when adv_weight = 0)
	numLosses
)

// stepKind says which training step a graph is.
type stepKind int

const (
	kindCAE  stepKind = iota // reconstruction (CAE, and Deep SVDD's pretraining)
	kindNCAE                 // NCAE's step
	kindSVDD                 // Deep SVDD's one-class step on the encoder
	kindCLF                  // the supervised classifier's step
)

// stepInputs are a step's inputs after the state tensors, by name: graph
// nodes while the graph is built, tensors when the host runs it, shapes and
// names to check them. list gives the graph's order, the one place it is
// defined; CAE takes X and SchedAE only, Deep SVDD also Center.
type stepInputs[T any] struct {
	X        T // [m, rows, cols, 1]: the batch's images
	SchedAE  T // [3]: the autoencoder's (Deep SVDD: the encoder's) Adam schedule (nn.Adam.Schedule)
	EpsGen   T // [m, d]: N(0, 1) draws for the generator's prior ω' (Eq. 5); NCAE
	EpsLat   T // [m, d]: N(0, 1) draws for D_l's prior ω (Eq. 3); NCAE
	Mu       T // [d]: the prior mean μ (Eq. 4); NCAE
	SchedGAN T // [3]: the generator's and discriminators' Adam schedule; NCAE
	Center   T // [d]: the hypersphere's centre c; Deep SVDD
	Semi     T // [m]: 1 for a labelled anomaly, 0 for an unlabelled sample; Deep SVDD (all 0) and Deep SAD
}

func (in *stepInputs[T]) list(k stepKind) []*T {
	switch k {
	case kindNCAE:
		return []*T{&in.X, &in.SchedAE, &in.EpsGen, &in.EpsLat, &in.Mu, &in.SchedGAN}
	case kindSVDD:
		return []*T{&in.X, &in.SchedAE, &in.Center, &in.Semi}
	case kindCLF:
		return []*T{&in.X, &in.SchedAE, &in.Semi}
	}
	return []*T{&in.X, &in.SchedAE}
}

// stepResults are a step's outputs after the changed state tensors, by
// name, in list's order. CAE returns Losses only.
type stepResults[T any] struct {
	Losses T // CAE: [1] the batch's mean squared error; NCAE: [numLosses]; Deep SVDD: [1] the mean squared distance to c
	Mask   T // [m]: 1 for the samples mined as contaminated (Eq. 6); NCAE
	Mu     T // [d]: μ after Eq. 4; NCAE
}

func (r *stepResults[T]) list(k stepKind) []*T {
	if k != kindNCAE {
		return []*T{&r.Losses}
	}
	return []*T{&r.Losses, &r.Mask, &r.Mu}
}

// stepGraph builds the graph of one training step of a Detector.
type stepGraph struct {
	d        *Detector
	kind     stepKind
	st       *state
	adamAE   nn.Adam
	adamGAN  nn.Adam
	mined    int      // ⌈τ·m⌉
	outNames []string // the state tensors the step returns, in order; set when the graph is built
}

// inputShapes are the shapes the step's named inputs must have.
func (s *stepGraph) inputShapes() stepInputs[shapes.Shape] {
	a, m := s.d.arch, s.d.ae.BatchSize
	f32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
	return stepInputs[shapes.Shape]{X: f32(m, a.Rows, a.Cols, 1), SchedAE: f32(3),
		EpsGen: f32(m, a.Latent), EpsLat: f32(m, a.Latent), Mu: f32(a.Latent), SchedGAN: f32(3), Center: f32(a.Latent), Semi: f32(m)}
}

// bind names the graph's inputs — the state tensors, then stepInputs — and
// checks their number and shapes. A mismatch panics with an error naming
// the input, which GoMLX returns from the first Exec.
func (s *stepGraph) bind(inputs []*Node) (nn.Vars, stepInputs[*Node]) {
	k := s.kind
	var in stepInputs[*Node]
	names := stepInputs[string]{X: "x", SchedAE: "sched_ae", EpsGen: "eps_gen", EpsLat: "eps_lat", Mu: "mu", SchedGAN: "sched_gan", Center: "center", Semi: "semi"}
	shapesWant := s.inputShapes()
	fields, nameList, want := in.list(k), names.list(k), shapesWant.list(k)
	n := s.st.layout.Len()
	if len(inputs) != n+len(fields) {
		panic(fmt.Errorf("training step: %d inputs, want %d state tensors and %d named inputs", len(inputs), n, len(fields)))
	}
	for i, spec := range s.st.layout.Specs() {
		if got := inputs[i].Shape(); got.DType != dtypes.Float32 || !slices.Equal(got.Dimensions, spec.Dims) {
			panic(fmt.Errorf("training step: state tensor %s has shape %s, want float32%v", spec.Name, got, spec.Dims))
		}
	}
	for i, f := range fields {
		node := inputs[n+i]
		if !node.Shape().Equal(*want[i]) {
			panic(fmt.Errorf("training step: input %s has shape %s, want %s", *nameList[i], node.Shape(), *want[i]))
		}
		*f = node
	}
	return s.st.vars(inputs[:n]), in
}

// results orders the changed state tensors (recording their names in
// outNames) and then the named results, as the graph returns them.
func (s *stepGraph) results(changed map[string]*Node, r stepResults[*Node]) []*Node {
	s.outNames = s.outNames[:0]
	var nodes []*Node
	for _, name := range s.st.layout.Names() {
		if n, ok := changed[name]; ok {
			s.outNames = append(s.outNames, name)
			nodes = append(nodes, n)
		}
	}
	for _, f := range r.list(s.kind) {
		nodes = append(nodes, *f)
	}
	return nodes
}

func (s *stepGraph) frame(vars nn.Vars, train bool, updates nn.Vars) *nn.Frame {
	return &nn.Frame{Vars: vars, Train: train, Updates: updates, Slope: s.d.ae.LeakySlope, LowerConv: !s.d.b.NativeConv}
}

// adamStep applies opt to the weights names (current values in vars) with
// gradients of loss, writing new weights to vars and everything changed to
// changed.
func (s *stepGraph) adamStep(opt nn.Adam, slot string, loss *Node, names []string, vars, in nn.Vars, sched *Node, changed map[string]*Node) {
	nodes := make([]*Node, len(names))
	for i, n := range names {
		nodes[i] = vars[n]
	}
	grads := Gradient(loss, nodes...)
	for i, n := range names {
		p, m, v := opt.Update(nodes[i], grads[i], in[slot+"m/"+n], in[slot+"v/"+n], sched)
		vars[n], changed[n], changed[slot+"m/"+n], changed[slot+"v/"+n] = p, p, m, v
	}
}

// oneLossStep is the step of a method with one loss and one optimiser (the
// autoencoder's slots): loss builds the batch's loss from the encoder's
// output z (batch norm in training mode, frame f) and the named inputs; the
// weights of nets are updated with Adam.
func (s *stepGraph) oneLossStep(inputs []*Node, loss func(f *nn.Frame, z *Node, x stepInputs[*Node]) *Node, nets ...string) []*Node {
	in, x := s.bind(inputs)
	vars := copyVars(in)
	changed := map[string]*Node{}
	updates := nn.Vars{}
	f := s.frame(vars, true, updates)
	z := s.d.arch.Encoder.Apply(f, encPrefix, x.X)
	l := loss(f, z, x)
	s.adamStep(s.adamAE, aeSlot, l, s.st.weights(nets...), vars, in, x.SchedAE, changed)
	for k, v := range updates {
		changed[k] = v
	}
	return s.results(changed, stepResults[*Node]{Losses: Reshape(l, 1)})
}

// cae is one CAE step: the autoencoder learns to reconstruct x (mean
// squared error per pixel), batch norm in training mode.
func (s *stepGraph) cae(inputs []*Node) []*Node {
	return s.oneLossStep(inputs, func(f *nn.Frame, z *Node, x stepInputs[*Node]) *Node {
		return ReduceAllMean(perSampleSE(x.X, s.d.arch.Decoder.Apply(f, decPrefix, z)))
	}, encPrefix, decPrefix)
}

// svdd is one Deep SVDD / Deep SAD step: the encoder alone learns to map
// x close to the centre c, batch norm in training mode. Deep SAD's loss
// (Ruff et al. 2020): the mean over the batch of ‖f(x_i) − c‖² for
// unlabelled samples and η (‖f(x_i) − c‖² + 10⁻⁶)⁻¹ for labelled
// anomalies; without labels it is Deep SVDD's (Ruff et al. 2018).
func (s *stepGraph) svdd(inputs []*Node) []*Node {
	return s.oneLossStep(inputs, func(_ *nn.Frame, z *Node, x stepInputs[*Node]) *Node {
		return ReduceAllMean(sadLoss(squaredDistance(z, x.Center), x.Semi, s.d.eta))
	}, encPrefix)
}

// sadLoss is Deep SAD's per-sample loss: dist_i where semi_i = 0 (exactly:
// the other term is multiplied by 0) and η/(dist_i + 10⁻⁶) where semi_i = 1.
func sadLoss(dist, semi *Node, eta float64) *Node {
	g := dist.Graph()
	one := Scalar(g, dist.DType(), 1)
	away := MulScalar(Div(one, AddScalar(dist, 1e-6)), eta)
	return Add(Mul(Sub(one, semi), dist), Mul(semi, away))
}

// squaredDistance is ‖z_i − c‖² per row of z [m, d], c [d].
func squaredDistance(z, c *Node) *Node {
	return ReduceSum(Square(Sub(z, ExpandAxes(c, 0))), 1)
}

// ncae is one NCAE step on a batch, in the released code's order:
// (1) generator, (2) D_s, (3) autoencoder with the latent-adversarial and
// NCR terms, (4) D_l, (5) μ. The keys bn_stats, ds_fake, mu_latent,
// mu_steps and disc_logits switch it to the code's step where the two
// differ (NCAEParams).
func (s *stepGraph) ncae(inputs []*Node) []*Node {
	p, a := s.d.ncae, s.d.arch
	in, x := s.bind(inputs)
	g := x.X.Graph()
	m := x.X.Shape().Dimensions[0]
	muRow := ExpandAxes(x.Mu, 0)
	changed := map[string]*Node{}
	vars := copyVars(in)
	bce := func(logits *Node, real bool) *Node { // −log σ(l) or −log(1 − σ(l))
		if real {
			return ReduceAllMean(Softplus(Neg(logits)))
		}
		return ReduceAllMean(Softplus(logits))
	}
	// logit is a discriminator's output as one logit: with two (the code's
	// softmax over fake, real), their difference, on which the binary
	// cross-entropy is the softmax cross-entropy.
	logit := func(out *Node) *Node {
		if p.DiscLogits == 2 {
			return Sub(Slice(out, AxisRange(), AxisElem(1)), Slice(out, AxisRange(), AxisElem(0)))
		}
		return out
	}
	ds := func(v nn.Vars, img *Node) *Node {
		return logit(a.SampleDisc.Apply(s.frame(v, true, nil), dsPrefix, img))
	}
	dl := func(v nn.Vars, z *Node) *Node { return logit(a.LatentDisc.Apply(s.frame(v, true, nil), dlPrefix, z)) }

	// Batch-norm running statistics moved so far in this step, by name. A
	// pass that moves them (moving) reads the latest and records its own.
	// bn_stats = reconstruction: only the reconstruction pass on real data
	// moves them; every_pass: every training-mode pass through the encoder
	// or decoder, in the code's order.
	stats := nn.Vars{}
	everyPass := p.BNStats == BNStatsEveryPass
	frameOver := func(v nn.Vars, train, moving bool) *nn.Frame {
		fv := copyVars(v)
		for k, n := range stats {
			fv[k] = n
		}
		if train && moving {
			return s.frame(fv, true, stats)
		}
		return s.frame(fv, train, nil)
	}
	genTrain := p.GeneratorBN != GeneratorBNEval

	// (1) Generator (Eq. 5): g(ω'), ω' ~ N(μ, σ²I), learns to fool D_s;
	// batch norm in the decoder per generator_bn.
	omega := Add(muRow, MulScalar(x.EpsGen, p.sigmaStd()))
	xg := a.Decoder.Apply(frameOver(vars, genTrain, everyPass), decPrefix, omega)
	genLoss := bce(ds(vars, xg), true)
	dsVars := copyVars(vars) // D_s weights before any update, for step 2
	s.adamStep(s.adamGAN, genSlot, genLoss, s.st.weights(decPrefix), vars, in, x.SchedGAN, changed)

	// (2) D_s (Eq. 5's discriminator): real x against the generated batch,
	// or (ds_fake = regenerated) the same ω' decoded by the updated decoder.
	xg = StopGradient(xg)
	if p.DsFake == DsFakeRegenerated {
		xg = StopGradient(a.Decoder.Apply(frameOver(vars, genTrain, everyPass), decPrefix, omega))
	}
	dsLoss := Add(bce(ds(dsVars, x.X), true), bce(ds(dsVars, xg), false))
	s.adamStep(s.adamGAN, dsSlot, dsLoss, s.st.weights(dsPrefix), dsVars, in, x.SchedGAN, changed)

	// The generated batch re-encoded: mining's f(g(ω')); with every_pass
	// also decoded again, as the code does, for the statistics it moves.
	var zg *Node
	if s.mined > 0 || everyPass {
		zg = a.Encoder.Apply(frameOver(vars, true, everyPass), encPrefix, xg)
		if everyPass {
			a.Decoder.Apply(frameOver(vars, true, true), decPrefix, StopGradient(zg))
		}
		zg = StopGradient(zg)
	}

	// (3) Autoencoder (Eq. 7), with the generator's decoder update applied.
	f := frameOver(vars, true, true)
	z := a.Encoder.Apply(f, encPrefix, x.X)
	xr := a.Decoder.Apply(f, decPrefix, z)
	// Eq. 3, the encoder's side: f(x) learns to fool D_l. With
	// adv_weight = 0, D_l influences nothing and is left out of the graph.
	useDl := p.AdvWeight > 0
	advLoss := Scalar(g, dtypes.Float32, 0)
	if useDl {
		advLoss = bce(dl(in, z), true)
	}
	// Eq. 6 (mining) and Eq. 7a (normality-calibrated reconstruction).
	errOwn := perSampleSE(x.X, xr)
	minedMask := Zeros(g, shapes.Make(dtypes.Float32, m))
	var ncr *Node
	if s.mined == 0 {
		ncr = ReduceAllMean(errOwn)
	} else {
		var target *Node
		minedMask, target = mine(StopGradient(z), zg, xg, StopGradient(errOwn), s.mined, p.MiningSimilarity)
		var errMined *Node
		if p.NCRMode == ModeCalibrate {
			errMined = perSampleSE(xr, target)
		} else {
			errMined = Neg(Min(errOwn, Scalar(g, dtypes.Float32, p.NegateMargin)))
		}
		keep := OneMinus(minedMask)
		ncr = ReduceAllMean(Add(Mul(keep, errOwn), Mul(minedMask, errMined)))
	}
	if p.NCRReduction == ReductionSum { // ‖·‖² over the pixels, as Eq. 7 writes it
		ncr = MulScalar(ncr, float64(a.Rows*a.Cols))
	}
	// Eq. 7: the weighted sum the autoencoder minimises.
	aeLoss := MulScalar(ncr, p.RecWeight)
	if useDl {
		aeLoss = Add(MulScalar(advLoss, p.AdvWeight), aeLoss)
	}
	s.adamStep(s.adamAE, aeSlot, aeLoss, s.st.weights(encPrefix, decPrefix), vars, in, x.SchedAE, changed)

	// The f(x) that D_l and μ see: the reconstruction pass's, or
	// (mu_latent = updated) x encoded by the updated encoder.
	zc := StopGradient(z)
	if p.MuLatent == MuLatentUpdated {
		zc = StopGradient(a.Encoder.Apply(frameOver(vars, true, everyPass), encPrefix, x.X))
	}

	// (4) D_l (Eq. 3, the discriminator's side): ω ~ N(μ, I) real, f(x)
	// (held constant) fake. Without D_l, ε for its prior is still drawn, so
	// the noise stream stays the paper's.
	dlLoss := Scalar(g, dtypes.Float32, 0)
	if useDl {
		dlVars := copyVars(in)
		dlLoss = Add(bce(dl(dlVars, Add(muRow, x.EpsLat)), true), bce(dl(dlVars, zc), false))
		s.adamStep(s.adamGAN, dlSlot, dlLoss, s.st.weights(dlPrefix), dlVars, in, x.SchedGAN, changed)
	}

	// (5) Eq. 4: μ ← μ − γ·mean(μ − f(x)), γ the autoencoder's rate,
	// mu_steps times.
	newMu := x.Mu
	for range p.MuSteps {
		newMu = updateMu(newMu, zc, Reshape(Slice(x.SchedAE, AxisElem(0))), p.MuUpdate == MuScalar)
	}
	for k, v := range stats {
		changed[k] = v
	}

	losses := Concatenate([]*Node{Reshape(genLoss, 1), Reshape(dsLoss, 1), Reshape(advLoss, 1), Reshape(ncr, 1), Reshape(dlLoss, 1)}, 0)
	return s.results(changed, stepResults[*Node]{Losses: losses, Mask: minedMask, Mu: newMu})
}

// perSampleSE is the mean squared difference per sample.
func perSampleSE(a, b *Node) *Node {
	d := Sub(a, b)
	return nn.RowMean(Reshape(Square(d), d.Shape().Dimensions[0], -1))
}

// mine is contamination mining (Eq. 6): the k samples of lowest c_i are
// predicted contaminated (mask 1), where c_i is, by similarity, the mean
// cosine similarity of f(x_i) to the latents f(g(ω'_j)) of the generated
// batch (the paper), minus the Euclidean distance of f(x_i) to their centre,
// or minus the sample's reconstruction error err_i. target_i is the
// generated sample g(ω'_k) whose latent is nearest (cosine) to f(x_i): the
// calibrate mode's reconstruction target, whatever the similarity.
func mine(z, zg, xg, err *Node, k int, similarity Similarity) (mask, target *Node) {
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
