package summary

import (
	"math"
	"testing"

	"github.com/ncae-repro/ncae/experiments/store"
)

func TestTable1(t *testing.T) {
	row := func(ds, m string, rho float64, normal int, auc float64, status string) store.Row {
		return store.Row{Dataset: ds, Method: m, Rho: rho, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
			ConfigHash: "h", AUC: auc, Status: status}
	}
	rows := []store.Row{
		row("mnist", "kde", 0.1, 0, 0.80, store.OK),
		row("mnist", "kde", 0.1, 1, 0.90, store.OK),
		row("mnist", "kde", 0.1, 2, math.NaN(), store.Failed), // retried below
		row("mnist", "kde", 0.1, 2, 0.70, store.OK),
		row("mnist", "kde", 0.1, 3, math.NaN(), store.Diverged),
		row("fmnist", "kde", 0.1, 0, 0.95, store.OK),
	}
	smoke := row("mnist", "kde", 0.1, 0, 0.5, store.OK)
	smoke.ConfigHash = "other"
	rows = append(rows, smoke)
	cells := Table1(rows)
	if len(cells) != 3 || cells[0].Dataset != "mnist" || cells[1].ConfigHash != "other" || cells[1].N != 1 {
		t.Fatalf("cells %+v", cells)
	}
	c := cells[0]
	if c.N != 3 || c.NotOK != 1 || math.Abs(c.Mean-0.8) > 1e-12 || math.Abs(c.Std-0.1) > 1e-12 {
		t.Errorf("mnist cell %+v: want n=3 (the retried run counted once), 1 not ok, mean 0.8, std 0.1", c)
	}
	if f := cells[2]; f.N != 1 || f.Mean != 0.95 || !math.IsNaN(f.Std) {
		t.Errorf("fmnist cell %+v", f)
	}
}
