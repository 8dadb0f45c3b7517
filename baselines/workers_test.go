package baselines_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ncae-repro/ncae/baselines/iforest"
	"github.com/ncae-repro/ncae/baselines/kde"
	"github.com/ncae-repro/ncae/baselines/ocsvm"
	"github.com/ncae-repro/ncae/protocol"
)

// images returns n random 4×4 images, anomalies (every fifth when
// withAnomalies) brighter.
func images(n int, seed uint64, withAnomalies bool) protocol.Labelled {
	r := protocol.NewRand(seed, "workers-test")
	l := protocol.Labelled{Samples: protocol.Samples{N: n, Rows: 4, Cols: 4}}
	for i := range n {
		anomaly := withAnomalies && i%5 == 4
		base := 60
		if anomaly {
			base = 150
		}
		for range 16 {
			l.Pixels = append(l.Pixels, byte(base+r.IntN(80)))
		}
		l.IsAnomaly = append(l.IsAnomaly, anomaly)
	}
	return l
}

// TestScoresDoNotDependOnWorkers: every shallow baseline scores the same,
// bit for bit, whatever number of goroutines it is told to use
// (protocol.Parallel), so that the runner's share of the cores changes no
// result.
func TestScoresDoNotDependOnWorkers(t *testing.T) {
	ctx := context.Background()
	train, test := images(300, 1, false), images(120, 2, true)
	val, anomalies := images(60, 3, true), images(10, 4, false)
	for i := range anomalies.Pixels {
		anomalies.Pixels[i] += 100
	}
	type parallel interface {
		protocol.Detector
		protocol.Parallel
	}
	tests := []struct {
		name string
		new  func() parallel
		fit  func(parallel) error
	}{
		{"iforest", func() parallel { return iforest.New(*iforest.DefaultParams(), 7) },
			func(d parallel) error { return d.Fit(ctx, train.Samples) }},
		{"kde", func() parallel { return kde.New(*kde.DefaultParams()) },
			func(d parallel) error { return d.Fit(ctx, train.Samples) }},
		{"ocsvm", func() parallel { return ocsvm.New(*ocsvm.DefaultParams()) },
			func(d parallel) error { return d.(*ocsvm.OCSVM).FitValidated(ctx, train.Samples, val) }},
		{"ssad", func() parallel { return ocsvm.NewSSAD(*ocsvm.DefaultSSADParams()) },
			func(d parallel) error {
				return d.(*ocsvm.SSAD).FitLabelledValidated(ctx, train.Samples, anomalies.Samples, val)
			}},
	}
	for _, tt := range tests {
		var first []float64
		for _, workers := range []int{1, 2, 3, 0} {
			d := tt.new()
			d.SetWorkers(workers)
			if err := tt.fit(d); err != nil {
				t.Fatalf("%s, %d workers: %v", tt.name, workers, err)
			}
			scores, err := d.Score(ctx, test.Samples)
			if err != nil {
				t.Fatalf("%s, %d workers: %v", tt.name, workers, err)
			}
			if first == nil {
				first = scores
			} else if !slices.Equal(scores, first) {
				t.Errorf("%s: scores with %d workers differ from those with 1", tt.name, workers)
			}
		}
	}
}
