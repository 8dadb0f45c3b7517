// Package ocsvm is the one-class SVM of Schölkopf et al. (2001) with an RBF
// kernel, solved in its dual by an SMO solver after libsvm (the solver behind
// scikit-learn's OneClassSVM), with γ selected as in Deep SAD's baseline: fit
// one model per γ and keep the one with the best AUC on a labelled hold-out
// of the test set. Optionally ν is selected the same way, from Params.Nus.
// The anomaly score is the negative decision function,
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
	"slices"
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
	// Nus, when not empty, replaces Nu by a list of values tried with every
	// γ; the hold-out AUC picks the pair, and Nu is unused (though still
	// validated and hashed). Empty (the default, and Deep SAD's recipe)
	// means ν = Nu. Left out of the config hash while empty.
	Nus []float64 `toml:"nus" json:",omitempty"`
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

// NuSelectParams returns DefaultParams with ν chosen together with γ on the
// hold-out, from {0.01, 0.05, 0.1, 0.2, 0.5}: not Deep SAD's stated recipe,
// but its OC-SVM numbers under contamination are what a ν near 0.5 gives
// (results/studies/ocsvm-nu), and tuning ν on the same hold-out as γ is one
// reading of them.
func NuSelectParams() *Params {
	p := DefaultParams()
	p.Nus = []float64{0.01, 0.05, 0.1, 0.2, 0.5}
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
	if err := checkGammas(p.Gammas); err != nil {
		return err
	}
	for i, nu := range p.Nus {
		if !(nu > 0 && nu <= 1) {
			return fmt.Errorf("nus[%d] = %g: must be in (0, 1]", i, nu)
		}
		if slices.Contains(p.Nus[:i], nu) {
			return fmt.Errorf("nus[%d] = %g: repeated", i, nu)
		}
	}
	return nil
}

// nus returns the ν values to try.
func (p *Params) nus() []float64 {
	if len(p.Nus) > 0 {
		return p.Nus
	}
	return []float64{p.Nu}
}

// OCSVM is a one-class SVM; it implements protocol.ValidatedDetector.
type OCSVM struct {
	params Params

	nu    float64
	gamma float64
	sv    pairwise.Matrix // support vectors
	alpha []float64
	rho   float64
	iters int
	conv  bool

	valAUC []float64 // hold-out AUC per (ν, γ), ν-major (NaN where not computed)

	workers int // goroutines; ≤ 0: all cores
}

// New returns an unfitted model.
func New(p Params) *OCSVM { return &OCSVM{params: p} }

// SetWorkers sets the goroutines Fit and Score use (≤ 0: all cores); the
// result does not depend on it. It implements protocol.Parallel.
func (o *OCSVM) SetWorkers(n int) { o.workers = n }

// Gamma returns the selected γ.
func (o *OCSVM) Gamma() float64 { return o.gamma }

// Nu returns the selected ν.
func (o *OCSVM) Nu() float64 { return o.nu }

// ValidationAUCs returns the hold-out AUC of each (ν, γ): for each ν in
// order, one per γ in Params order.
func (o *OCSVM) ValidationAUCs() []float64 { return o.valAUC }

// Fit trains with the only ν and γ given; with several, it needs FitValidated.
func (o *OCSVM) Fit(ctx context.Context, train protocol.Samples) error {
	if len(o.params.Gammas)*len(o.params.nus()) != 1 {
		return errors.New("ocsvm: several gammas or nus need a labelled validation set to choose from (FitValidated)")
	}
	return o.FitValidated(ctx, train, protocol.Labelled{})
}

// FitValidated fits one model per (ν, γ) and keeps the one with the highest
// AUC on val (the first of equals in ν-major order, as Deep SAD's
// `if auc > best_auc` over γ).
func (o *OCSVM) FitValidated(ctx context.Context, train protocol.Samples, val protocol.Labelled) error {
	x := pairwise.FromSamples(train)
	n := x.Rows
	nus := o.params.nus()
	if nuMin := slices.Min(nus); float64(n)*nuMin < 1 {
		return fmt.Errorf("ocsvm: ν·n = %g < 1: too few training samples", nuMin*float64(n))
	}
	dist, err := pairwise.Symmetric(ctx, o.workers, x)
	if err != nil {
		return err
	}
	nGamma := len(o.params.Gammas)
	many := nGamma*len(nus) > 1
	var valDist pairwise.Matrix
	if many {
		if val.N == 0 {
			return errors.New("ocsvm: several (ν, γ) pairs need a labelled validation set to choose from")
		}
		if valDist, err = pairwise.Full(ctx, o.workers, pairwise.FromSamples(val.Samples), x); err != nil {
			return err
		}
	}
	k := newKernel(dist, o.workers)
	o.valAUC = make([]float64, len(nus)*nGamma)
	var best *model
	bestAUC, bestAt := math.Inf(-1), -1
	// γ outer, so the kernel rows computed for a γ serve every ν.
	for gi, gamma := range o.params.Gammas {
		k.setGamma(gamma)
		for ni, nu := range nus {
			at := ni*nGamma + gi
			o.valAUC[at] = math.NaN()
			m, err := solve(ctx, k, nu, o.params.Tol, o.params.MaxIter)
			if err != nil {
				return fmt.Errorf("ν = %g, γ = %g: %w", nu, gamma, err)
			}
			if !many {
				best, o.nu, o.gamma = m, nu, gamma
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
			o.valAUC[at] = auc
			if better(auc, at, bestAUC, bestAt) {
				best, bestAUC, bestAt, o.nu, o.gamma = m, auc, at, nu, gamma
			}
		}
	}
	o.sv = x.SubRows(best.sv)
	o.alpha, o.rho, o.iters, o.conv = best.alpha, best.rho, best.iters, best.converged
	return nil
}

// better reports whether a hold-out AUC at position at (ν-major) beats the
// best so far: higher, or equal and earlier, so the first of equals wins
// whatever order the pairs are fitted in.
func better(auc float64, at int, bestAUC float64, bestAt int) bool {
	return auc > bestAUC || (auc == bestAUC && at < bestAt)
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
	sums, err := expansion(ctx, o.workers, test, o.sv, o.alpha, o.gamma)
	for i, s := range sums {
		sums[i] = o.rho - s
	}
	return sums, err
}

// expansion returns Σₖ coefₖ exp(−γ‖x − svₖ‖²) for every test image x.
func expansion(ctx context.Context, workers int, test protocol.Samples, sv pairwise.Matrix, coef []float64, gamma float64) ([]float64, error) {
	sums := make([]float64, test.N)
	nsv := sv.Rows
	err := pairwise.Each(ctx, workers, pairwise.FromSamples(test), sv, func(first int, block []float32) error {
		return par.For(ctx, workers, len(block)/nsv, func(r int) {
			var s float64
			for k, d := range block[r*nsv : (r+1)*nsv] {
				s += coef[k] * math.Exp(-gamma*float64(d))
			}
			sums[first+r] = s
		})
	})
	return sums, err
}

// Info records the selected γ (and ν, where several were tried), the
// model's size and the hold-out AUCs: val_auc per γ, or with several ν one
// val_auc_nu<ν> per ν.
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
	if len(o.valAUC) <= 1 {
		return info
	}
	nus, nGamma := o.params.nus(), len(o.params.Gammas)
	for ni, nu := range nus {
		parts := make([]string, nGamma)
		for gi, a := range o.valAUC[ni*nGamma : (ni+1)*nGamma] {
			parts[gi] = strconv.FormatFloat(a, 'f', 4, 64)
		}
		key := "val_auc"
		if len(nus) > 1 {
			key = "val_auc_nu" + strconv.FormatFloat(nu, 'g', 6, 64)
		}
		info[key] = strings.Join(parts, " ")
	}
	if len(nus) > 1 {
		info["nu"] = strconv.FormatFloat(o.nu, 'g', 6, 64)
	}
	return info
}
