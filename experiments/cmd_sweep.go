package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/report"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/internal/provenance"
)

// runSweep runs one method over a list of values of one of its parameters
// (or of ρ), on the preset's grid at ρ = 0.2 unless --rhos is given, records
// which config hash means which value in sweeps.csv, and writes
// figure2_<param>.csv and .png.
func runSweep(ctx context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("sweep", "sweep --param NAME [--values v1,v2,...] [--method ncae] [flags]", a.stderr)
	cf.register(fs, true)
	param := fs.String("param", "", "parameter to vary: any key of the method's config section, numeric (sigma, tau, epochs, lr, …) or categorical (mining_similarity, ncr_mode, …), as KEY or METHOD.KEY; or rho")
	values := fs.String("values", "", "comma-separated values, numbers or words (default for sigma and tau: the paper's Figure 2 values)")
	method := fs.String("method", "ncae", "method whose parameter is swept")
	shardFlag := fs.String("shard", "", "run only slice `i/n` of the grid (n machines share a sweep; merge with report)")
	dryRun := fs.Bool("dry-run", false, "run nothing: print, per data set and ρ, the sweep's runs done, failed and left in runs.csv (all values together), and an estimate of the time left")
	if err := parse(fs, args); err != nil {
		return err
	}
	shard, err := plan.ParseShard(*shardFlag)
	if err != nil {
		return usageError{err}
	}
	spec, err := sweepSpec(fs, *method, *param, *values)
	if err != nil {
		return err
	}
	reg := registry.Default()
	base, err := cf.layers(fs)
	if err != nil {
		return err
	}
	sw, err := plan.NewSweep(base, reg, spec)
	if err != nil {
		return usageError{err}
	}
	// One runner serves every value: only a method parameter (or ρ)
	// differs between them, and each task carries its parameters.
	cfg := sw.Configs[0]
	if *dryRun {
		return printPlanState(a, cfg, sw.Plan(shard), false)
	}
	r := newRunner(a, cfg, reg)
	r.External.Keep = cf.keep
	defer r.Backends.Close()
	if err := check(a, r, "sweep", "sweep", []string{sw.Method}); err != nil {
		return err
	}
	if err := provenance.CheckRecordable(r.Commit, cfg.Run.ResultsDir, cf.allowDirty); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(cfg.Run.ResultsDir, "runs.csv"))
	if err != nil {
		return err
	}
	// Recorded first, so that the rows of a killed sweep stay attributable.
	sweepsPath := filepath.Join(cfg.Run.ResultsDir, "sweeps.csv")
	if err := store.AddSweeps(sweepsPath, sw.Entries()); err != nil {
		return err
	}
	p := sw.Plan(shard)
	fmt.Fprintf(a.stderr, "sweep: %s of %s over %v, %d runs, results in %s\n", sw.Param, sw.Method, sw.Values, len(p), st.Path())
	sum, err := r.Sweep(ctx, st, p)
	fmt.Fprintf(a.stderr, "sweep: %d run, %d already done, %d failed, %d diverged\n", sum.Ran, sum.Skipped, sum.Failed, sum.Diverged)
	if err != nil {
		return err
	}
	return writeSweepReport(a, st, cfg, base, reg, sw.Param)
}

// sweepSpec reads what a sweep varies from its flags: --param KEY or
// METHOD.KEY, --method, --values.
func sweepSpec(fs *flag.FlagSet, method, param, values string) (plan.SweepSpec, error) {
	spec := plan.SweepSpec{Method: method, Param: param, KeepRhos: flagSet(fs, "rhos")}
	if m, key, ok := strings.Cut(param, "."); ok { // --param ncae.mining_similarity
		if flagSet(fs, "method") && m != method {
			return spec, usageError{fmt.Errorf("--param %s names method %s but --method is %s", param, m, method)}
		}
		spec.Method, spec.Param = m, key
	}
	if values != "" {
		spec.Values = strings.Split(values, ",")
	}
	if flagSet(fs, "methods") {
		return spec, usageError{errors.New("--methods: a sweep runs one method; name it with --method")}
	}
	return spec, nil
}

// writeSweepReport prints param's Figure 2 table and writes every sweep's
// files from the runs in st and the entries of cfg's sweeps.csv recorded
// under base's configuration (cfg is base with a sweep value set).
func writeSweepReport(a *app, st *store.Store, cfg *config.Config, base config.Layers, reg *registry.Registry, param string) error {
	rows, err := st.Rows()
	if err != nil {
		return err
	}
	recorded, err := store.ReadSweeps(filepath.Join(cfg.Run.ResultsDir, "sweeps.csv"))
	if err != nil {
		return err
	}
	sweeps, others := plan.Recorded(base, reg, recorded)
	if others > 0 {
		fmt.Fprintf(a.stderr, "report: Figure 2 leaves out %d sweep entries recorded under other settings\n", others)
	}
	fmt.Fprint(a.stdout, report.SweepMarkdown(report.Sweep(rows, sweeps, param), param))
	files, err := report.WriteSweeps(rows, sweeps, cfg.Run.ResultsDir, cfg.Run.PlotsDir)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(a.stderr, "report: wrote %s\n", strings.Join(files, ", "))
	return nil
}
