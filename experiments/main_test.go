package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
	"github.com/ncae-repro/ncae/protocol/roc"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"no command", nil, 2, "", "commands:"},
		{"help", []string{"-h"}, 0, "", "table1"},
		{"unknown command", []string{"train"}, 2, "", `unknown command "train"`},
		{"command help", []string{"run", "-h"}, 0, "", "--method"},
		{"unknown flag", []string{"table1", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{"bad rho list", []string{"table1", "--rhos", "0,x"}, 2, "", `--rhos: "x" is not a number`},
		{"rho out of range", []string{"table1", "--rhos", "0,1.2"}, 2, "", "grid.rhos[1] = 1.2"},
		{"unknown preset", []string{"table1", "--preset", "huge"}, 2, "", `unknown preset "huge"`},
		{"report without runs", []string{"report", "--results-dir", "/nonexistent-ncae"}, 1, "", "no recorded runs"},
		{"report versus unknown", []string{"report", "--versus", "svdd"}, 2, "", `--versus: unknown method "svdd"`},
		{"bad shard", []string{"table1", "--shard", "3/2"}, 2, "", "--shard \"3/2\""},
		{"sweep unknown param", []string{"sweep", "--param", "sigmaa", "--values", "1"}, 2, "", "ncae.sigmaa"},
		{"sweep needs values", []string{"sweep", "--param", "lr"}, 2, "", "give --values"},
		{"sweep bad value", []string{"sweep", "--param", "tau", "--values", "0.1,x"}, 2, "", `ncae.tau: "x": want a number`},
		{"sweep bad word", []string{"sweep", "--param", "ncae.mining_similarity", "--values", "cosine,manhattan"}, 2, "", `mining_similarity = "manhattan": must be "cosine" (the paper), "euclidean" or "reconstruction"`},
		{"bad reduction", []string{"table1", "--preset", "smoke", "--methods", "ncae", "--set", "ncae.ncr_reduction=median"}, 2, "", `ncr_reduction = "median": must be "mean" (per pixel) or "sum"`},
		{"sweep unknown key", []string{"sweep", "--param", "ncae.colour", "--values", "red"}, 2, "", "unknown key"},
		{"sweep odd value", []string{"sweep", "--param", "ncae.ncr_mode", "--values", "a b"}, 2, "", `"a b" is neither a number nor a word`},
		{"sweep out of range", []string{"sweep", "--param", "tau", "--values", "1.5"}, 2, "", "tau = 1.5"},
		{"sweep needs a param", []string{"sweep"}, 2, "", "--param is required"},
		{"sweep with methods", []string{"sweep", "--param", "tau", "--methods", "ncae,cae"}, 2, "", "a sweep runs one method"},
		{"sweep rho with rhos", []string{"sweep", "--param", "rho", "--values", "0.1", "--rhos", "0.2"}, 2, "", "give the ρ values with --values"},
		{"run needs a method", []string{"run", "--dataset", "mnist", "--normal", "0"}, 2, "", "--method is required"},
		{"run bad class", []string{"run", "--method", "kde", "--dataset", "mnist", "--normal", "12"}, 2, "", "--normal 12"},
		{"run scores under a file", []string{"run", "--method", "kde", "--dataset", "mnist", "--normal", "3", "--scores", "/dev/null/s.npy"}, 1, "", "--scores /dev/null/s.npy: mkdir /dev/null: not a directory"},
		{"run scores to a folder", []string{"run", "--method", "kde", "--dataset", "mnist", "--normal", "3", "--scores", os.TempDir()}, 2, "", "is a folder; give a file name"},
		{"run same classes", []string{"run", "--method", "kde", "--dataset", "mnist", "--normal", "3", "--anomaly", "3"}, 2, "", "--anomaly 3"},
		{"run unknown data set", []string{"run", "--method", "kde", "--dataset", "cifar", "--normal", "3"}, 2, "", `grid.datasets[0] = "cifar"`},
		{"run bad backend", []string{"run", "--method", "cae", "--dataset", "mnist", "--normal", "3", "--backend", "tpu"}, 2, "", "backend"},
		{"run bad model value", []string{"run", "--method", "ncae", "--dataset", "mnist", "--normal", "3", "--set", "ncae.tau=1.5"}, 2, "", "tau = 1.5"},
		{"run bad ncr mode", []string{"run", "--method", "ncae", "--dataset", "mnist", "--normal", "3", "--set", `ncae.ncr_mode="flip"`}, 2, "", "ncr_mode"},
		{"missing XLA plugin", []string{"table1", "--preset", "smoke", "--methods", "cae", "--backend", "xla:/nonexistent/plugin.so"}, 1, "", "fix: give the path of a PJRT plugin"},
		{"bench bad data set", []string{"bench", "--datasets", "cifar"}, 2, "", `unknown data set "cifar"`},
		{"dry run", []string{"table1", "--preset", "smoke", "--methods", "kde,cae", "--dry-run", "--results-dir", "/nonexistent/results"}, 0, "| cae | mnist | 0.1 | 1 | 0 | 0 | 0 | 1 | 0 | — |", ""},
		{"sweep dry run", []string{"sweep", "--preset", "smoke", "--param", "tau", "--values", "0,0.1", "--dry-run", "--results-dir", "/nonexistent/results"}, 0, "| ncae | fmnist | 0.2 | 2 | 0 | 0 | 0 | 2 | 0 | — |", ""},
		{"dry run estimate", []string{"table1", "--preset", "smoke", "--methods", "kde", "--dry-run", "--results-dir", "/nonexistent/results"}, 0, "runs to do (", ""},
		{"rerun dirty with allow dirty", []string{"table1", "--preset", "smoke", "--rerun-dirty", "--allow-dirty"}, 2, "", "cannot go with --allow-dirty"},
		{"bench bad backend", []string{"bench", "--backend", "cpu:kernel=sse"}, 2, "", "--backend: "},
		{"config show", []string{"config", "show", "--preset", "paper"}, 0, "900 experiments × 8 methods", ""},
		{"config bad set", []string{"config", "show", "--set", "grid.seeds=[-1]"}, 2, "", "grid.seeds[0] = -1"},
		{"methods", []string{"methods"}, 0, "ocsvm", ""},
		{"export needs a folder", []string{"export", "--dataset", "mnist", "--normal", "0"}, 2, "", "one folder to write into"},
		{"export bad rho", []string{"export", "--dataset", "mnist", "--normal", "0", "--rho", "1", "/tmp/x"}, 2, "", "--rho 1"},
		{"bad labelled ratio", []string{"run", "--method", "deepsad", "--dataset", "mnist", "--normal", "0", "--set", "protocol.labelled_anomalies=0.5"}, 2, "", "protocol.labelled_anomalies = 0.5: must be in [0, 0.5)"},
		{"labelled with single", []string{"run", "--method", "deepsad", "--dataset", "mnist", "--normal", "0", "--set", "protocol.contamination=single"}, 2, "", "class a would be both the labelled and the contaminating class of the methods that take labels"},
		{"export bad extra", []string{"export", "--dataset", "mnist", "--normal", "0", "--set", "protocol.extra_outliers=0.7", "/tmp/x"}, 2, "", "protocol.extra_outliers = 0.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runMain(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantOut)
			}
			if code == 2 && stdout.Len() > 0 {
				t.Errorf("usage error after printing to stdout: %q", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantErr)
			}
			// A mistake is one line, not a usage dump.
			if code == 2 && len(tt.args) > 0 && tt.args[0] != "train" && strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("usage error printed %d lines:\n%s", strings.Count(stderr.String(), "\n"), stderr.String())
			}
		})
	}
}

// TestTable1Smoke runs the shallow baselines on the smoke preset twice: the
// second run trains nothing and prints the same table.
func TestTable1Smoke(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	datasetstest.Load(t, datasets.FashionMNIST())
	dir, plots := t.TempDir(), t.TempDir()
	args := []string{"table1", "--preset", "smoke", "--methods", "iforest,kde,ocsvm", "--results-dir", dir, "--plots-dir", plots}
	var out1, err1, out2, err2 bytes.Buffer
	if code := runMain(context.Background(), args, &out1, &err1); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, err1.String())
	}
	if !strings.Contains(err1.String(), "6 run, 0 already done") {
		t.Errorf("first run should run 2 experiments × 3 methods:\n%s", err1.String())
	}
	if code := runMain(context.Background(), args, &out2, &err2); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, err2.String())
	}
	if !strings.Contains(err2.String(), "0 run, 6 already done") {
		t.Errorf("second run should skip everything:\n%s", err2.String())
	}
	if out1.String() != out2.String() || !strings.Contains(out1.String(), "| mnist | ocsvm | 0.1 |") {
		t.Errorf("tables differ or lack the ocsvm row:\n%s\n---\n%s", out1.String(), out2.String())
	}
	var rep, repErr bytes.Buffer
	if code := runMain(context.Background(), []string{"report", "--preset", "smoke", "--results-dir", dir, "--plots-dir", plots}, &rep, &bytes.Buffer{}); code != 0 || rep.String() != out1.String() {
		t.Errorf("report (exit %d) differs from table1's table:\n%s", code, rep.String())
	}
	// Another preset's settings match none of the runs: one line that says so.
	if code := runMain(context.Background(), []string{"report", "--preset", "quick", "--results-dir", dir, "--plots-dir", plots}, &bytes.Buffer{}, &repErr); code != 1 || !strings.Contains(repErr.String(), "none of the 6 recorded runs has this configuration") {
		t.Errorf("report of another preset: exit %d, %s", code, repErr.String())
	}
	for _, f := range []string{filepath.Join(dir, "table1.csv"), filepath.Join(dir, "table1_by_class.csv"), filepath.Join(dir, "table1.md"),
		filepath.Join(plots, "table1_mnist.png"), filepath.Join(plots, "table1_fmnist.png")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("report did not write %s: %v", f, err)
		}
	}
}

func TestRunPrintsJSON(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	var out, errOut bytes.Buffer
	args := []string{"run", "--preset", "smoke", "--method", "iforest", "--dataset", "mnist", "--normal", "3", "--rho", "0.2"}
	if code := runMain(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res runResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	// smoke: 300 normal training images, ⌊0.25·300⌋ = 75 anomalies, 500 test images.
	if res.Status != "ok" || res.AUC == nil || *res.AUC < 0.5 || res.AUPR == nil || !(*res.AUPR > 0.2 && *res.AUPR <= 1) || res.NTrain != 375 || res.NAnomaliesTrain != 75 || res.NTest != 500 {
		t.Errorf("result %+v", res)
	}
}

// TestRunWritesScores checks `run --scores`: the folder is created, and
// the file holds one float64 score per test image, in the order of export's
// test_labels.npy, giving back the AUC the run printed.
func TestRunWritesScores(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "scores.npy")
	exp := []string{"--preset", "smoke", "--dataset", "mnist", "--normal", "3", "--rho", "0.1"}
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), append([]string{"run", "--method", "kde", "--scores", path}, exp...), &out, &errOut); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut.String())
	}
	var res runResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.AUC == nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	if code := runMain(context.Background(), append(append([]string{"export"}, exp...), filepath.Join(dir, "exp")), &out, &errOut); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	a, err := npy.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.Dtype != npy.Float64 || fmt.Sprint(a.Shape) != fmt.Sprintf("[%d]", res.NTest) {
		t.Fatalf("scores.npy is %s %v, want float64 [%d]", a.Dtype, a.Shape, res.NTest)
	}
	scores, err := a.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	labels, err := npy.Read(filepath.Join(dir, "exp", "test_labels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	isAnomaly := make([]bool, len(labels.Data))
	for i, b := range labels.Data {
		isAnomaly[i] = b == 1
	}
	auc, err := roc.AUC(scores, isAnomaly)
	if err != nil {
		t.Fatal(err)
	}
	if auc != *res.AUC {
		t.Errorf("AUC of the written scores against export's labels %v, run printed %v", auc, *res.AUC)
	}
}

// TestExport writes one smoke experiment and reads it back: the images are
// the pixels /255 in the training order, the labels and hold-out match the
// experiment's, and no training label is written.
func TestExport(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	dir := t.TempDir()
	args := []string{"export", "--preset", "smoke", "--dataset", "mnist", "--normal", "3", "--rho", "0.2", "--seed", "1", "--set", "protocol.extra_outliers=0.01", dir}
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	cfg, err := config.Load(config.Layers{Preset: "smoke", Sets: []string{"protocol.extra_outliers=0.01"}}, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(&app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}, cfg, registry.Default())
	exp, err := r.Experiment(protocol.Key{Dataset: "mnist", Normal: 3, Anomaly: 4, Seed: 1, Rho: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	// smoke: 300 normal images, 75 contamination, ⌊0.01/0.99 · 300/0.8⌋ = 3 extra.
	if exp.Train.N != 378 {
		t.Fatalf("experiment has %d training images, want 378", exp.Train.N)
	}
	read := func(name string) npy.Array {
		a, err := npy.Read(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	train, err := read("train.npy").Float64s()
	if err != nil {
		t.Fatal(err)
	}
	if a := read("train.npy"); a.Dtype != npy.Float32 || fmt.Sprint(a.Shape) != "[378 784]" {
		t.Errorf("train.npy is %s %v, want float32 [378 784]", a.Dtype, a.Shape)
	}
	for i, p := range exp.Train.Pixels {
		if float32(train[i]) != float32(p)/255 {
			t.Fatalf("train.npy element %d = %v, want %v/255", i, train[i], p)
		}
	}
	labels := read("test_labels.npy")
	var anomalies int
	for i, b := range labels.Data {
		if (b == 1) != exp.TestIsAnomaly[i] {
			t.Fatalf("test label %d = %d, experiment says %v", i, b, exp.TestIsAnomaly[i])
		}
		anomalies += int(b)
	}
	if v := read("validation_labels.npy"); len(v.Data) != len(exp.Validation) {
		t.Errorf("hold-out has %d labels, want %d", len(v.Data), len(exp.Validation))
	}
	if _, err := os.Stat(filepath.Join(dir, "train_labels.npy")); !os.IsNotExist(err) {
		t.Error("export wrote training labels")
	}
	var info map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "experiment.json"))
	if err := json.Unmarshal(b, &info); err != nil || info["key"] != "mnist/c3/a4/s1/rho0.2" || info["extra_outliers"] != 0.01 || info["n_train"] != 378.0 {
		t.Errorf("experiment.json = %s (%v)", b, err)
	}
}

// TestDeepModelsSmoke trains NCAE, CAE, Deep SVDD, Deep SAD and the
// classifier for one short epoch
// on the smoke preset: finite AUCs, mining diagnostics recorded, and the
// same AUC when NCAE runs twice.
func TestDeepModelsSmoke(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	run := func(method string) runResult {
		t.Helper()
		var out, errOut bytes.Buffer
		args := []string{"run", "--preset", "smoke", "--method", method, "--dataset", "mnist", "--normal", "0", "--rho", "0.2"}
		if code := runMain(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d: %s", method, code, errOut.String())
		}
		if !strings.Contains(errOut.String(), "epoch 1/1") {
			t.Errorf("%s: no epoch progress on stderr: %q", method, errOut.String())
		}
		var res runResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%v: %q", err, out.String())
		}
		if res.Status != "ok" || res.AUC == nil || *res.AUC <= 0 || *res.AUC >= 1 || res.Backend != backend.Label(backend.Default) {
			t.Fatalf("%s: result %+v", method, res)
		}
		return res
	}
	a, b := run("ncae"), run("ncae")
	if *a.AUC != *b.AUC {
		t.Errorf("NCAE twice: AUC %v then %v", *a.AUC, *b.AUC)
	}
	if a.Info["mining_precision"] == "" || a.Info["mining_recall"] == "" || a.Info["epochs"] != "1" {
		t.Errorf("NCAE info lacks mining diagnostics: %v", a.Info)
	}
	run("cae")
	if s := run("deepsvdd"); s.Info["pretrain_epochs"] != "1" || s.Info["center_norm"] == "" || s.Info["labelled_anomalies"] != "" {
		t.Errorf("Deep SVDD info lacks its pretraining and centre (or saw labels): %v", s.Info)
	}
	// smoke: 300 normal images at ρ = 0.2, 5 % labelled: ⌊0.05/0.95·300/0.8⌋ = 19.
	if s := run("deepsad"); s.Info["labelled_anomalies"] != "19" {
		t.Errorf("Deep SAD info: %v, want 19 labelled anomalies", s.Info)
	}
	if s := run("classifier"); s.Info["labelled_anomalies"] != "19" {
		t.Errorf("classifier info: %v, want 19 labelled anomalies", s.Info)
	}
}

// TestSweep sweeps a shallow method's parameter on the smoke preset and
// checks the sweep table, the sidecar and the Figure 2 files, then that a
// second sweep runs nothing and report rebuilds the same CSV.
func TestSweep(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	datasetstest.Load(t, datasets.FashionMNIST())
	dir, plots := t.TempDir(), t.TempDir()
	// A run of the same configuration at another ρ (as table1 makes) is not part of the sweep.
	other := []string{"table1", "--preset", "smoke", "--methods", "iforest", "--set", "iforest.trees=50", "--rhos", "0.2",
		"--datasets", "mnist", "--results-dir", dir, "--plots-dir", plots}
	if code := runMain(context.Background(), other, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("table1 exit %d", code)
	}
	args := []string{"sweep", "--preset", "smoke", "--method", "iforest", "--param", "trees", "--values", "10,50",
		"--rhos", "0.1", "--results-dir", dir, "--plots-dir", plots}
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "4 run, 0 already done") || !strings.Contains(out.String(), "| mnist | iforest | 0.1 | 50 | 1 |") {
		t.Errorf("sweep output:\n%s\n%s", out.String(), errOut.String())
	}
	csv1, err := os.ReadFile(filepath.Join(dir, "figure2_trees.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(csv1), "\n"); n != 5 { // header + 2 data sets × 2 values
		t.Errorf("figure2_trees.csv has %d lines:\n%s", n, csv1)
	}
	if _, err := os.Stat(filepath.Join(plots, "figure2_trees.png")); err != nil {
		t.Error(err)
	}
	errOut.Reset()
	if code := runMain(context.Background(), args, &bytes.Buffer{}, &errOut); code != 0 || !strings.Contains(errOut.String(), "0 run, 4 already done") {
		t.Errorf("second sweep (exit %d): %s", code, errOut.String())
	}
	os.Remove(filepath.Join(dir, "figure2_trees.csv"))
	if code := runMain(context.Background(), []string{"report", "--preset", "smoke", "--results-dir", dir, "--plots-dir", plots}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("report exit %d", code)
	}
	if csv2, _ := os.ReadFile(filepath.Join(dir, "figure2_trees.csv")); string(csv2) != string(csv1) {
		t.Errorf("report rebuilt a different figure2_trees.csv:\n%s\nwant\n%s", csv2, csv1)
	}
	// The same sweep under another protocol setting (a re-tuned preset) is a
	// figure of its own: the earlier runs at the same values stay out of it.
	retuned := append(args[:len(args):len(args)], "--values", "10", "--set", "protocol.max_train_normal=200")
	errOut.Reset()
	if code := runMain(context.Background(), retuned, &bytes.Buffer{}, &errOut); code != 0 || !strings.Contains(errOut.String(), "leaves out 2 sweep entries") {
		t.Fatalf("re-tuned sweep (exit %d): %s", code, errOut.String())
	}
	csv3, _ := os.ReadFile(filepath.Join(dir, "figure2_trees.csv"))
	if lines := strings.Split(strings.TrimSpace(string(csv3)), "\n"); len(lines) != 3 || !strings.Contains(lines[1], ",10,1,") {
		t.Errorf("re-tuned figure2_trees.csv should hold one run per data set at trees = 10:\n%s", csv3)
	}
}

// TestShardsMerge runs a grid in two shards into two folders and once
// unsharded: report over the two shards' files equals report over the whole.
func TestShardsMerge(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	datasetstest.Load(t, datasets.FashionMNIST())
	grid := []string{"--preset", "smoke", "--methods", "iforest", "--normal-classes", "0,1,2"}
	run := func(dir string, extra ...string) {
		t.Helper()
		var errOut bytes.Buffer
		args := append(append([]string{"table1", "--results-dir", dir, "--plots-dir", t.TempDir()}, grid...), extra...)
		if code := runMain(context.Background(), args, &bytes.Buffer{}, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
	}
	a, b, whole := t.TempDir(), t.TempDir(), t.TempDir()
	run(a, "--shard", "1/2")
	run(b, "--shard", "2/2")
	run(whole)
	ra, _ := store.ReadFile(filepath.Join(a, "runs.csv"))
	rb, _ := store.ReadFile(filepath.Join(b, "runs.csv"))
	if len(ra) != 3 || len(rb) != 3 {
		t.Errorf("shards ran %d and %d experiments, want 3 and 3", len(ra), len(rb))
	}
	report := func(args ...string) string {
		var out bytes.Buffer
		if code := runMain(context.Background(), append([]string{"report", "--plots-dir", t.TempDir()}, args...), &out, &bytes.Buffer{}); code != 0 {
			t.Fatalf("report %v: exit %d", args, code)
		}
		return out.String()
	}
	// a's runs given twice (as a Slurm shard holding copies would) count once.
	merged := report(append(grid[:2:2], "--results-dir", a, filepath.Join(b, "runs.csv"), filepath.Join(a, "runs.csv"))...)
	if want := report(append(grid[:2:2], "--results-dir", whole)...); merged != want {
		t.Errorf("merged shards:\n%s\nunsharded:\n%s", merged, want)
	}
	if md, _ := os.ReadFile(filepath.Join(a, "table1.md")); !strings.Contains(string(md), "Provenance of these 6 runs") {
		t.Errorf("merged table1.md counts a run found in two files twice:\n%s", md)
	}
	mergedCSV, _ := os.ReadFile(filepath.Join(a, "table1.csv"))
	wholeCSV, _ := os.ReadFile(filepath.Join(whole, "table1.csv"))
	if string(mergedCSV) != string(wholeCSV) {
		t.Errorf("table1.csv differs:\n%s\nvs\n%s", mergedCSV, wholeCSV)
	}
}

// TestCommittedRunsMatchPresets checks that the committed results are still
// what their presets compute: for every method of the quick and paper
// presets with rows in results/, some row carries the method's current
// config hash. A new configuration key must keep old hashes at its default
// (model.NCAEParams.MarshalJSON), or every recorded run would be orphaned.
func TestCommittedRunsMatchPresets(t *testing.T) {
	for _, tc := range []struct{ preset, runs string }{{"quick", "../results/runs.csv"}, {"paper", "../results/paper/runs.csv"}} {
		cfg, err := config.Load(config.Layers{Preset: tc.preset}, registry.Default())
		if err != nil {
			t.Fatal(err)
		}
		rows, err := store.ReadFile(tc.runs)
		if err != nil {
			t.Fatal(err)
		}
		hashes := map[string]map[string]bool{}
		for _, r := range rows {
			if hashes[r.Method] == nil {
				hashes[r.Method] = map[string]bool{}
			}
			hashes[r.Method][r.ConfigHash] = true
		}
		for _, m := range cfg.Grid.Methods {
			if len(hashes[m]) > 0 && !hashes[m][cfg.Hash(m)] {
				t.Errorf("preset %s, method %s: config hash %s matches none of the %d hashes recorded in %s", tc.preset, m, cfg.Hash(m), len(hashes[m]), tc.runs)
			}
		}
	}
}
