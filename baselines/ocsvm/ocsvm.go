// Package ocsvm is the one-class SVM of Schölkopf et al. (2001) with an RBF
// kernel, solved in its dual by an SMO solver after libsvm (the solver behind
// scikit-learn's OneClassSVM), with γ selected as in Deep SAD's baseline: fit
// one model per γ and keep the one with the best AUC on a labelled hold-out
// of the test set. The anomaly score is the negative decision function,
// ρ − Σᵢ αᵢ exp(−γ‖xᵢ − x‖²).
//
// The squared distances between training samples are computed once, by one
// matrix product, and reused for every γ; the kernel's rows are computed from
// them only when the solver first reads them.
package ocsvm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/baselines/internal/pairwise"
	"github.com/ncae-repro/ncae/baselines/internal/par"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/roc"
)

// Params are the model's settings.
type Params struct {
	Nu     float64   `toml:"nu"`     // upper bound on the outlier fraction, lower bound on the SV fraction
	Gammas []float64 `toml:"gammas"` // RBF widths tried; the hold-out AUC picks one
	Tol    float64   `toml:"tol"`    // SMO stopping tolerance (libsvm's eps)
	// MaxIter bounds SMO iterations; 0 means libsvm's max(10⁷, 100n).
	MaxIter int `toml:"max_iter"`
}

// DefaultParams returns Deep SAD's settings: ν = 0.1, γ ∈ 2^{−7, …, 2},
// scikit-learn's tolerance 1e-3.
func DefaultParams() *Params {
	p := &Params{Nu: 0.1, Tol: 1e-3}
	for e := -7; e <= 2; e++ {
		p.Gammas = append(p.Gammas, math.Exp2(float64(e)))
	}
	return p
}

// Validate reports a bad value with its key.
func (p *Params) Validate() error {
	switch {
	case !(p.Nu > 0 && p.Nu <= 1):
		return fmt.Errorf("nu = %g: must be in (0, 1]", p.Nu)
	case len(p.Gammas) == 0:
		return fmt.Errorf("gammas is empty")
	case !(p.Tol > 0):
		return fmt.Errorf("tol = %g: must be > 0", p.Tol)
	case p.MaxIter < 0:
		return fmt.Errorf("max_iter = %d: must be ≥ 0 (0 = libsvm's default)", p.MaxIter)
	}
	for i, g := range p.Gammas {
		if !(g > 0) || math.IsInf(g, 0) {
			return fmt.Errorf("gammas[%d] = %g: must be > 0", i, g)
		}
	}
	return nil
}

// OCSVM is a one-class SVM; it implements protocol.ValidatedDetector.
type OCSVM struct {
	params Params

	gamma float64
	sv    pairwise.Matrix // support vectors
	alpha []float64
	rho   float64
	iters int
	conv  bool

	valAUC []float64 // hold-out AUC per γ (NaN where not computed)
}

// New returns an unfitted model.
func New(p Params) *OCSVM { return &OCSVM{params: p} }

// Gamma returns the selected γ.
func (o *OCSVM) Gamma() float64 { return o.gamma }

// ValidationAUCs returns the hold-out AUC of each γ, in Params order.
func (o *OCSVM) ValidationAUCs() []float64 { return o.valAUC }

// Fit trains with the only γ given; with several, γ needs FitValidated.
func (o *OCSVM) Fit(ctx context.Context, train protocol.Samples) error {
	if len(o.params.Gammas) != 1 {
		return errors.New("ocsvm: several gammas need a labelled validation set to choose from (FitValidated)")
	}
	return o.FitValidated(ctx, train, protocol.Labelled{})
}

// FitValidated fits one model per γ and keeps the one with the highest AUC
// on val (the first of equals, as Deep SAD's `if auc > best_auc`).
func (o *OCSVM) FitValidated(ctx context.Context, train protocol.Samples, val protocol.Labelled) error {
	x := pairwise.FromSamples(train)
	n := x.Rows
	if float64(n)*o.params.Nu < 1 {
		return fmt.Errorf("ocsvm: ν·n = %g < 1: too few training samples", o.params.Nu*float64(n))
	}
	dist, err := pairwise.Symmetric(ctx, x)
	if err != nil {
		return err
	}
	many := len(o.params.Gammas) > 1
	var valDist pairwise.Matrix
	if many {
		if val.N == 0 {
			return errors.New("ocsvm: several gammas need a labelled validation set")
		}
		if valDist, err = pairwise.Full(ctx, pairwise.FromSamples(val.Samples), x); err != nil {
			return err
		}
	}
	k := newKernel(dist)
	o.valAUC = make([]float64, len(o.params.Gammas))
	var best *model
	bestAUC := math.Inf(-1)
	for gi, gamma := range o.params.Gammas {
		o.valAUC[gi] = math.NaN()
		k.setGamma(gamma)
		m, err := solve(ctx, k, o.params.Nu, o.params.Tol, o.params.MaxIter)
		if err != nil {
			return fmt.Errorf("γ = %g: %w", gamma, err)
		}
		if !many {
			best, o.gamma = m, gamma
			break
		}
		scores := make([]float64, val.N)
		for r := range scores {
			scores[r] = -decision(valDist.Row(r), m, gamma)
		}
		auc, err := roc.AUC(scores, val.IsAnomaly)
		if err != nil {
			return fmt.Errorf("ocsvm: validation AUC: %w", err)
		}
		o.valAUC[gi] = auc
		if auc > bestAUC {
			best, bestAUC, o.gamma = m, auc, gamma
		}
	}
	o.sv = x.SubRows(best.sv)
	o.alpha, o.rho, o.iters, o.conv = best.alpha, best.rho, best.iters, best.converged
	return nil
}

// decision is Σ αᵢ exp(−γ dᵢ) − ρ over the support vectors, where dist holds
// the squared distances to all training samples.
func decision(dist []float32, m *model, gamma float64) float64 {
	var s float64
	for k, i := range m.sv {
		s += m.alpha[k] * math.Exp(-gamma*float64(dist[i]))
	}
	return s - m.rho
}

// Score returns the negative decision function: positive outside the
// estimated support.
func (o *OCSVM) Score(ctx context.Context, test protocol.Samples) ([]float64, error) {
	if o.alpha == nil {
		return nil, errors.New("ocsvm: Score before Fit")
	}
	scores := make([]float64, test.N)
	nsv := o.sv.Rows
	err := pairwise.Each(ctx, pairwise.FromSamples(test), o.sv, func(first int, block []float32) error {
		return par.For(ctx, len(block)/nsv, func(r int) {
			var s float64
			for k, d := range block[r*nsv : (r+1)*nsv] {
				s += o.alpha[k] * math.Exp(-o.gamma*float64(d))
			}
			scores[first+r] = o.rho - s
		})
	})
	return scores, err
}

// Info records the selected γ, the model's size and the hold-out AUCs.
func (o *OCSVM) Info() map[string]string {
	info := map[string]string{
		"gamma":      strconv.FormatFloat(o.gamma, 'g', 6, 64),
		"n_sv":       strconv.Itoa(o.sv.Rows),
		"rho":        strconv.FormatFloat(o.rho, 'g', 8, 64),
		"iterations": strconv.Itoa(o.iters),
	}
	if !o.conv {
		info["converged"] = "false"
	}
	if o.valAUC != nil && len(o.valAUC) > 1 {
		parts := make([]string, len(o.valAUC))
		for i, a := range o.valAUC {
			parts[i] = strconv.FormatFloat(a, 'f', 4, 64)
		}
		info["val_auc"] = strings.Join(parts, " ")
	}
	return info
}
