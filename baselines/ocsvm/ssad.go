package ocsvm

// SSAD: semi-supervised anomaly detection (Görnitz, Kloft, Rieck and
// Brefeld, "Toward Supervised Anomaly Detection", JAIR 2013), as Deep SAD's
// experiment runs it (its ConvexSSAD, with labelled anomalies only): the
// one-class SVM's dual with the labelled anomalies on the other side of
// the hyperplane and a margin κ for them,
//
//	min ½ Σ αᵢαⱼ yᵢyⱼ k(xᵢ, xⱼ)
//	s.t. Σ yᵢαᵢ = 1, Σ_{labelled} αᵢ ≥ κ, 0 ≤ αᵢ ≤ Cᵢ,
//
// y = +1 for the unlabelled samples and −1 for the labelled anomalies. It
// is solved here by SMO on β = yα (ssadSolve), on the OC-SVM's kernel
// cache; γ is chosen on the labelled hold-out as for the OC-SVM.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/baselines/internal/pairwise"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/roc"
)

// SSADParams are SSAD's settings. Defaults: Deep SAD's (κ = 1, every C = 1,
// γ ∈ 2^{−7, …, 2} chosen on the hold-out).
type SSADParams struct {
	Gammas []float64 `toml:"gammas"`
	Kappa  float64   `toml:"kappa"` // the margin's weight: Σ over labelled αᵢ ≥ κ
	Cu     float64   `toml:"cu"`    // upper bound of an unlabelled sample's α
	Cn     float64   `toml:"cn"`    // upper bound of a labelled anomaly's α
	// Tol is SMO's stopping tolerance on the maximal violation. With Σβ = 1
	// the gradients are ~νn times smaller than the OC-SVM's, so 1e-3 is a
	// looser stop here; on Fashion-MNIST it moved no AUC by more than 3e-5
	// against 1e-7 (a review's check), so the OC-SVM's value is kept.
	Tol float64 `toml:"tol"`
	// MaxIter bounds SMO iterations; 0 means max(10⁷, 100n).
	MaxIter int `toml:"max_iter"`
}

// DefaultSSADParams returns Deep SAD's settings.
func DefaultSSADParams() *SSADParams {
	return &SSADParams{Gammas: DefaultParams().Gammas, Kappa: 1, Cu: 1, Cn: 1, Tol: 1e-3}
}

// TakesLabels marks SSAD as a method that learns from labelled anomalies.
func (p *SSADParams) TakesLabels() bool { return true }

// Validate reports a bad value with its key.
func (p *SSADParams) Validate() error {
	switch {
	case len(p.Gammas) == 0:
		return errors.New("gammas is empty")
	case !(p.Kappa >= 0) || math.IsInf(p.Kappa, 0):
		return fmt.Errorf("kappa = %g: must be ≥ 0", p.Kappa)
	case !(p.Cu > 0) || math.IsInf(p.Cu, 0):
		return fmt.Errorf("cu = %g: must be > 0", p.Cu)
	case !(p.Cn > 0) || math.IsInf(p.Cn, 0):
		return fmt.Errorf("cn = %g: must be > 0", p.Cn)
	case !(p.Tol > 0):
		return fmt.Errorf("tol = %g: must be > 0", p.Tol)
	case p.MaxIter < 0:
		return fmt.Errorf("max_iter = %d: must be ≥ 0", p.MaxIter)
	}
	return checkGammas(p.Gammas)
}

// SSAD is the detector; it implements protocol.LabelledValidatedDetector.
type SSAD struct {
	params SSADParams

	gamma  float64
	sv     pairwise.Matrix
	beta   []float64 // yᵢαᵢ of the support vectors
	valAUC []float64
	iters  int
	conv   bool
	info   map[string]string

	workers int // goroutines; ≤ 0: all cores
}

// NewSSAD returns an SSAD detector.
func NewSSAD(p SSADParams) *SSAD { return &SSAD{params: p} }

// SetWorkers sets the goroutines the fit and Score use (≤ 0: all cores);
// the result does not depend on it. It implements protocol.Parallel.
func (s *SSAD) SetWorkers(n int) { s.workers = n }

// Fit without labelled anomalies or hold-out fails: SSAD is run with both.
func (s *SSAD) Fit(context.Context, protocol.Samples) error {
	return errors.New("ssad: needs the labelled hold-out to choose γ (FitLabelledValidated)")
}

// FitLabelledValidated fits one model per γ on the training set and the
// labelled anomalies and keeps the one with the highest AUC on val. With no
// labelled anomalies κ is 0, as ConvexSSAD sets it (the problem is then a
// one-class SVM with Σα = 1, α ≤ cu).
func (s *SSAD) FitLabelledValidated(ctx context.Context, train, anomalies protocol.Samples, val protocol.Labelled) error {
	if val.N == 0 {
		return errors.New("ssad: an empty hold-out")
	}
	all := train
	if anomalies.N > 0 {
		all = protocol.Samples{N: train.N + anomalies.N, Rows: train.Rows, Cols: train.Cols,
			Pixels: append(append(make([]byte, 0, len(train.Pixels)+len(anomalies.Pixels)), train.Pixels...), anomalies.Pixels...)}
	}
	labelled := make([]bool, all.N)
	for i := train.N; i < all.N; i++ {
		labelled[i] = true
	}
	kappa := s.params.Kappa
	s.info = map[string]string{"labelled_anomalies": strconv.Itoa(anomalies.N)}
	if anomalies.N == 0 {
		kappa = 0
		s.info["note"] = "no labelled anomalies: kappa = 0"
	}
	x := pairwise.FromSamples(all)
	dist, err := pairwise.Symmetric(ctx, s.workers, x)
	if err != nil {
		return err
	}
	valDist, err := pairwise.Full(ctx, s.workers, pairwise.FromSamples(val.Samples), x)
	if err != nil {
		return err
	}
	k := newKernel(dist, s.workers)
	s.valAUC = make([]float64, len(s.params.Gammas))
	var best *ssadModel
	bestAUC := math.Inf(-1)
	for gi, gamma := range s.params.Gammas {
		k.setGamma(gamma)
		m, err := ssadSolve(ctx, k, labelled, kappa, s.params.Cu, s.params.Cn, s.params.Tol, s.params.MaxIter)
		if err != nil {
			return fmt.Errorf("ssad: γ = %g: %w", gamma, err)
		}
		scores := make([]float64, val.N)
		for r := range scores {
			scores[r] = -m.decision(valDist.Row(r), gamma)
		}
		auc, err := roc.AUC(scores, val.IsAnomaly)
		if err != nil {
			return fmt.Errorf("ssad: validation AUC: %w", err)
		}
		s.valAUC[gi] = auc
		if auc > bestAUC { // the first of equals, as Deep SAD's `if auc > best_auc`
			best, bestAUC, s.gamma = m, auc, gamma
		}
	}
	if best == nil {
		return errors.New("ssad: no γ gave a hold-out AUC")
	}
	s.sv = x.SubRows(best.sv)
	s.beta, s.iters, s.conv = best.beta, best.iters, best.converged
	return nil
}

// Score returns −Σ βᵢ k(xᵢ, x): higher away from the normal data. (The
// offset ρ is a constant and changes no ranking; it is not computed.)
func (s *SSAD) Score(ctx context.Context, test protocol.Samples) ([]float64, error) {
	if s.beta == nil {
		return nil, errors.New("ssad: Score before Fit")
	}
	sums, err := expansion(ctx, s.workers, test, s.sv, s.beta, s.gamma)
	for i := range sums {
		sums[i] = -sums[i]
	}
	return sums, err
}

// Info records the chosen γ, the model's size and the hold-out AUC per γ.
func (s *SSAD) Info() map[string]string {
	info := map[string]string{
		"gamma":      strconv.FormatFloat(s.gamma, 'g', 6, 64),
		"n_sv":       strconv.Itoa(s.sv.Rows),
		"iterations": strconv.Itoa(s.iters),
	}
	for k, v := range s.info {
		info[k] = v
	}
	if !s.conv {
		info["converged"] = "false"
	}
	parts := make([]string, len(s.valAUC))
	for i, a := range s.valAUC {
		parts[i] = strconv.FormatFloat(a, 'f', 4, 64)
	}
	info["val_auc"] = strings.Join(parts, " ")
	return info
}

// ssadModel is a solved SSAD dual: support vectors and their β = yα.
type ssadModel struct {
	sv        []int
	beta      []float64
	iters     int
	converged bool
}

// decision is Σ βᵢ exp(−γ dᵢ) over the support vectors, dist holding the
// squared distances to all training samples.
func (m *ssadModel) decision(dist []float32, gamma float64) float64 {
	var s float64
	for k, i := range m.sv {
		s += m.beta[k] * math.Exp(-gamma*float64(dist[i]))
	}
	return s
}

// ssadSolve solves SSAD's dual in β = yα: minimise ½βᵀKβ subject to
// Σβ = 1, Σ_{labelled} β ≤ −κ, 0 ≤ β ≤ cu (unlabelled) and −cn ≤ β ≤ 0
// (labelled anomalies). SMO moves one pair at a time along eᵢ − eⱼ, which
// keeps Σβ; a move between an unlabelled and a labelled sample changes
// Σ_{labelled} β, so it is limited by the slack s = −κ − Σ_{labelled} β.
// Each step takes the pair of largest first-order violation among the
// moves the constraints allow and stops when it is below tol: then no
// feasible pair can lower the objective by more than tol, the KKT
// conditions of the problem within tol.
func ssadSolve(ctx context.Context, k *kernel, labelled []bool, kappa, cu, cn, tol float64, maxIter int) (*ssadModel, error) {
	n := k.dist.Rows
	var nU, nL int
	for _, l := range labelled {
		if l {
			nL++
		} else {
			nU++
		}
	}
	if float64(nL)*cn < kappa || float64(nU)*cu < 1+kappa {
		return nil, fmt.Errorf("infeasible: %d labelled × cn = %g < κ = %g, or %d unlabelled × cu = %g < 1 + κ", nL, cn, kappa, nU, cu)
	}
	lo, hi := make([]float64, n), make([]float64, n)
	for i, l := range labelled {
		if l {
			lo[i] = -cn
		} else {
			hi[i] = cu
		}
	}
	// A feasible start with few non-zeros (so few kernel rows): the first
	// unlabelled samples take 1 + κ, the first labelled −κ, each as much as
	// its bound allows.
	beta := make([]float64, n)
	needU, needL := 1+kappa, kappa
	for i := range beta {
		switch {
		case !labelled[i] && needU > 0:
			beta[i] = min(cu, needU)
			needU -= beta[i]
		case labelled[i] && needL > 0:
			beta[i] = -min(cn, needL)
			needL += beta[i]
		}
	}
	slack := 0.0 // −κ − Σ_{labelled} β
	grad := k.times(beta)
	diag := k.diagonal()
	maxIter = iterationLimit(maxIter, n)
	iter := 0
	for ; iter < maxIter; iter++ {
		if iter%1000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Per group, the smallest gradient among those that may grow and
		// the largest among those that may shrink.
		upU, upL, lowU, lowL := -1, -1, -1, -1
		for t, b := range beta {
			g := grad[t]
			if labelled[t] {
				if b < hi[t] && (upL < 0 || g < grad[upL]) {
					upL = t
				}
				if b > lo[t] && (lowL < 0 || g > grad[lowL]) {
					lowL = t
				}
			} else {
				if b < hi[t] && (upU < 0 || g < grad[upU]) {
					upU = t
				}
				if b > lo[t] && (lowU < 0 || g > grad[lowU]) {
					lowU = t
				}
			}
		}
		// The allowed moves (i grows, j shrinks): within a group, from a
		// labelled to an unlabelled sample (the slack grows), and from an
		// unlabelled to a labelled one only while there is slack.
		i, j, viol := -1, -1, tol
		try := func(a, b int, ok bool) {
			if ok && a >= 0 && b >= 0 && a != b && grad[b]-grad[a] > viol {
				i, j, viol = a, b, grad[b]-grad[a]
			}
		}
		try(upU, lowU, true)
		try(upL, lowL, true)
		try(upU, lowL, true)
		try(upL, lowU, slack > 1e-12)
		if i < 0 {
			break
		}
		ki, kj := k.row(i), k.row(j)
		quad := diag[i] + diag[j] - 2*float64(ki[j])
		if quad <= 0 {
			quad = tau
		}
		step := (grad[j] - grad[i]) / quad
		step = min(step, hi[i]-beta[i], beta[j]-lo[j])
		if labelled[i] && !labelled[j] {
			step = min(step, slack)
		}
		beta[i] += step
		beta[j] -= step
		switch {
		case labelled[i] && !labelled[j]:
			slack -= step
		case !labelled[i] && labelled[j]:
			slack += step
		}
		for t := range grad {
			grad[t] += step * (float64(ki[t]) - float64(kj[t]))
		}
	}
	m := &ssadModel{iters: iter, converged: iter < maxIter}
	for i, b := range beta {
		if b != 0 {
			m.sv = append(m.sv, i)
			m.beta = append(m.beta, b)
		}
	}
	return m, nil
}
