package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/internal/provenance"
	"github.com/ncae-repro/ncae/model/backend"
)

// runResult is the JSON line printed by `run`.
type runResult struct {
	Dataset         string            `json:"dataset"`
	Method          string            `json:"method"`
	Rho             float64           `json:"rho"`
	NormalClass     int               `json:"normal_class"`
	AnomalyClass    int               `json:"anomaly_class"`
	Seed            int               `json:"seed"`
	ConfigHash      string            `json:"config_hash"`
	Status          store.Status      `json:"status"`
	AUC             *float64          `json:"auc"`  // null unless status is ok
	AUPR            *float64          `json:"aupr"` // average precision; null unless status is ok
	TrainSeconds    float64           `json:"train_seconds"`
	ScoreSeconds    float64           `json:"score_seconds"`
	NTrain          int               `json:"n_train"`
	NAnomaliesTrain int               `json:"n_anomalies_train"`
	NTest           int               `json:"n_test"`
	Backend         string            `json:"backend"`
	Error           string            `json:"error,omitempty"`
	Info            map[string]string `json:"info,omitempty"`
}

func runOne(ctx context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("run", "run --method NAME --dataset mnist|fmnist --normal C [--anomaly A] [--rho R] [--seed S] [flags]", a.stderr)
	cf.register(fs, false)
	method := fs.String("method", "", "method to run (see: go run ./experiments methods)")
	scoresPath := fs.String("scores", "", "also write the run's test scores to `FILE` (.npy, float64, higher = more anomalous: one per test image of the experiment, in the order of export's test_labels.npy; written only when the run is ok)")
	var kf keyFlags
	kf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *method == "" {
		return usageError{errors.New("--method is required")}
	}
	key, err := kf.key()
	if err != nil {
		return err
	}
	reg := registry.Default()
	// The grid keys are validated too, so the one experiment is put in them.
	cf.overrides = append(cf.overrides, config.Override{Key: "grid.datasets", Value: []string{key.Dataset}},
		config.Override{Key: "grid.methods", Value: []string{*method}})
	cfg, err := cf.load(fs, reg)
	if err != nil {
		return err
	}
	r := newRunner(a, cfg, reg)
	r.External.Keep = cf.keep
	defer r.Backends.Close()
	if _, err := r.Check([]string{*method}); err != nil {
		return err
	}
	if *scoresPath != "" {
		// Before training, so that a long run is not lost to a bad path.
		if err := checkWritable(*scoresPath); err != nil {
			return err
		}
	}
	exp, err := r.Experiment(key)
	if err != nil {
		return err
	}
	row, scores, err := r.EvaluateScores(ctx, exp, plan.NewTask(cfg, key, *method))
	if err != nil {
		return err
	}
	line, err := json.Marshal(resultOf(row))
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, string(line))
	if *scoresPath != "" {
		if scores == nil {
			fmt.Fprintf(a.stderr, "run: --scores: nothing written to %s: the run is %s\n", *scoresPath, row.Status)
		} else if err := npy.Write(*scoresPath, npy.Float64s(scores, len(scores))); err != nil {
			return fmt.Errorf("--scores: %w", err)
		}
	}
	if row.Status == store.Failed {
		return fmt.Errorf("run failed: %s", row.Error)
	}
	return nil
}

// newRunner returns the runner of cfg, sharing GoMLX backends between runs
// and printing deep models' epochs to stderr.
func newRunner(a *app, cfg *config.Config, reg *registry.Registry) *runner.Runner {
	return &runner.Runner{Config: cfg, Registry: reg, Data: runner.NewData(locator(cfg)), Commit: provenance.GitCommit(),
		Backends: &backend.Pool{},
		Observer: progress{a.stderr}}
}

func resultOf(row store.Row) runResult {
	res := runResult{Dataset: row.Dataset, Method: row.Method, Rho: row.Rho, NormalClass: row.NormalClass,
		AnomalyClass: row.AnomalyClass, Seed: row.Seed, ConfigHash: row.ConfigHash, Status: row.Status,
		TrainSeconds: round3(row.TrainSeconds), ScoreSeconds: round3(row.ScoreSeconds), NTrain: row.NTrain,
		NAnomaliesTrain: row.NAnomaliesTrain, NTest: row.NTest, Backend: row.Backend, Error: row.Error, Info: row.Info}
	if !math.IsNaN(row.AUC) {
		auc := row.AUC
		res.AUC = &auc
	}
	if !math.IsNaN(row.AUPR) {
		aupr := row.AUPR
		res.AUPR = &aupr
	}
	return res
}

func round3(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return math.Round(x*1000) / 1000
}

// checkWritable makes sure a file can be written at path: path is not a
// folder, and its folder exists (it is created if missing) and takes files.
func checkWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageError{fmt.Errorf("--scores %s is a folder; give a file name, e.g. %s", path, filepath.Join(path, "scores.npy"))}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--scores %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".scores-check-*")
	if err != nil {
		return fmt.Errorf("--scores %s: cannot write in %s: %w", path, dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
