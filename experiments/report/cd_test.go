package report

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/stats"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
)

// rankRows: on six experiments, a beats b beats c beats d, except that c
// and d swap places on one; e ran only three experiments and fails one of
// them, f only ρ = 0.2.
func rankRows() []store.Row {
	var rows []store.Row
	add := func(m string, normal int, rho, auc float64, status store.Status) {
		rows = append(rows, store.Row{Dataset: "mnist", Method: m, Rho: rho, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
			ConfigHash: "h-" + m, AUC: auc, Status: status})
	}
	for c := range 6 {
		add("a", c, 0.1, 0.9, store.OK)
		add("b", c, 0.1, 0.8, store.OK)
		cAUC, dAUC := 0.7, 0.6
		if c == 5 {
			cAUC, dAUC = dAUC, cAUC
		}
		add("c", c, 0.1, cAUC, store.OK)
		add("d", c, 0.1, dAUC, store.OK)
		add("f", c, 0.2, 0.5, store.OK)
	}
	return rows
}

func TestRanks(t *testing.T) {
	fams := summary.Ranks(rankRows())
	if len(fams) != 1 {
		t.Fatalf("families %+v; want one (ρ = 0.2 has a single method)", fams)
	}
	f := fams[0]
	want := []float64{1, 2, 3 + 1.0/6, 4 - 1.0/6}
	for i, w := range want {
		if d := f.Friedman.MeanRanks[i] - w; d*d > 1e-24 {
			t.Errorf("mean ranks %v, want %v", f.Friedman.MeanRanks, want)
		}
	}
	if f.Friedman.N != 6 || f.Methods[0] != "a" || f.CD != stats.NemenyiCD(4, 6, 0.05) {
		t.Errorf("family %+v", f)
	}
	csv := string(RanksCSV(fams))
	if !strings.Contains(csv, "mnist,0.1,6,4,") || !strings.Contains(csv, ",a,h-a,1.000\n") || strings.Count(csv, "\n") != 5 {
		t.Errorf("ranks.csv:\n%s", csv)
	}
	// CD for 4 methods on 6 experiments is 1.91: a–b (1 apart) and b–c–d
	// (1.83 apart) are groups; a–c (2.17) is not.
	if got := cliques(f, rankOrder(f)); len(got) != 2 || got[0] != [2]int{0, 1} || got[1] != [2]int{1, 3} {
		t.Errorf("cliques %v, want [[0 1] [1 3]] (CD %.2f)", got, f.CD)
	}
	if md := string(RanksMarkdown(fams, MethodLabel(rankRows()))); !strings.Contains(md, "| mnist | 0.1 | 6 | ") || !strings.Contains(md, "a (1.00), b (2.00), c (3.17), d (3.83)") {
		t.Errorf("Markdown:\n%s", md)
	}
	b, err := CDPlot(f, MethodLabel(rankRows()))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() < 500 {
		t.Fatalf("CD diagram: %v", err)
	}
}

func TestRanksLeavesOutPartialEntries(t *testing.T) {
	rows := rankRows()
	// e ran three of the six experiments: it is left out, the family keeps all six.
	for c := range 3 {
		rows = append(rows, store.Row{Dataset: "mnist", Method: "e", Rho: 0.1, NormalClass: c, AnomalyClass: c + 1, ConfigHash: "h-e", AUC: 0.95, Status: store.OK})
	}
	f := summary.Ranks(rows)[0]
	if f.Friedman.N != 6 || len(f.Methods) != 4 || len(f.Partial) != 1 || f.Partial[0] != "e/h-e" {
		t.Errorf("family %+v; want 6 experiments of a–d, e left out", f)
	}
	// An extra seed of a alone is not the family's; a diverged run of b
	// leaves its experiment out, not b.
	rows = append(rows, store.Row{Dataset: "mnist", Method: "a", Rho: 0.1, NormalClass: 0, AnomalyClass: 1, Seed: 9, ConfigHash: "h-a", AUC: 0.9, Status: store.OK})
	for i, r := range rows {
		if r.Method == "b" && r.NormalClass == 5 && r.Rho == 0.1 {
			rows[i].Status, rows[i].AUC = store.Diverged, math.NaN()
		}
	}
	f = summary.Ranks(rows)[0]
	if f.Friedman.N != 5 || len(f.Methods) != 4 {
		t.Errorf("family %+v; want a–d on 5 experiments (the diverged one out, a's extra seed ignored)", f)
	}
	md := string(RanksMarkdown(summary.Ranks(rows), MethodLabel(rows)))
	if !strings.Contains(md, "left out, fewer runs: e/h-e") {
		t.Errorf("Markdown does not name the left-out entry:\n%s", md)
	}
}
