package runner

import (
	"time"

	"github.com/ncae-repro/ncae/experiments/plan"
)

// etaEstimator predicts the time left in a sweep from the runs finished so
// far. Run times differ by orders of magnitude between methods (isolation
// forest: milliseconds; NCAE on Fashion-MNIST: minutes) and between data
// sets, so each remaining run is costed at the mean of finished runs of the
// same data set and method, else of the same method, else of all runs; the
// sum is scaled by elapsed wall time over summed run time, which accounts
// for parallel workers and per-run overhead.
type etaEstimator struct {
	remaining map[taskClass]int
	byClass   map[taskClass]*meanDuration
	byMethod  map[string]*meanDuration
	all       meanDuration
}

type taskClass struct{ dataset, method string }

type meanDuration struct {
	sum time.Duration
	n   int
}

func (m *meanDuration) add(d time.Duration) { m.sum += d; m.n++ }

func (m *meanDuration) mean() (time.Duration, bool) {
	if m == nil || m.n == 0 {
		return 0, false
	}
	return m.sum / time.Duration(m.n), true
}

func newETAEstimator(todo []plan.Task) *etaEstimator {
	e := &etaEstimator{
		remaining: map[taskClass]int{},
		byClass:   map[taskClass]*meanDuration{},
		byMethod:  map[string]*meanDuration{},
	}
	for _, t := range todo {
		e.remaining[taskClass{t.Key.Dataset, t.Method}]++
	}
	return e
}

// finished records that t took d (its own run time).
func (e *etaEstimator) finished(t plan.Task, d time.Duration) {
	c := taskClass{t.Key.Dataset, t.Method}
	e.remaining[c]--
	if e.byClass[c] == nil {
		e.byClass[c] = &meanDuration{}
	}
	e.byClass[c].add(d)
	if e.byMethod[t.Method] == nil {
		e.byMethod[t.Method] = &meanDuration{}
	}
	e.byMethod[t.Method].add(d)
	e.all.add(d)
}

// left returns the estimated wall time left after elapsed; false before any
// run has finished.
func (e *etaEstimator) left(elapsed time.Duration) (time.Duration, bool) {
	if e.all.n == 0 || e.all.sum <= 0 {
		return 0, false
	}
	var work time.Duration
	for c, n := range e.remaining {
		if n <= 0 {
			continue
		}
		d, ok := e.byClass[c].mean()
		if !ok {
			if d, ok = e.byMethod[c.method].mean(); !ok {
				d, _ = e.all.mean()
			}
		}
		work += time.Duration(n) * d
	}
	return time.Duration(float64(work) * float64(elapsed) / float64(e.all.sum)), true
}

// firstOfEachDatasetFirst moves the first experiment of each data set to the
// front, keeping the order otherwise, so that the ETA has seen the cost of
// every data set after a few runs instead of after the whole first data set
// (Fashion-MNIST's deep models cost ~5× MNIST's). Results do not depend on
// the order.
func firstOfEachDatasetFirst(groups [][]plan.Task) [][]plan.Task {
	seen := map[string]bool{}
	var front, rest [][]plan.Task
	for _, g := range groups {
		if ds := g[0].Key.Dataset; !seen[ds] {
			seen[ds] = true
			front = append(front, g)
			continue
		}
		rest = append(rest, g)
	}
	return append(front, rest...)
}
