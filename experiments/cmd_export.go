package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/model"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/export"
)

// runExport writes one experiment's training set, test set, test labels and
// labelled hold-out as .npy files, for detectors developed outside Go (and
// for the PyTorch reference trainer of model/torchref).
func runExport(_ context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("export", "export --dataset mnist|fmnist --normal C [--anomaly A] [--rho R] [--seed S] [flags] DIR", a.stderr)
	cf.register(fs, false)
	var kf keyFlags
	kf.register(fs)
	noLabels := fs.Bool("no-labels", false, "leave out test_labels.npy and the labelled hold-out (what a detector under evaluation gets)")
	start := fs.String("start", "", "deep METHOD (cae, ncae, …): also write its initial tensors (start/*.npy) and per-epoch training order (start/order.npy), for model/torchref to train from our starting point")
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("export needs one folder to write into, after the flags")}
	}
	dir := fs.Arg(0)
	key, err := kf.key()
	if err != nil {
		return err
	}
	reg := registry.Default()
	cf.overrides = append(cf.overrides, config.Override{Key: "grid.datasets", Value: []string{key.Dataset}})
	cfg, err := cf.load(fs, reg)
	if err != nil {
		return err
	}
	r := newRunner(a, cfg, reg)
	defer r.Backends.Close()
	exp, err := r.Experiment(key)
	if err != nil {
		return err
	}
	if err := export.Write(dir, exp, cfg.ProtocolOptions(), export.Options{TestLabels: !*noLabels, Validation: !*noLabels}); err != nil {
		return err
	}
	if *start != "" {
		if err := writeStart(filepath.Join(dir, "start"), r, exp, *start); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "%s: %d training images (%d anomalies), %d test images, %d-image hold-out → %s\n",
		key, exp.Train.N, exp.AnomaliesTrain, exp.Test.N, len(exp.Validation), dir)
	return nil
}

// keyFlags are the flags that name one experiment.
type keyFlags struct {
	dataset               string
	normal, anomaly, seed int
	rho                   float64
}

func (k *keyFlags) register(fs interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	Float64Var(*float64, string, float64, string)
}) {
	fs.StringVar(&k.dataset, "dataset", "", "data set: mnist or fmnist")
	fs.IntVar(&k.normal, "normal", -1, "normal class c (0..9)")
	fs.IntVar(&k.anomaly, "anomaly", -1, "anomaly class a ≠ c; it only selects the seed stream in pooled mode (default: c+1 mod 10)")
	fs.Float64Var(&k.rho, "rho", 0, "contamination ratio ρ in [0, 1)")
	fs.IntVar(&k.seed, "seed", 0, "replicate seed")
}

// key checks the flags and returns the experiment they name.
func (k *keyFlags) key() (protocol.Key, error) {
	switch {
	case k.dataset == "":
		return protocol.Key{}, usageError{errors.New("--dataset is required (mnist or fmnist)")}
	case k.normal < 0 || k.normal > 9:
		return protocol.Key{}, usageError{fmt.Errorf("--normal %d: need a class in 0..9", k.normal)}
	case !(k.rho >= 0 && k.rho < 1):
		return protocol.Key{}, usageError{fmt.Errorf("--rho %g: must be in [0, 1)", k.rho)}
	case k.seed < 0:
		return protocol.Key{}, usageError{fmt.Errorf("--seed %d: must be ≥ 0", k.seed)}
	}
	anomaly := k.anomaly
	if anomaly < 0 {
		anomaly = (k.normal + 1) % 10
	}
	if anomaly > 9 || anomaly == k.normal {
		return protocol.Key{}, usageError{fmt.Errorf("--anomaly %d: need a class in 0..9 other than --normal", anomaly)}
	}
	return protocol.Key{Dataset: k.dataset, Normal: k.normal, Anomaly: anomaly, Seed: k.seed, Rho: k.rho}, nil
}

// writeStart writes where method's training on exp begins (model.Start.Write).
func writeStart(dir string, r *runner.Runner, exp *protocol.Experiment, method string) error {
	m, err := r.Registry.Runnable(method)
	if err != nil {
		return usageError{fmt.Errorf("--start: %w", err)}
	}
	det, err := m.New(r.Config.Methods[method], registry.Env{Key: exp.Key, Seed: exp.Key.MethodSeed(), Backend: r.Backend()})
	if err != nil {
		return err
	}
	sp, ok := det.(interface {
		StartingPoint(n int) (*model.Start, error)
	})
	if !ok {
		return usageError{fmt.Errorf("--start %s: not a deep model (try cae or ncae)", method)}
	}
	s, err := sp.StartingPoint(exp.Train.N)
	if err != nil {
		return err
	}
	return s.Write(dir)
}
