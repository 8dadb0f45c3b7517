// Package iforest is the isolation forest of Liu, Ting and Zhou (2008) as
// scikit-learn builds it: each tree isolates a random sub-sample of ψ points
// (without replacement) by splitting on a random feature — one that is not
// constant in the node — at a threshold drawn uniformly between the
// feature's minimum and maximum there, up to a height of ⌈log₂ ψ⌉. The
// anomaly score of x is 2^(−E[h(x)]/c(ψ)), where h(x) is the depth of x's leaf
// plus c(n) for the n training points left in it, and c(n) is the average
// path length of an unsuccessful search in a binary search tree.
package iforest

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/ncae-repro/ncae/baselines/internal/par"
	"github.com/ncae-repro/ncae/protocol"
)

// Params are the forest's settings (Deep SAD's: 100 trees, ψ = 256).
type Params struct {
	Trees     int `toml:"trees"`
	SubSample int `toml:"sub_sample"` // ψ; capped at the training set size
	// MaxDepth 0 means ⌈log₂ ψ⌉, the original height limit.
	MaxDepth int `toml:"max_depth"`
}

// DefaultParams returns Deep SAD's settings.
func DefaultParams() *Params { return &Params{Trees: 100, SubSample: 256} }

// Validate reports a bad value with its key.
func (p *Params) Validate() error {
	switch {
	case p.Trees < 1:
		return fmt.Errorf("trees = %d: must be ≥ 1", p.Trees)
	case p.SubSample < 2:
		return fmt.Errorf("sub_sample = %d: must be ≥ 2", p.SubSample)
	case p.MaxDepth < 0:
		return fmt.Errorf("max_depth = %d: must be ≥ 0 (0 = ⌈log₂ sub_sample⌉)", p.MaxDepth)
	}
	return nil
}

// node is a tree node. Leaves have feature −1 and store pathAdd = depth +
// c(size), the whole contribution of a point that ends there.
type node struct {
	feature     int32
	left, right int32 // child indices into the tree's node slice
	threshold   float32
	pathAdd     float32
}

type tree []node

// Forest is a fitted isolation forest; it implements protocol.Detector.
type Forest struct {
	params  Params
	seed    uint64
	trees   []tree
	psi     int // the sub-sample size used
	workers int // goroutines; ≤ 0: all cores
}

// New returns an unfitted forest whose randomness derives from seed.
func New(p Params, seed uint64) *Forest { return &Forest{params: p, seed: seed} }

// SetWorkers sets the goroutines Fit and Score use (≤ 0: all cores); each
// tree draws from its own seeded stream, so the forest does not depend on
// it. It implements protocol.Parallel.
func (f *Forest) SetWorkers(n int) { f.workers = n }

// Fit grows the trees, in parallel; tree t uses its own random stream, so
// the forest does not depend on the number of goroutines.
func (f *Forest) Fit(ctx context.Context, train protocol.Samples) error {
	if train.N < 2 {
		return fmt.Errorf("iforest: need at least 2 training samples, got %d", train.N)
	}
	x := train.Float32()
	d := train.Dim()
	f.psi = min(f.params.SubSample, train.N)
	depth := f.params.MaxDepth
	if depth == 0 {
		depth = int(math.Ceil(math.Log2(float64(f.psi))))
	}
	f.trees = make([]tree, f.params.Trees)
	err := par.For(ctx, f.workers, f.params.Trees, func(t int) {
		rng := protocol.NewRand(f.seed, "tree/"+strconv.Itoa(t))
		all := make([]int, train.N)
		for i := range all {
			all[i] = i
		}
		b := builder{x: x, d: d, rng: rng, maxDepth: depth}
		b.grow(rng.Sample(all, f.psi), 0)
		f.trees[t] = b.nodes
	})
	if err != nil {
		f.trees = nil
	}
	return err
}

// Score returns 2^(−E[h(x)]/c(ψ)) for each sample: near 1 for anomalies,
// well below 0.5 for normal points.
func (f *Forest) Score(ctx context.Context, test protocol.Samples) ([]float64, error) {
	if f.trees == nil {
		return nil, fmt.Errorf("iforest: Score before Fit")
	}
	x := test.Float32()
	d := test.Dim()
	norm := averagePathLength(f.psi) * float64(len(f.trees))
	scores := make([]float64, test.N)
	const chunk = 256
	err := par.For(ctx, f.workers, (test.N+chunk-1)/chunk, func(c int) {
		for i := c * chunk; i < min((c+1)*chunk, test.N); i++ {
			row := x[i*d : (i+1)*d]
			var sum float64
			for _, t := range f.trees {
				sum += float64(t.pathLength(row))
			}
			scores[i] = math.Exp2(-sum / norm)
		}
	})
	return scores, err
}

// Info records the settings used.
func (f *Forest) Info() map[string]string {
	return map[string]string{"trees": strconv.Itoa(f.params.Trees), "sub_sample": strconv.Itoa(f.psi)}
}

func (t tree) pathLength(x []float32) float32 {
	n := &t[0]
	for n.feature >= 0 {
		if x[n.feature] <= n.threshold {
			n = &t[n.left]
		} else {
			n = &t[n.right]
		}
	}
	return n.pathAdd
}

type builder struct {
	x        []float32
	d        int
	rng      *protocol.Rand
	maxDepth int
	nodes    []node
}

// grow adds the subtree isolating the points idx (indices into x) at depth
// and returns its index.
func (b *builder) grow(idx []int, depth int) int32 {
	me := int32(len(b.nodes))
	b.nodes = append(b.nodes, node{feature: -1, pathAdd: float32(float64(depth) + averagePathLength(len(idx)))})
	if depth >= b.maxDepth || len(idx) < 2 {
		return me
	}
	feature, lo, hi, ok := b.pickFeature(idx)
	if !ok {
		return me // all points equal: nothing left to isolate
	}
	// Uniform in [lo, hi); a draw equal to hi would send every point left.
	threshold := lo + float32(b.rng.Float64())*(hi-lo)
	if threshold >= hi {
		threshold = lo
	}
	var left, right []int
	for _, i := range idx {
		if b.x[i*b.d+feature] <= threshold {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	l := b.grow(left, depth+1)
	r := b.grow(right, depth+1)
	b.nodes[me] = node{feature: int32(feature), left: l, right: r, threshold: threshold}
	return me
}

// pickFeature draws features uniformly until one is not constant on idx (as
// scikit-learn's random splitter skips constant features). After d failed
// draws it lists the non-constant features and draws among them, so a node
// whose points are all equal is recognised.
func (b *builder) pickFeature(idx []int) (feature int, lo, hi float32, ok bool) {
	span := func(f int) (float32, float32) {
		lo, hi := b.x[idx[0]*b.d+f], b.x[idx[0]*b.d+f]
		for _, i := range idx[1:] {
			v := b.x[i*b.d+f]
			lo, hi = min(lo, v), max(hi, v)
		}
		return lo, hi
	}
	for try := 0; try < b.d; try++ {
		f := b.rng.IntN(b.d)
		if lo, hi := span(f); hi > lo {
			return f, lo, hi, true
		}
	}
	var varying []int
	for f := 0; f < b.d; f++ {
		if lo, hi := span(f); hi > lo {
			varying = append(varying, f)
		}
	}
	if len(varying) == 0 {
		return 0, 0, 0, false
	}
	f := varying[b.rng.IntN(len(varying))]
	lo, hi = span(f)
	return f, lo, hi, true
}

// averagePathLength is c(n) = 2H(n−1) − 2(n−1)/n, with c(1) = 0 and c(2) = 1.
func averagePathLength(n int) float64 {
	switch {
	case n <= 1:
		return 0
	case n == 2:
		return 1
	}
	const euler = 0.5772156649015329
	m := float64(n - 1)
	return 2*(math.Log(m)+euler) - 2*m/float64(n)
}
