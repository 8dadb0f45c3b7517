// Package kde is a Gaussian kernel density estimator whose bandwidth is
// chosen by k-fold cross-validated log-likelihood, as scikit-learn's
// GridSearchCV(KernelDensity(kernel="gaussian"), cv=5) does in Deep SAD's
// baseline; the anomaly score is the negative log density.
//
// It is exact (no tree approximation): every pairwise distance is computed
// once, by matrix products, and reused for all bandwidths and folds. When the
// bandwidths form a chain h²ₖ₊₁ = 2h²ₖ (the default 2^{0.5,1,…,5} does),
// each pair costs one exponential: exp(−d/2h²ₖ) is the square of
// exp(−d/2h²ₖ₊₁).
package kde

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/ncae-repro/ncae/baselines/internal/pairwise"
	"github.com/ncae-repro/ncae/baselines/internal/par"
	"github.com/ncae-repro/ncae/protocol"
)

// Params are the estimator's settings.
type Params struct {
	Bandwidths []float64 `toml:"bandwidths"` // candidates; one value skips the cross-validation
	Folds      int       `toml:"folds"`      // k of the unshuffled k-fold split
}

// DefaultParams returns Deep SAD's grid: h ∈ 2^{0.5, 1.0, …, 5.0}, 5 folds.
func DefaultParams() *Params {
	p := &Params{Folds: 5}
	for e := 0.5; e <= 5.0001; e += 0.5 {
		p.Bandwidths = append(p.Bandwidths, math.Exp2(e))
	}
	return p
}

// Validate reports a bad value with its key.
func (p *Params) Validate() error {
	if len(p.Bandwidths) == 0 {
		return fmt.Errorf("bandwidths is empty")
	}
	for i, h := range p.Bandwidths {
		if !(h > 0) || math.IsInf(h, 0) {
			return fmt.Errorf("bandwidths[%d] = %g: must be > 0", i, h)
		}
	}
	if p.Folds < 2 {
		return fmt.Errorf("folds = %d: must be ≥ 2", p.Folds)
	}
	return nil
}

// KDE is a Gaussian kernel density estimator; it implements protocol.Detector.
type KDE struct {
	params    Params
	train     pairwise.Matrix
	bandwidth float64
	cvScore   []float64 // mean held-out log-likelihood per candidate, in params order
	workers   int       // goroutines; ≤ 0: all cores
}

// New returns an unfitted estimator.
func New(p Params) *KDE { return &KDE{params: p} }

// SetWorkers sets the goroutines Fit and Score use (≤ 0: all cores); the
// result does not depend on it. It implements protocol.Parallel.
func (k *KDE) SetWorkers(n int) { k.workers = n }

// Bandwidth returns the selected bandwidth.
func (k *KDE) Bandwidth() float64 { return k.bandwidth }

// CVScores returns the mean held-out log-likelihood of each candidate
// bandwidth, in the order of Params.Bandwidths.
func (k *KDE) CVScores() []float64 { return k.cvScore }

// Fit stores the training set and selects the bandwidth.
func (k *KDE) Fit(ctx context.Context, train protocol.Samples) error {
	k.train = pairwise.FromSamples(train)
	hs := k.params.Bandwidths
	if len(hs) == 1 {
		k.bandwidth = hs[0]
		return nil
	}
	if train.N < k.params.Folds {
		return fmt.Errorf("kde: %d training samples for %d folds", train.N, k.params.Folds)
	}
	scores, err := k.crossValidate(ctx)
	if err != nil {
		return err
	}
	best := 0
	for i, s := range scores {
		if s > scores[best] { // the first of equals wins, as in GridSearchCV
			best = i
		}
	}
	k.cvScore, k.bandwidth = scores, hs[best]
	return nil
}

// Score returns −log p(x) under the fitted density.
func (k *KDE) Score(ctx context.Context, test protocol.Samples) ([]float64, error) {
	if k.bandwidth == 0 {
		return nil, fmt.Errorf("kde: Score before Fit")
	}
	x := pairwise.FromSamples(test)
	sums := newLogSums([]float64{k.bandwidth}, x.Cols)
	scores := make([]float64, test.N)
	n := k.train.Rows
	err := pairwise.Each(ctx, k.workers, x, k.train, func(first int, block []float32) error {
		rows := len(block) / n
		return par.For(ctx, k.workers, rows, func(r int) {
			var out [1]float64
			sums.logDensity(block[r*n:(r+1)*n], 0, n, out[:])
			scores[first+r] = -out[0]
		})
	})
	return scores, err
}

// Info records the selected bandwidth and the cross-validation curve.
func (k *KDE) Info() map[string]string {
	info := map[string]string{"bandwidth": strconv.FormatFloat(k.bandwidth, 'g', 6, 64)}
	if k.cvScore != nil {
		s := ""
		for i, v := range k.cvScore {
			if i > 0 {
				s += " "
			}
			s += strconv.FormatFloat(v, 'f', 1, 64)
		}
		info["cv_loglik"] = s
	}
	return info
}

// folds returns the [start, end) ranges of scikit-learn's unshuffled KFold:
// the first n mod k folds have one extra sample.
func folds(n, k int) [][2]int {
	out := make([][2]int, k)
	start := 0
	for f := range out {
		size := n / k
		if f < n%k {
			size++
		}
		out[f] = [2]int{start, start + size}
		start += size
	}
	return out
}

// crossValidate returns, per bandwidth, the mean over folds of the held-out
// fold's total log-likelihood under the density of the other folds.
func (k *KDE) crossValidate(ctx context.Context) ([]float64, error) {
	hs := k.params.Bandwidths
	n := k.train.Rows
	fs := folds(n, k.params.Folds)
	foldOf := make([]int, n)
	for f, r := range fs {
		for i := r[0]; i < r[1]; i++ {
			foldOf[i] = f
		}
	}
	sums := newLogSums(hs, k.train.Cols)
	dist, err := pairwise.Symmetric(ctx, k.workers, k.train)
	if err != nil {
		return nil, err
	}
	loglik := make([]float64, n*len(hs)) // per held-out sample and bandwidth
	err = par.For(ctx, k.workers, n, func(i int) {
		f := fs[foldOf[i]]
		// The density of the other folds: row i without i's own fold.
		sums.logDensitySplit(dist.Row(i), f[0], f[1], loglik[i*len(hs):(i+1)*len(hs)])
	})
	if err != nil {
		return nil, err
	}
	mean := make([]float64, len(hs))
	for _, r := range fs {
		for b := range hs {
			var total float64
			for i := r[0]; i < r[1]; i++ {
				total += loglik[i*len(hs)+b]
			}
			mean[b] += total / float64(len(fs))
		}
	}
	return mean, nil
}

// logSums evaluates Gaussian log densities for several bandwidths at once.
type logSums struct {
	hs    []float64 // as given
	order []int     // indices of hs by decreasing bandwidth
	chain bool      // h² halves along order, so exponentials can be squared
	inv2  []float64 // 1/(2h²) by position in hs
	norm  []float64 // (dim/2)·log(2πh²) by position in hs
}

func newLogSums(hs []float64, dim int) *logSums {
	s := &logSums{hs: hs, order: make([]int, len(hs)), inv2: make([]float64, len(hs)), norm: make([]float64, len(hs))}
	for i, h := range hs {
		s.order[i] = i
		s.inv2[i] = 1 / (2 * h * h)
		s.norm[i] = float64(dim) / 2 * math.Log(2*math.Pi*h*h)
	}
	sort.SliceStable(s.order, func(a, b int) bool { return hs[s.order[a]] > hs[s.order[b]] })
	s.chain = len(hs) > 1
	for p := 1; p < len(hs); p++ {
		ratio := s.inv2[s.order[p]] / s.inv2[s.order[p-1]]
		if math.Abs(ratio-2) > 1e-12 {
			s.chain = false
		}
	}
	return s
}

// logDensity writes, for each bandwidth, log p = log Σⱼ exp(−dⱼ/2h²) − log m
// − (dim/2)·log(2πh²) over the squared distances row[lo:hi] (m = hi − lo).
func (s *logSums) logDensity(row []float32, lo, hi int, out []float64) {
	s.logDensitySplit(row[lo:hi], 0, 0, out)
}

// logDensitySplit is logDensity over row without the range [skipLo, skipHi).
// Terms are shifted by the smallest distance, so no exponential underflows
// to a log of zero whatever the bandwidth.
func (s *logSums) logDensitySplit(row []float32, skipLo, skipHi int, out []float64) {
	parts := [2][]float32{row[:skipLo], row[skipHi:]}
	m := len(parts[0]) + len(parts[1])
	dmin := math.Inf(1)
	for _, part := range parts {
		for _, d := range part {
			dmin = min(dmin, float64(d))
		}
	}
	var acc [16]float64
	total := acc[:0]
	if len(s.hs) <= len(acc) {
		total = acc[:len(s.hs)]
	} else {
		total = make([]float64, len(s.hs))
	}
	if s.chain {
		top := s.inv2[s.order[0]]
		for _, part := range parts {
			for _, d := range part {
				e := math.Exp(-(float64(d) - dmin) * top)
				for _, b := range s.order {
					total[b] += e
					e *= e
				}
			}
		}
	} else {
		for _, part := range parts {
			for _, d := range part {
				for b, inv := range s.inv2 {
					total[b] += math.Exp(-(float64(d) - dmin) * inv)
				}
			}
		}
	}
	for b := range s.hs {
		out[b] = math.Log(total[b]) - dmin*s.inv2[b] - math.Log(float64(m)) - s.norm[b]
	}
}
