package summary

import (
	"math"
	"testing"

	"github.com/ncae-repro/ncae/experiments/store"
)

func TestTable1(t *testing.T) {
	row := func(ds, m string, rho float64, normal int, auc float64, status store.Status) store.Row {
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

// TestVersusTests checks the paired tests of Versus: six wins out of six
// pairs give the exact p = 2/2⁶, Holm-corrected over the two methods of
// the same data set and ρ; a method with every difference zero has no p.
func TestVersusTests(t *testing.T) {
	var rows []store.Row
	add := func(m string, normal int, auc float64) {
		rows = append(rows, store.Row{Dataset: "mnist", Method: m, Rho: 0.1, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
			ConfigHash: "h-" + m, AUC: auc, Status: store.OK})
	}
	for c := range 6 {
		add("cae", c, 0.5+0.01*float64(c))
		add("ncae", c, 0.6+0.02*float64(c)) // always better, by 0.1 + 0.01c
		add("kde", c, 0.5+0.01*float64(c))  // equal everywhere
	}
	cells := Versus(rows, "cae")
	if len(cells) != 2 {
		t.Fatalf("cells %+v", cells)
	}
	byMethod := map[string]VersusCell{}
	for _, c := range cells {
		byMethod[c.Method] = c
	}
	n := byMethod["ncae"]
	if !n.Exact || math.Abs(n.P-2.0/64) > 1e-15 || math.Abs(n.PHolm-2.0/64) > 1e-15 || math.Abs(n.Shift-0.125) > 1e-12 {
		t.Errorf("ncae: %+v; want exact p = holm p = 1/32 (kde has no test), shift 0.125", n)
	}
	if k := byMethod["kde"]; !math.IsNaN(k.P) || !math.IsNaN(k.PHolm) || k.Shift != 0 {
		t.Errorf("kde: %+v; want no p-value", k)
	}
}

// TestVersusPairsByConfiguration: with the baseline under two
// configurations, a method gets one comparison with each, never the first
// recorded alone.
func TestVersusPairsByConfiguration(t *testing.T) {
	var rows []store.Row
	add := func(m, hash string, normal int, auc float64) {
		rows = append(rows, store.Row{Dataset: "mnist", Method: m, Rho: 0.1, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
			ConfigHash: hash, AUC: auc, Status: store.OK})
	}
	for c := range 3 {
		add("cae", "old", c, 0.5)
		add("cae", "new", c, 0.7)
		add("ncae", "n1", c, 0.6)
	}
	cells := Versus(rows, "cae")
	if len(cells) != 2 || cells[0].BaselineHash != "new" || cells[1].BaselineHash != "old" {
		t.Fatalf("cells %+v; want one per CAE configuration", cells)
	}
	if math.Abs(cells[0].Delta+0.1) > 1e-12 || math.Abs(cells[1].Delta-0.1) > 1e-12 {
		t.Errorf("deltas %v and %v, want −0.1 against new and +0.1 against old", cells[0].Delta, cells[1].Delta)
	}
}

// TestByClass: one cell per normal class, the anomaly classes (and
// replicates) of a class averaged together, sorted like Table1 then by
// class.
func TestByClass(t *testing.T) {
	row := func(normal, anomaly int, auc float64, status store.Status) store.Row {
		return store.Row{Dataset: "mnist", Method: "kde", Rho: 0.1, NormalClass: normal, AnomalyClass: anomaly,
			ConfigHash: "h", AUC: auc, Status: status}
	}
	rows := []store.Row{
		row(2, 3, 0.9, store.OK), row(2, 4, 0.7, store.OK), row(2, 5, math.NaN(), store.Failed),
		row(0, 1, 0.6, store.OK),
	}
	cells := ByClass(rows)
	if len(cells) != 2 || cells[0].NormalClass != 0 || cells[1].NormalClass != 2 {
		t.Fatalf("cells %+v, want classes 0 then 2", cells)
	}
	if c := cells[1]; c.N != 2 || c.NotOK != 1 || math.Abs(c.Mean-0.8) > 1e-12 || math.Abs(c.Std-math.Sqrt(0.02)) > 1e-12 {
		t.Errorf("class 2: %+v, want n = 2, 1 not ok, mean 0.8, std √0.02", c)
	}
	if c := cells[0]; c.N != 1 || c.Mean != 0.6 || !math.IsNaN(c.Std) {
		t.Errorf("class 0: %+v", c)
	}
}
