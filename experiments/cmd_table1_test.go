package main

import (
	"math"
	"testing"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
)

func TestCompareReruns(t *testing.T) {
	cfg, err := config.Load(config.Layers{Preset: "smoke", Sets: []string{`grid.methods=["kde","iforest"]`, "grid.rhos=[0.1,0.2]"}}, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Table1(cfg)
	if len(p) < 4 {
		t.Fatalf("smoke plan has %d runs, the test needs 4", len(p))
	}
	row := func(i int, auc float64, commit string) store.Row {
		k := p[i].StoreKey()
		status := store.OK
		if math.IsNaN(auc) {
			status = store.Diverged
		}
		return store.Row{Dataset: k.Experiment.Dataset, NormalClass: k.Experiment.Normal, AnomalyClass: k.Experiment.Anomaly,
			Seed: k.Experiment.Seed, Rho: k.Experiment.Rho, Method: k.Method, ConfigHash: k.ConfigHash,
			AUC: auc, GitCommit: commit, Status: status}
	}
	index := func(rows ...store.Row) map[store.Key]store.Row { return store.NewIndex(rows).Finished() }
	tests := []struct {
		name          string
		before, after map[store.Key]store.Row
		want          string
	}{{
		name:   "identical, different, left, and a clean row not counted",
		before: index(row(0, 0.9, "a-dirty"), row(1, 0.8, "a-dirty"), row(2, 0.7, "a-dirty"), row(3, 0.6, "b")),
		after:  index(row(0, 0.9, "c"), row(1, 0.8125, "c"), row(2, 0.7, "a-dirty"), row(3, 0.6, "b")),
		want:   "2 dirty runs rerun: AUC identical in 1, different in 1 (largest |Δ| 1.2 points, " + p[1].StoreKey().String() + "); 1 still to rerun",
	}, {
		name:   "diverged both times",
		before: index(row(0, math.NaN(), "a-dirty")),
		after:  index(row(0, math.NaN(), "c")),
		want:   "1 dirty runs rerun: AUC identical in 1, different in 0",
	}, {
		name:   "diverged once, ok when run again, beside a larger AUC change",
		before: index(row(0, math.NaN(), "a-dirty"), row(1, 0.8, "a-dirty"), row(2, 0.7, "a-dirty")),
		after:  index(row(0, 0.9, "c"), row(1, 0.75, "c"), row(2, 0.71, "c")),
		want:   "3 dirty runs rerun: AUC identical in 0, different in 2 (largest |Δ| 5 points, " + p[1].StoreKey().String() + "), status changed (ok ↔ diverged) in 1",
	}, {
		name: "nothing dirty",
		want: "0 dirty runs rerun: AUC identical in 0, different in 0",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compareReruns(p, tt.before, tt.after); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
