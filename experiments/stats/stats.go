// Package stats holds the significance tests used to compare detectors over
// matched experiments: the Wilcoxon signed-rank test and the
// Hodges–Lehmann shift for two methods, Holm's correction for a family of
// such tests, and the Friedman test with the Nemenyi critical difference for
// many methods at once (Demšar, "Statistical Comparisons of Classifiers over
// Multiple Data Sets", JMLR 2006). The tests are two-sided and agree with
// SciPy 1.10's (scipy.stats.wilcoxon, friedmanchisquare,
// studentized_range); the package tests pin them to its values.
package stats

import (
	"errors"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// ExactMax is the largest number of non-zero differences for which
// Wilcoxon uses the exact null distribution (SciPy's rule).
const ExactMax = 50

// WilcoxonResult is the outcome of a two-sided Wilcoxon signed-rank test.
type WilcoxonResult struct {
	N         int     // non-zero differences (zeros are dropped: Wilcoxon's own rule, SciPy's "wilcox")
	Statistic float64 // min(W+, W−), as SciPy reports it
	P         float64 // two-sided p-value
	Exact     bool    // exact null distribution (else the normal approximation)
}

// ErrNoDifferences is returned by Wilcoxon when every difference is zero.
var ErrNoDifferences = errors.New("stats: every difference is zero")

// Wilcoxon tests whether the paired differences d are symmetric about zero.
// Zeros are dropped. With at most ExactMax differences, no zero and no ties
// among their magnitudes, the p-value is exact; otherwise it is the normal
// approximation with the tie correction of the variance and no continuity
// correction (SciPy's defaults; SciPy too leaves the exact distribution
// when a difference is zero). (SciPy 1.10 stays "exact" with ties,
// truncating a half-integer rank sum; we take the approximation there.)
func Wilcoxon(d []float64) (WilcoxonResult, error) {
	var nz []float64
	zeros := false
	for _, x := range d {
		if math.IsNaN(x) {
			return WilcoxonResult{}, errors.New("stats: NaN difference")
		}
		if x != 0 {
			nz = append(nz, x)
		} else {
			zeros = true
		}
	}
	n := len(nz)
	if n == 0 {
		return WilcoxonResult{}, ErrNoDifferences
	}
	abs := make([]float64, n)
	for i, x := range nz {
		abs[i] = math.Abs(x)
	}
	ranks, ties := Rank(abs)
	var wPlus, wMinus float64
	for i, x := range nz {
		if x > 0 {
			wPlus += ranks[i]
		} else {
			wMinus += ranks[i]
		}
	}
	res := WilcoxonResult{N: n, Statistic: math.Min(wPlus, wMinus)}
	if n <= ExactMax && len(ties) == 0 && !zeros {
		res.Exact = true
		res.P = exactSignedRankP(n, int(wPlus))
		return res, nil
	}
	fn := float64(n)
	mean := fn * (fn + 1) / 4
	variance := fn * (fn + 1) * (2*fn + 1)
	for _, t := range ties {
		ft := float64(t)
		variance -= 0.5 * ft * (ft*ft - 1)
	}
	se := math.Sqrt(variance / 24)
	z := (res.Statistic - mean) / se
	res.P = math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(z)))
	return res, nil
}

// exactSignedRankP is the two-sided p-value of W+ = w under the null
// distribution of the signed-rank statistic for n tie-free ranks: the
// number of subsets of {1..n} with each sum, over 2ⁿ.
func exactSignedRankP(n, w int) float64 {
	maxSum := n * (n + 1) / 2
	count := make([]float64, maxSum+1)
	count[0] = 1
	for r := 1; r <= n; r++ {
		for s := maxSum; s >= r; s-- {
			count[s] += count[s-r]
		}
	}
	if 2*w == maxSum {
		return 1
	}
	var less, greater float64
	for s, c := range count {
		if s <= w {
			less += c
		}
		if s >= w {
			greater += c
		}
	}
	total := math.Ldexp(1, n)
	return math.Min(1, 2*math.Min(less, greater)/total)
}

// Rank returns the ranks (1-based, ties given their average rank) of xs,
// and the sizes of the groups of tied values.
func Rank(xs []float64) (ranks []float64, ties []int) {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	ranks = make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && xs[idx[j]] == xs[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			ranks[idx[k]] = avg
		}
		if j-i > 1 {
			ties = append(ties, j-i)
		}
		i = j
	}
	return ranks, ties
}

// HodgesLehmann is the Hodges–Lehmann estimate of the shift of paired
// differences: the median of the Walsh averages (dᵢ + dⱼ)/2, i ≤ j. It is
// the location estimate that goes with the signed-rank test.
func HodgesLehmann(d []float64) float64 {
	if len(d) == 0 {
		return math.NaN()
	}
	walsh := make([]float64, 0, len(d)*(len(d)+1)/2)
	for i := range d {
		for j := i; j < len(d); j++ {
			walsh = append(walsh, (d[i]+d[j])/2)
		}
	}
	return median(walsh)
}

// Median returns the median of xs (the mean of the middle two for an even
// count; NaN for none), leaving xs as it was.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return median(xs)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Holm returns Holm's step-down adjusted p-values for a family of tests,
// in the order given: the i-th smallest p is multiplied by (m − i + 1),
// made non-decreasing and capped at 1. NaN p-values (tests that could not
// be made) are left NaN and do not count in m.
func Holm(p []float64) []float64 {
	var idx []int
	for i, x := range p {
		if !math.IsNaN(x) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	out := make([]float64, len(p))
	for i := range out {
		out[i] = math.NaN()
	}
	m, running := len(idx), 0.0
	for rank, i := range idx {
		running = math.Max(running, math.Min(1, float64(m-rank)*p[i]))
		out[i] = running
	}
	return out
}

// FriedmanResult is the outcome of a Friedman test of k methods on n
// blocks (experiments).
type FriedmanResult struct {
	N, K      int
	Statistic float64   // χ²_F with SciPy's tie correction
	P         float64   // from χ² with k − 1 degrees of freedom
	MeanRanks []float64 // per method; rank 1 is the highest value
}

// Friedman tests whether k ≥ 3 methods perform alike over blocks: scores[b][m]
// is method m's value (higher is better) in block b. Ranks are taken within
// each block, 1 for the highest value, ties averaged.
func Friedman(scores [][]float64) (FriedmanResult, error) {
	n := len(scores)
	if n < 2 {
		return FriedmanResult{}, errors.New("stats: Friedman needs at least 2 blocks")
	}
	k := len(scores[0])
	if k < 3 {
		return FriedmanResult{}, errors.New("stats: Friedman needs at least 3 methods")
	}
	sums := make([]float64, k)
	var tieTerm float64
	neg := make([]float64, k)
	for _, row := range scores {
		if len(row) != k {
			return FriedmanResult{}, errors.New("stats: Friedman needs every method in every block")
		}
		for m, x := range row {
			if math.IsNaN(x) {
				return FriedmanResult{}, errors.New("stats: NaN score")
			}
			neg[m] = -x
		}
		ranks, ties := Rank(neg)
		for m, r := range ranks {
			sums[m] += r
		}
		for _, t := range ties {
			ft := float64(t)
			tieTerm += ft*ft*ft - ft
		}
	}
	fn, fk := float64(n), float64(k)
	var ss float64
	for _, s := range sums {
		ss += s * s
	}
	chi := 12/(fn*fk*(fk+1))*ss - 3*fn*(fk+1)
	if c := 1 - tieTerm/(fn*fk*(fk*fk-1)); c > 0 {
		chi /= c
	}
	res := FriedmanResult{N: n, K: k, Statistic: chi, MeanRanks: make([]float64, k)}
	res.P = distuv.ChiSquared{K: fk - 1}.Survival(chi)
	for m, s := range sums {
		res.MeanRanks[m] = s / fn
	}
	return res, nil
}

// NemenyiCD is the critical difference of mean ranks for k methods on n
// blocks at level alpha: two methods whose mean ranks differ by less are
// not significantly different (Demšar 2006, eq. 5): q_α √(k(k+1)/(6n)),
// where q_α is the studentized range quantile for k means and infinite
// degrees of freedom, over √2.
func NemenyiCD(k, n int, alpha float64) float64 {
	q := StudentizedRangeQuantile(1-alpha, k) / math.Sqrt2
	return q * math.Sqrt(float64(k*(k+1))/(6*float64(n)))
}

// StudentizedRangeQuantile returns the p-quantile of the range of k
// independent standard normal variables (the studentized range with
// infinite degrees of freedom), by bisection on its distribution function
// P(R ≤ q) = k ∫ φ(z) (Φ(z) − Φ(z − q))^(k−1) dz.
func StudentizedRangeQuantile(p float64, k int) float64 {
	cdf := func(q float64) float64 {
		f := func(z float64) float64 {
			return distuv.UnitNormal.Prob(z) * math.Pow(distuv.UnitNormal.CDF(z)-distuv.UnitNormal.CDF(z-q), float64(k-1))
		}
		return float64(k) * quad.Fixed(f, -12, 12+q, 2000, nil, 0)
	}
	lo, hi := 0.0, 20.0
	for range 100 {
		mid := (lo + hi) / 2
		if cdf(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
