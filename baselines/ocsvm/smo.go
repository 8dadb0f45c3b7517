package ocsvm

import (
	"context"
	"fmt"
	"math"

	"github.com/ncae-repro/ncae/baselines/internal/pairwise"
	"github.com/ncae-repro/ncae/baselines/internal/par"
)

// kernel is the RBF kernel matrix Kᵢⱼ = exp(−γ Dᵢⱼ) of a training set, in
// float32 as libsvm caches it, computed row by row on first use and kept:
// SMO reads only the rows of its starting support (νn of them) and of its
// working pairs, so the rows it never needs cost no exp. One n×n buffer
// serves every γ.
type kernel struct {
	dist  pairwise.Matrix // squared distances, n×n
	gamma float64
	buf   []float32 // row i at [i·n, (i+1)·n)
	done  []bool    // row i computed for gamma

	workers int // goroutines filling rows; ≤ 0: all cores
}

func newKernel(dist pairwise.Matrix, workers int) *kernel {
	n := dist.Rows
	return &kernel{dist: dist, buf: make([]float32, n*n), done: make([]bool, n), workers: workers}
}

// setGamma forgets the rows computed for the previous γ.
func (k *kernel) setGamma(gamma float64) {
	k.gamma = gamma
	clear(k.done)
}

// value is Kᵢⱼ, computed as the rows are.
func (k *kernel) value(i, j int) float32 {
	return float32(math.Exp(-k.gamma * float64(k.dist.Row(i)[j])))
}

// row returns row i of K. Distinct rows may be computed concurrently.
func (k *kernel) row(i int) []float32 {
	n := k.dist.Rows
	r := k.buf[i*n : (i+1)*n]
	if !k.done[i] {
		for j, v := range k.dist.Row(i) {
			r[j] = float32(math.Exp(-k.gamma * float64(v)))
		}
		k.done[i] = true
	}
	return r
}

// times returns K·coef, reading only the rows of coef's non-zeros.
func (k *kernel) times(coef []float64) []float64 {
	out := make([]float64, len(coef))
	for i, c := range coef {
		if c == 0 {
			continue
		}
		row := k.row(i)
		for t := range out {
			out[t] += c * float64(row[t])
		}
	}
	return out
}

// diagonal returns Kᵢᵢ for every i.
func (k *kernel) diagonal() []float64 {
	d := make([]float64, k.dist.Rows)
	for i := range d {
		d[i] = float64(k.value(i, i))
	}
	return d
}

// fill computes rows [0, m) on k.workers goroutines.
func (k *kernel) fill(ctx context.Context, m int) error {
	return par.For(ctx, k.workers, m, func(i int) { k.row(i) })
}

// model is a solved one-class SVM dual: the support vectors (indices into the
// training set), their coefficients α and the offset ρ.
type model struct {
	sv        []int
	alpha     []float64
	rho       float64
	iters     int
	converged bool // false when maxIter stopped it, as libsvm warns and goes on
}

// tau replaces a non-positive curvature, as in libsvm.
const tau = 1e-12

// solve finds α minimising ½αᵀKα subject to 0 ≤ αᵢ ≤ 1 and Σαᵢ = νn, by
// libsvm's SMO: second-order working-set selection (Fan, Chen and Lin 2005),
// stopping when the maximal violation m(α) − M(α) falls below tol, and ρ
// computed as libsvm's calculate_rho. K is the n×n kernel matrix in float32
// (libsvm caches its kernel in float32 too); all sums are float64. The
// initial point is libsvm's: the first ⌊νn⌋ αs at 1, the next at the
// remainder.
func solve(ctx context.Context, k *kernel, nu, tol float64, maxIter int) (*model, error) {
	n := k.dist.Rows
	alpha := make([]float64, n)
	total := nu * float64(n)
	bound := int(total)
	for i := 0; i < bound && i < n; i++ {
		alpha[i] = 1
	}
	if bound < n {
		alpha[bound] = total - float64(bound)
	}
	// G = Kα (the linear term of the one-class dual is zero).
	if err := k.fill(ctx, min(bound+1, n)); err != nil {
		return nil, err
	}
	grad := k.times(alpha)
	diag := k.diagonal()
	maxIter = iterationLimit(maxIter, n)

	iter := 0
	for ; iter < maxIter; iter++ {
		if iter%1000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// i: the most violating index among those that may grow.
		gmax, i := math.Inf(-1), -1
		for t, a := range alpha {
			if a < 1 && -grad[t] >= gmax {
				gmax, i = -grad[t], t
			}
		}
		// j: among those that may shrink, the one whose pairing with i
		// decreases the objective most (second-order information).
		gmax2, j := math.Inf(-1), -1
		objMin := math.Inf(1)
		if i >= 0 {
			ki := k.row(i)
			for t, a := range alpha {
				if a <= 0 {
					continue
				}
				if grad[t] >= gmax2 {
					gmax2 = grad[t]
				}
				diff := gmax + grad[t]
				if diff > 0 {
					quad := diag[i] + diag[t] - 2*float64(ki[t])
					if quad <= 0 {
						quad = tau
					}
					if obj := -diff * diff / quad; obj <= objMin {
						j, objMin = t, obj
					}
				}
			}
		}
		if gmax+gmax2 < tol || j < 0 {
			break
		}

		// Move along αᵢ − αⱼ, clipped to the box (libsvm's equal-label update).
		ki, kj := k.row(i), k.row(j)
		quad := diag[i] + diag[j] - 2*float64(ki[j])
		if quad <= 0 {
			quad = tau
		}
		oldI, oldJ := alpha[i], alpha[j]
		delta := (grad[i] - grad[j]) / quad
		sum := alpha[i] + alpha[j]
		alpha[i] -= delta
		alpha[j] += delta
		if sum > 1 {
			if alpha[i] > 1 {
				alpha[i], alpha[j] = 1, sum-1
			}
		} else if alpha[j] < 0 {
			alpha[j], alpha[i] = 0, sum
		}
		if sum > 1 {
			if alpha[j] > 1 {
				alpha[j], alpha[i] = 1, sum-1
			}
		} else if alpha[i] < 0 {
			alpha[i], alpha[j] = 0, sum
		}
		di, dj := alpha[i]-oldI, alpha[j]-oldJ
		for t := range grad {
			grad[t] += float64(ki[t])*di + float64(kj[t])*dj
		}
	}
	m := &model{iters: iter, converged: iter < maxIter, rho: rho(alpha, grad)}
	for i, a := range alpha {
		if a > 0 {
			m.sv = append(m.sv, i)
			m.alpha = append(m.alpha, a)
		}
	}
	return m, nil
}

// rho is libsvm's offset for labels all +1: the mean gradient over free αs,
// or the midpoint of the feasible interval when no α is free.
func rho(alpha, grad []float64) float64 {
	ub, lb := math.Inf(1), math.Inf(-1)
	var sumFree float64
	nFree := 0
	for t, a := range alpha {
		switch {
		case a >= 1:
			lb = max(lb, grad[t])
		case a <= 0:
			ub = min(ub, grad[t])
		default:
			nFree++
			sumFree += grad[t]
		}
	}
	if nFree > 0 {
		return sumFree / float64(nFree)
	}
	return (ub + lb) / 2
}

// iterationLimit is maxIter, or libsvm's max(10⁷, 100n) when it is ≤ 0.
func iterationLimit(maxIter, n int) int {
	if maxIter <= 0 {
		return max(10_000_000, 100*n)
	}
	return maxIter
}

// checkGammas reports the first RBF width that is not positive and finite.
func checkGammas(gammas []float64) error {
	for i, g := range gammas {
		if !(g > 0) || math.IsInf(g, 0) {
			return fmt.Errorf("gammas[%d] = %g: must be > 0", i, g)
		}
	}
	return nil
}
