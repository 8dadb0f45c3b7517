package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
)

func miningRows() []store.Row {
	row := func(method, hash string, rho float64, normal int, status store.Status, prec, rec string) store.Row {
		return store.Row{Dataset: "fmnist", Method: method, Rho: rho, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
			ConfigHash: hash, AUC: 0.7, Status: status, Info: map[string]string{"mining_precision": prec, "mining_recall": rec}}
	}
	return []store.Row{
		row("ncae", "h1", 0.2, 0, store.OK, "0.100 0.300", "0.050 0.150"),
		row("ncae", "h1", 0.2, 2, store.OK, "0.300 nan", "0.150 nan"),
		row("ncae", "h1", 0.2, 4, store.Diverged, "0.900 0.900", "0.900 0.900"), // not averaged
		row("ncae", "h1", 0, 0, store.OK, "0.000 0.000", "nan nan"),             // ρ = 0: no contamination to mine
		row("ncae", "h2", 0.2, 0, store.OK, "0.500 0.600", "0.250 0.300"),
		{Dataset: "fmnist", Method: "cae", Rho: 0.2, AnomalyClass: 1, ConfigHash: "hc", AUC: 0.7, Status: store.OK},
	}
}

func TestMiningCSV(t *testing.T) {
	dir := t.TempDir()
	files, err := WriteMining(miningRows(), "mining", dir, dir, MethodLabel(miningRows()))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("wrote %v, want mining.csv and one plot", files)
	}
	got, err := os.ReadFile(filepath.Join(dir, "mining.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := `dataset,method,config_hash,rho,epoch,n,precision_mean,precision_std,recall_mean,chance_precision
fmnist,ncae,h1,0.2,1,2,0.2000,0.1414,0.1000,0.2
fmnist,ncae,h1,0.2,2,1,0.3000,,0.1500,0.2
fmnist,ncae,h2,0.2,1,1,0.5000,,0.2500,0.2
fmnist,ncae,h2,0.2,2,1,0.6000,,0.3000,0.2
`
	if string(got) != want {
		t.Errorf("mining.csv:\n%s\nwant:\n%s", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, "mining_fmnist.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("mining_fmnist.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("plot is %v", b)
	}
}

func TestMiningWritesNothingWithoutDiagnostics(t *testing.T) {
	dir := t.TempDir()
	files, err := WriteMining(rows(), "mining", dir, dir, MethodLabel(rows()))
	if err != nil || len(files) != 0 {
		t.Errorf("WriteMining on runs without diagnostics = %v, %v; want nothing", files, err)
	}
}

func TestMethodLabel(t *testing.T) {
	names := MethodLabel(miningRows())
	for _, tc := range []struct{ method, hash, want string }{
		{"ncae", "h1", "ncae (h1)"},
		{"cae", "hc", "cae"},
	} {
		if got := names.Label(tc.method, tc.hash); got != tc.want {
			t.Errorf("label(%s, %s) = %q, want %q", tc.method, tc.hash, got, tc.want)
		}
	}
}

func TestSweepNamer(t *testing.T) {
	sweeps := []store.SweepEntry{
		{Param: "tau", Value: "0.1", Method: "ncae", ConfigHash: "a", Rho: 0.2},
		{Param: "tau", Value: "0.05", Method: "ncae", ConfigHash: "b", Rho: 0.2},
		{Param: "tau", Value: "0.05", Method: "ncae", ConfigHash: "b", Rho: 0.1},
		{Param: "tau", Value: "0.3", Method: "ncae", ConfigHash: "c", Rho: 0.2},
		{Param: "tau", Value: "0.3", Method: "ncae", ConfigHash: "d", Rho: 0.2}, // 0.3 again, another preset
		{Param: "rho", Value: "0.1", Method: "ncae", ConfigHash: "r", Rho: 0.1},
		{Param: "rho", Value: "0.2", Method: "ncae", ConfigHash: "r", Rho: 0.2},
	}
	tau := sweepNamer(sweeps, "tau")
	for _, tc := range []struct{ hash, want string }{
		{"a", "ncae, tau = 0.1"},
		{"b", "ncae, tau = 0.05"},
		{"c", "ncae, tau = 0.3 (c)"},
		{"d", "ncae, tau = 0.3 (d)"},
		{"x", "ncae (x)"},
	} {
		if got := tau.Label("ncae", tc.hash); got != tc.want {
			t.Errorf("tau label of %s = %q, want %q", tc.hash, got, tc.want)
		}
	}
	if tau.compare("ncae", "b", "ncae", "a") >= 0 || tau.compare("ncae", "a", "ncae", "c") >= 0 {
		t.Error("tau series not ordered by value (0.05 < 0.1 < 0.3)")
	}
	if got := sweepNamer(sweeps, "rho").Label("ncae", "r"); got != "ncae" {
		t.Errorf("rho sweep label = %q, want the method alone", got)
	}
}

func TestMiningPlotIsDeterministic(t *testing.T) {
	rows := miningRows()
	first, err := MiningPlot(summary.Mining(rows), "fmnist", MethodLabel(rows))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := MiningPlot(summary.Mining(rows), "fmnist", MethodLabel(rows))
		if err != nil || !bytes.Equal(first, again) {
			t.Fatalf("the same cells drew another PNG (err %v)", err)
		}
	}
	if _, err := MiningPlot(summary.Mining(rows), "mnist", MethodLabel(rows)); err == nil {
		t.Error("a plot for a data set without diagnostics")
	}
}
