package model

import (
	"slices"
	"testing"
)

// TestScoresDoNotDependOnWorkers trains CAE and NCAE (and CAE on the
// Fashion-MNIST networks) on the cpu backend with 1, 2 and 3 workers per
// operation: the scores are bit-identical, so the share of the cores a
// sweep gives each run (runner.WorkersPerRun)
// changes no result.
func TestScoresDoNotDependOnWorkers(t *testing.T) {
	train, _ := synthetic(96, 8, 1)
	test, _ := synthetic(40, 4, 2)
	for _, tc := range []struct {
		dataset string
		ncae    bool
	}{{"mnist", false}, {"mnist", true}, {"fmnist", false}} {
		ncae := tc.ncae
		var first []float64
		for _, spec := range []string{"cpu:workers=1", "cpu:workers=2", "cpu:workers=3"} {
			d := newSmall(t, ncae, smallAE(), Env{Dataset: tc.dataset, Seed: 3, Backend: spec})
			scores := fitScore(t, d, train, test)
			d.Close()
			if first == nil {
				first = scores
			} else if !slices.Equal(scores, first) {
				t.Errorf("%s, ncae %v: scores on %s differ from those with 1 worker", tc.dataset, ncae, spec)
			}
		}
	}
}
