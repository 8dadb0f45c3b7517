package report

import (
	"testing"

	"github.com/ncae-repro/ncae/experiments/summary"
)

func TestPaperLayout(t *testing.T) {
	tau := map[string]string{"h1": "0.1", "h2": "0.05"}
	byTau := Namer{
		Label: func(method, hash string) string {
			if method == "ncae" {
				return method + ", tau = " + tau[hash]
			}
			return method
		},
		Value: func(method, hash string) string { return tau[hash] },
	}
	cell := func(ds, method, hash string, rho float64, n int, mean float64) summary.Cell {
		return summary.Cell{Dataset: ds, Method: method, ConfigHash: hash, Rho: rho, N: n, Mean: mean}
	}
	tests := []struct {
		name  string
		cells []summary.Cell
		names Namer
		want  string
	}{{
		name:  "counts, failures and a data set without an ok run",
		cells: summary.Table1(rows()),
		want: `**MNIST** (AUC %, ours / the paper's (Δ); runs per cell: n = 1 unless given)

| method | ρ = 0.1 | ρ = 0.2 |
|---|---|---|
| iforest | 85.0 / 82.3 (+2.7), n = 2 | 70.0 / 78.7 (-8.7) |
| ncae | 95.0 / 92.6 (+2.4), 1 not ok |  |

**Fashion-MNIST** (AUC %, ours / the paper's (Δ))

| method | ρ = 0.1 |
|---|---|
| kde | —, 1 not ok |

`,
	}, {
		name: "a method under two configurations, ordered by the swept value; a variant without paper values",
		cells: []summary.Cell{ // as summary.Table1 sorts them
			cell("mnist", "ncae", "h1", 0.2, 5, 0.85),
			cell("mnist", "ncae", "h2", 0.2, 5, 0.86),
			cell("mnist", "ncae-noadv-euclid", "h3", 0, 5, 0.90),
			cell("fmnist", "ncae", "h1", 0.2, 5, 0.80),
		},
		names: byTau,
		want: `**MNIST** (AUC %, ours / the paper's (Δ); runs per cell: n = 5 unless given)

| method | ρ = 0 | ρ = 0.2 |
|---|---|---|
| ncae, tau = 0.05 |  | 86.0 / 89.8 (-3.8) |
| ncae, tau = 0.1 |  | 85.0 / 89.8 (-4.8) |
| ncae-noadv-euclid | 90.0 |  |

**Fashion-MNIST** (AUC %, ours / the paper's (Δ); runs per cell: n = 5 unless given)

| method | ρ = 0.2 |
|---|---|
| ncae, tau = 0.1 | 80.0 / 88.9 (-8.9) |

`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(PaperLayout(tt.cells, tt.names, false)); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestUsualCount(t *testing.T) {
	tests := []struct {
		counts map[int]int
		want   int
	}{
		{nil, 0},
		{map[int]int{90: 28, 35: 1, 34: 1}, 90},
		{map[int]int{4: 2, 5: 2}, 5}, // a tie goes to the larger count
	}
	for _, tt := range tests {
		if got := usualCount(tt.counts); got != tt.want {
			t.Errorf("usualCount(%v) = %d, want %d", tt.counts, got, tt.want)
		}
	}
}
