package report

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
)

func rows() []store.Row {
	var out []store.Row
	add := func(ds, method string, rho float64, normal int, auc float64, status store.Status) {
		backend := "cpu"
		if method == "ncae" {
			backend = "go"
		}
		// Average precision: a run recorded before the column has none.
		aupr := auc / 2
		if normal == 1 && method == "iforest" {
			aupr = math.NaN()
		}
		out = append(out, store.Row{Dataset: ds, Method: method, Rho: rho, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
			ConfigHash: "h-" + method, AUC: auc, AUPR: aupr, Status: status, Backend: backend, GitCommit: "abc123",
			TrainSeconds: 900, ScoreSeconds: 90, FinishedAt: fmt.Sprintf("2026-11-29T05:%02d:00Z", 10+len(out))})
	}
	add("mnist", "iforest", 0.1, 0, 0.80, store.OK)
	add("mnist", "iforest", 0.1, 1, 0.90, store.OK)
	add("mnist", "iforest", 0.2, 0, 0.70, store.OK)
	add("mnist", "ncae", 0.1, 0, math.NaN(), store.Diverged)
	add("mnist", "ncae", 0.1, 1, 0.95, store.OK)
	add("fmnist", "kde", 0.1, 0, math.NaN(), store.Failed)
	return out
}

func TestTable1CSV(t *testing.T) {
	files, err := Write(rows(), nil, t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// F-MNIST has no successful run: no plot for it; no CAE, no mining
	// diagnostics: no versus or mining files.
	if len(files) != 4 {
		t.Fatalf("wrote %v", files)
	}
	byName := map[string]string{}
	for _, f := range files {
		byName[filepath.Base(f)] = f
	}
	got, err := os.ReadFile(byName["table1.csv"])
	if err != nil {
		t.Fatal(err)
	}
	want := `dataset,method,rho,config_hash,n,not_ok,auc_mean,auc_std,paper_auc_mean,paper_auc_std,delta,aupr_mean,n_aupr,paper_method
mnist,iforest,0.1,h-iforest,2,0,85.00,7.07,82.3,9.5,2.70,40.00,1,iforest
mnist,iforest,0.2,h-iforest,1,0,70.00,,78.7,10.5,-8.70,35.00,1,iforest
mnist,ncae,0.1,h-ncae,1,1,95.00,,92.6,5.7,2.40,47.50,1,ncae
fmnist,kde,0.1,h-kde,0,1,,,81.8,11.2,,,0,kde
`
	if string(got) != want {
		t.Errorf("table1.csv:\n%s\nwant:\n%s", got, want)
	}
	byClass, _ := os.ReadFile(byName["table1_by_class.csv"])
	if !strings.Contains(string(byClass), "mnist,iforest,0.1,h-iforest,1,1,0,90.00,\n") {
		t.Errorf("table1_by_class.csv lacks class 1 of iforest:\n%s", byClass)
	}
	md, _ := os.ReadFile(byName["table1.md"])
	if !strings.Contains(string(md), "| mnist | iforest | 0.1 | h-iforest | 2 | 85.0 ± 7.1 | 82.3 ± 9.5 | +2.7 | 0 |") {
		t.Errorf("table1.md:\n%s", md)
	}
	for _, want := range []string{"Provenance of these 6 runs", "- code (git commit): abc123 (6 runs)",
		"- backend: cpu: iforest, kde; go: ncae", "- finished: 2026-11-29T05:10:00Z to 2026-11-29T05:15:00Z",
		"training 1.50 h, scoring 0.15 h"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("table1.md lacks %q:\n%s", want, md)
		}
	}
	img, err := os.ReadFile(byName["table1_mnist.png"])
	if err != nil {
		t.Fatalf("plot: %v (wrote %v)", err, files)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Errorf("table1_mnist.png is not a PNG: %v", err)
	}
}

// TestWriteDeepModels: with CAE and NCAE runs, Write adds the paired
// comparison and the mining outputs; a later report over runs without them
// removes those files instead of leaving stale ones beside a new table1.md.
func TestWriteDeepModels(t *testing.T) {
	results, plots := t.TempDir(), t.TempDir()
	deep := append(rows(), miningRows()...)
	files, err := Write(deep, sweepsFor(), results, plots)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		names[filepath.Base(f)] = true
	}
	for _, want := range []string{"versus_cae.csv", "mining.csv", "mining_fmnist.png", "table1_fmnist.png"} {
		if !names[want] {
			t.Errorf("Write did not write %s (wrote %v)", want, files)
		}
	}
	md, _ := os.ReadFile(filepath.Join(results, "table1.md"))
	for _, want := range []string{"against cae", "- `h2`: ncae, tau = 0.05\n", "- `h1`: ncae (h1)\n"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("table1.md lacks %q:\n%s", want, md)
		}
	}
	if _, err := Write(rows(), nil, results, plots); err != nil {
		t.Fatal(err)
	}
	for _, stale := range []string{filepath.Join(results, "versus_cae.csv"), filepath.Join(results, "mining.csv"), filepath.Join(plots, "mining_fmnist.png")} {
		if _, err := os.Stat(stale); err == nil {
			t.Errorf("%s left behind by a report whose runs no longer produce it", stale)
		}
	}
}

// sweepsFor records that miningRows' configuration h2 is a sweep's τ = 0.05.
func sweepsFor() []store.SweepEntry {
	return []store.SweepEntry{{Param: "tau", Value: "0.05", Method: "ncae", ConfigHash: "h2", Rho: 0.2}}
}

// TestVariantsBesideThePapersMethod: a named variant of a paper method is
// compared with that method's column and says so; an ablation and a
// method the paper lacks get no paper value.
func TestVariantsBesideThePapersMethod(t *testing.T) {
	cells := []summary.Cell{
		{Dataset: "mnist", Method: "ncae-ganlr", ConfigHash: "h1", Rho: 0.2, N: 10, Mean: 0.885},
		{Dataset: "mnist", Method: "ncae-noadv", ConfigHash: "h2", Rho: 0.2, N: 10, Mean: 0.80},
		{Dataset: "mnist", Method: "external:knn", ConfigHash: "h3", Rho: 0.2, N: 10, Mean: 0.75},
	}
	csv := string(Table1CSV(cells))
	for _, want := range []string{
		"mnist,ncae-ganlr,0.2,h1,10,0,88.50,0.00,89.8,7.4,-1.30,0.00,0,ncae\n",
		"mnist,ncae-noadv,0.2,h2,10,0,80.00,0.00,,,,0.00,0,\n",
		"mnist,external:knn,0.2,h3,10,0,75.00,0.00,,,,0.00,0,\n",
	} {
		if !strings.Contains(csv, want) {
			t.Errorf("table1.csv lacks %q:\n%s", want, csv)
		}
	}
	md := string(Markdown(cells))
	for _, want := range []string{
		"| mnist | ncae-ganlr | 0.2 | h1 | 10 | 88.5 ± 0.0 | 89.8 ± 7.4 (ncae) | -1.3 | 0 |",
		"| mnist | ncae-noadv | 0.2 | h2 | 10 | 80.0 ± 0.0 | — | — | 0 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	layout := string(PaperLayout(cells, Namer{}, true))
	for _, want := range []string{
		"| ncae-ganlr (paper: ncae) | 88.5 / 89.8 (-1.3) |",
		"| ncae-noadv | 80.0 |",
		"| external:knn | 75.0 |",
		"| ncae (no runs here) | — / 89.8 |", // the paper's own row stays
	} {
		if !strings.Contains(layout, want) {
			t.Errorf("paper layout lacks %q:\n%s", want, layout)
		}
	}
}

// TestProvenanceOfSupersededRows: a row from a modified tree that a rerun
// replaced is not counted as provenance, but said to be there.
func TestProvenanceOfSupersededRows(t *testing.T) {
	rs := rows()[:3]
	for i := range rs {
		rs[i].GitCommit = "abc123-dirty"
	}
	again := rs[0]
	again.GitCommit, again.FinishedAt = "def456", "2026-12-06T10:00:00Z"
	md := string(Provenance(append(rs, again)))
	for _, want := range []string{"Provenance of these 3 runs", "- code (git commit): abc123-dirty (2 runs), def456 (1 runs)",
		"- finished: 2026-11-29T05:11:00Z to 2026-12-06T10:00:00Z", "- superseded: 1 rows made from a tree with uncommitted changes"} {
		if !strings.Contains(md, want) {
			t.Errorf("provenance lacks %q:\n%s", want, md)
		}
	}
	// A dirty row that another dirty row follows was not rerun from a
	// committed tree: nothing is said to be superseded.
	again.GitCommit = "def456-dirty"
	if md := string(Provenance(append(rs, again))); strings.Contains(md, "superseded") {
		t.Errorf("dirty over dirty counted as superseded:\n%s", md)
	}
}
