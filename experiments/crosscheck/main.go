// Command crosscheck runs our shallow baselines and scikit-learn's on the
// same experiment and prints their AUCs, times and selected hyper-parameters
// side by side:
//
//	go run ./experiments/crosscheck --dataset mnist --normal 0 --rho 0.1
//
// It exports the experiment's training set, test set, labels and OC-SVM
// hold-out as .npy files, runs our methods in-process, then runs
// sklearn_baselines.py (beside this file) with Debian's python3-sklearn.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/ncae-repro/ncae/baselines/iforest"
	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "crosscheck:", err)
		os.Exit(1)
	}
}

type result struct {
	AUC     float64
	Seconds float64
	Param   string
	Detail  string
}

func run() error {
	dataset := flag.String("dataset", "mnist", "data set: "+strings.Join(datasets.Names(), ", "))
	normal := flag.Int("normal", 0, "normal class")
	rho := flag.Float64("rho", 0.1, "contamination ratio")
	seed := flag.Int("seed", 0, "replicate seed")
	methods := flag.String("methods", "ocsvm,iforest,kde", "comma-separated methods")
	python := flag.String("python", "/usr/bin/python3", "Python with scikit-learn (Debian's python3-sklearn)")
	repeats := flag.Int("repeats", 10, "isolation forest: fits with this many seeds on each side (it is random); mean ± std are compared")
	skipSklearn := flag.Bool("ours-only", false, "run only our implementations")
	script := flag.String("script", "experiments/crosscheck/sklearn_baselines.py", "the scikit-learn side (run from the repository root)")
	keep := flag.String("export", "", "folder for the exported .npy files (default: a temporary folder, removed)")
	flag.Parse()

	reg := registry.Default()
	cfg, err := config.Load(config.Layers{Preset: "paper"}, reg)
	if err != nil {
		return err
	}
	r := &runner.Runner{Config: cfg, Registry: reg, Data: runner.NewData(&datasets.Locator{
		DataDir: os.Getenv("NCAE_DATA_DIR"), CacheFile: datasets.DefaultCacheFile()})}
	key := protocol.Key{Dataset: *dataset, Normal: *normal, Anomaly: (*normal + 1) % 10, Seed: *seed, Rho: *rho}
	exp, err := r.Experiment(key)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d training images (%d anomalies), %d test images, %d-image hold-out\n",
		key, exp.Train.N, exp.AnomaliesTrain, exp.Test.N, len(exp.Validation))

	ms := strings.Split(*methods, ",")
	ours := map[string]result{}
	for _, m := range ms {
		row, err := r.Evaluate(context.Background(), exp, plan.NewTask(cfg, key, m))
		if err != nil {
			return err
		}
		if row.Status != "ok" {
			return fmt.Errorf("%s: %s: %s", m, row.Status, row.Error)
		}
		ours[m] = result{AUC: row.AUC, Seconds: row.TrainSeconds + row.ScoreSeconds,
			Param: row.Info["gamma"] + row.Info["bandwidth"], Detail: row.Info["val_auc"] + row.Info["cv_loglik"]}
		if m == "iforest" && *repeats > 1 {
			if ours[m], err = forestRepeats(exp, *repeats, ours[m].Seconds); err != nil {
				return err
			}
		}
		fmt.Printf("ours    %-8s AUC %.4f  %7.1f s  %s\n", m, row.AUC, ours[m].Seconds, ours[m].Param)
	}
	if *skipSklearn {
		return nil
	}

	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "crosscheck-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := export(dir, exp); err != nil {
		return err
	}
	cmd := exec.Command(*python, *script, dir, *methods, fmt.Sprint(*repeats))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s %s: %w (is python3-sklearn installed? apt-get install python3-sklearn)", *python, *script, err)
	}
	theirs := map[string]result{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		res, method, err := parseSklearnLine(line, *repeats)
		if err != nil {
			return err
		}
		theirs[method] = res
	}
	for _, m := range ms {
		if _, ok := theirs[m]; !ok {
			return fmt.Errorf("%s printed no result for %s", *script, m)
		}
	}

	fmt.Printf("\n| method | ours AUC | sklearn AUC | Δ (points) | ours s | sklearn s | time ratio | ours param | sklearn param |\n")
	fmt.Printf("|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range ms {
		o, t := ours[m], theirs[m]
		fmt.Printf("| %s | %.2f | %.2f | %+.2f | %.1f | %.1f | %.3f | %s | %s |\n", m, 100*o.AUC, 100*t.AUC,
			100*(o.AUC-t.AUC), o.Seconds, t.Seconds, o.Seconds/t.Seconds, o.Param, t.Param)
	}
	for _, m := range ms {
		if o, t := ours[m], theirs[m]; o.Detail != "" {
			fmt.Printf("\n%s curve, ours:    %s\n%s curve, sklearn: %s\n", m, o.Detail, m, t.Detail)
		}
	}
	return nil
}

// sklearnLine is one line the scikit-learn script prints. Pointers tell a
// missing field from a zero; a field of the wrong type fails to decode.
type sklearnLine struct {
	Method    *string   `json:"method"`
	AUC       *float64  `json:"auc"`
	Seconds   *float64  `json:"seconds"`
	AUCStd    *float64  `json:"auc_std"`
	Gamma     *float64  `json:"gamma"`
	ValAUC    []float64 `json:"val_auc"`
	Bandwidth *float64  `json:"bandwidth"`
	CVLoglik  []float64 `json:"cv_loglik"`
}

// parseSklearnLine checks and converts one line of the script's output.
func parseSklearnLine(line string, repeats int) (result, string, error) {
	var v sklearnLine
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		return result{}, "", fmt.Errorf("scikit-learn output %q: %w", line, err)
	}
	if v.Method == nil || v.AUC == nil || v.Seconds == nil {
		return result{}, "", fmt.Errorf("scikit-learn output %q: want method, auc and seconds", line)
	}
	res := result{AUC: *v.AUC, Seconds: *v.Seconds}
	switch {
	case v.AUCStd != nil:
		res.Param = fmt.Sprintf("mean of %d seeds, std %.2f", repeats, 100**v.AUCStd)
	case v.Gamma != nil:
		res.Param, res.Detail = fmt.Sprintf("%g", *v.Gamma), fmt.Sprint(v.ValAUC)
	case v.Bandwidth != nil:
		res.Param, res.Detail = fmt.Sprintf("%.6g", *v.Bandwidth), fmt.Sprint(v.CVLoglik)
	}
	return res, *v.Method, nil
}

// forestRepeats fits the isolation forest with n seeds and returns the mean
// AUC, with the standard deviation in Param; seconds is one fit's time.
func forestRepeats(exp *protocol.Experiment, n int, seconds float64) (result, error) {
	var aucs []float64
	for r := 0; r < n; r++ {
		f := iforest.New(*iforest.DefaultParams(), protocol.DeriveSeed(exp.Key.MethodSeed(), fmt.Sprint("repeat", r)))
		out, err := protocol.Evaluate(context.Background(), f, exp)
		if err != nil {
			return result{}, err
		}
		aucs = append(aucs, out.AUC)
	}
	mean, std := stat.MeanStdDev(aucs, nil)
	return result{AUC: mean, Seconds: seconds, Param: fmt.Sprintf("mean of %d seeds, std %.2f", n, 100*std)}, nil
}

// export writes the experiment as .npy files: raw pixels (uint8), test
// labels (1 = anomaly) and the hold-out's indices into the test set.
func export(dir string, exp *protocol.Experiment) error {
	d := exp.Train.Dim()
	labels := make([]byte, exp.Test.N)
	for i, a := range exp.TestIsAnomaly {
		if a {
			labels[i] = 1
		}
	}
	for name, a := range map[string]npy.Array{
		"train.npy":       npy.Uint8s(exp.Train.Pixels, exp.Train.N, d),
		"test.npy":        npy.Uint8s(exp.Test.Pixels, exp.Test.N, d),
		"test_labels.npy": npy.Uint8s(labels, exp.Test.N),
		"validation.npy":  npy.Int64s(exp.Validation, len(exp.Validation)),
	} {
		if err := npy.Write(filepath.Join(dir, name), a); err != nil {
			return err
		}
	}
	return nil
}
