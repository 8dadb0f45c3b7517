package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
)

// numpyPython returns a python3 that imports NumPy, or skips (a failure
// under CI's NCAE_REQUIRE_SKLEARN=1).
func numpyPython(t *testing.T) string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import numpy").Run() == nil {
			return py
		}
	}
	if os.Getenv("NCAE_REQUIRE_SKLEARN") == "1" {
		t.Fatal("no python3 imports numpy (apt-get install python3-numpy)")
	}
	t.Skip("no python3 with numpy")
	return ""
}

// TestExternalTable1 runs the shipped k-NN detector and a broken one
// through table1: the k-NN rows are recorded like ours, the broken one as
// failed with its stderr, a rerun skips what is done and retries the
// failure, and shards merge into the unsharded table.
func TestExternalTable1(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	py := numpyPython(t)
	knn, _ := filepath.Abs("../detectors/knn.py")
	sets := []string{"--preset", "smoke",
		"--set", `external.knn.command=["` + py + `", "` + knn + `"]`,
		"--set", `external.broken.command=["sh", "-c", "echo 'ValueError: no luck' >&2; exit 2"]`}
	grid := append([]string{"--datasets", "mnist", "--normal-classes", "0,1"}, sets...)
	table1 := func(dir string, extra ...string) string {
		t.Helper()
		var errOut bytes.Buffer
		args := append(append([]string{"table1", "--results-dir", dir, "--plots-dir", t.TempDir()}, grid...), extra...)
		if code := runMain(context.Background(), args, &bytes.Buffer{}, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return errOut.String()
	}
	whole := t.TempDir()
	log := table1(whole, "--methods", "external:knn,external:broken")
	if !strings.Contains(log, "4 run, 0 already done, 2 failed") {
		t.Errorf("first run:\n%s", log)
	}
	rows, err := store.ReadFile(filepath.Join(whole, "runs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		switch r.Method {
		case "external:knn":
			if r.Status != store.OK || !(r.AUC > 0.6) || r.Info["k"] != "5" || r.NTest != 500 {
				t.Errorf("knn row %+v", r)
			}
		case "external:broken":
			if r.Status != store.Failed || !strings.Contains(r.Error, "(exit status 2): ValueError: no luck") {
				t.Errorf("broken row: status %s, error %q", r.Status, r.Error)
			}
		}
	}
	if log := table1(whole, "--methods", "external:knn,external:broken"); !strings.Contains(log, "2 run, 2 already done, 2 failed") {
		t.Errorf("rerun should skip the k-NN runs and retry the failed ones:\n%s", log)
	}
	a, b := t.TempDir(), t.TempDir()
	table1(a, "--methods", "external:knn", "--shard", "1/2")
	table1(b, "--methods", "external:knn", "--shard", "2/2")
	report := func(args ...string) string {
		var out bytes.Buffer
		if code := runMain(context.Background(), append(append([]string{"report", "--plots-dir", t.TempDir()}, sets...), args...), &out, &bytes.Buffer{}); code != 0 {
			t.Fatalf("report %v: exit %d", args, code)
		}
		return out.String()
	}
	merged := report("--results-dir", a, filepath.Join(b, "runs.csv"))
	if !strings.Contains(merged, "| mnist | external:knn | 0.1 |") {
		t.Errorf("Table 1 lacks the external row:\n%s", merged)
	}
	report("--results-dir", whole)
	wholeCSV, _ := os.ReadFile(filepath.Join(whole, "table1.csv"))
	mergedCSV, _ := os.ReadFile(filepath.Join(a, "table1.csv"))
	if knnLines(string(mergedCSV)) == "" || knnLines(string(mergedCSV)) != knnLines(string(wholeCSV)) {
		t.Errorf("merged shards' k-NN cells differ from the unsharded run:\n%s\nvs\n%s", mergedCSV, wholeCSV)
	}
}

func knnLines(csv string) string {
	var keep []string
	for _, l := range strings.Split(csv, "\n") {
		if strings.Contains(l, "external:knn") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
