package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/report"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/internal/provenance"
)

// figure2Values are the paper's Figure 2 values, the defaults of sweep.
var figure2Values = map[string][]string{
	"sigma": {"0.01", "0.05", "0.1", "0.2", "0.5", "1"},
	"tau":   {"0", "0.05", "0.1", "0.15", "0.2", "0.3"},
}

// sweepValue returns a swept value's text as recorded (numbers in Go's
// shortest form) and as a TOML value, or an error for text TOML cannot
// take as a bare word.
func sweepValue(v string) (text string, value any, err error) {
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return strconv.FormatFloat(f, 'g', -1, 64), f, nil
	}
	for _, r := range v {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", nil, fmt.Errorf("--values: %q is neither a number nor a word of letters, digits, - and _", v)
		}
	}
	if v == "" {
		return "", nil, errors.New("--values: an empty value")
	}
	return v, v, nil
}

// runSweep runs one method over a list of values of one of its parameters
// (or of ρ), on the preset's grid at ρ = 0.2 unless --rhos is given, records
// which config hash means which value in sweeps.csv, and writes
// figure2_<param>.csv and .png.
func runSweep(ctx context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("sweep", "sweep --param NAME [--values v1,v2,...] [--method ncae] [flags]", a.stderr)
	cf.register(fs, true)
	param := fs.String("param", "", "parameter to vary: any key of the method's config section, numeric (sigma, tau, epochs, lr, …) or categorical (mining_similarity, ncr_mode, …), as KEY or METHOD.KEY; or rho")
	valuesFlag := fs.String("values", "", "comma-separated values, numbers or words (default for sigma and tau: the paper's Figure 2 values)")
	method := fs.String("method", "ncae", "method whose parameter is swept")
	shardFlag := fs.String("shard", "", "run only slice `i/n` of the grid (n machines share a sweep; merge with report)")
	if err := parse(fs, args); err != nil {
		return err
	}
	shard, err := runner.ParseShard(*shardFlag)
	if err != nil {
		return usageError{err}
	}
	if *param == "" {
		return usageError{errors.New("--param is required")}
	}
	if m, key, ok := strings.Cut(*param, "."); ok { // --param ncae.mining_similarity
		if methodGiven := flagSet(fs, "method"); methodGiven && m != *method {
			return usageError{fmt.Errorf("--param %s names method %s but --method is %s", *param, m, *method)}
		}
		*method, *param = m, key
	}
	values := figure2Values[*param]
	if *valuesFlag != "" {
		values = strings.Split(*valuesFlag, ",")
	}
	typed := make([]any, len(values))
	for i, v := range values {
		var err error
		if values[i], typed[i], err = sweepValue(v); err != nil {
			return usageError{err}
		}
		if _, isNumber := typed[i].(float64); *param == "rho" && !isNumber {
			return usageError{fmt.Errorf("--values: ρ %q is not a number", v)}
		}
	}
	if len(values) == 0 {
		return usageError{fmt.Errorf("--param %s: give --values (defaults exist for sigma and tau only)", *param)}
	}
	rhosGiven := flagSet(fs, "rhos")
	switch {
	case flagSet(fs, "methods"):
		return usageError{errors.New("--methods: a sweep runs one method; name it with --method")}
	case *param == "rho" && rhosGiven:
		return usageError{errors.New("--rhos with --param rho: give the ρ values with --values")}
	}
	base := cf
	base.overrides = append(append([]config.Override(nil), cf.overrides...), config.Override{Key: "grid.methods", Value: []string{*method}})
	if *param != "rho" && !rhosGiven {
		base.overrides = append(base.overrides, config.Override{Key: "grid.rhos", Value: []float64{0.2}}) // Figure 2 is at ρ = 0.2
	}
	reg := registry.Default()
	type point struct {
		value string
		r     *runner.Runner
		tasks []runner.Task
	}
	var points []point
	var entries []store.SweepEntry
	total := 0
	// Every value's configuration is loaded (and validated) before anything
	// runs or prints: a bad value is one line.
	cfgs := make([]*config.Config, len(values))
	for i := range values {
		c := base
		o := config.Override{Key: *method + "." + *param, Value: typed[i]}
		if *param == "rho" {
			o = config.Override{Key: "grid.rhos", Value: []float64{typed[i].(float64)}}
		}
		c.overrides = append(append([]config.Override(nil), base.overrides...), o)
		var err error
		if cfgs[i], err = c.load(fs, reg); err != nil {
			return err
		}
	}
	for i, v := range values {
		cfg := cfgs[i]
		// One data loader and backend pool serve every value: only a
		// method parameter (or ρ) differs between them.
		var r *runner.Runner
		if len(points) == 0 {
			r = newRunner(a, cfg, reg)
			r.External.Keep = cf.keep
			defer r.Backends.Close()
		} else {
			shared := *points[0].r
			shared.Config = cfg
			r = &shared
		}
		desc, err := r.Check([]string{*method})
		if err != nil {
			return fmt.Errorf("cannot sweep: %w", err)
		}
		if desc != "" && len(points) == 0 {
			fmt.Fprintf(a.stderr, "sweep: %s\n", desc)
		}
		tasks := r.Tasks(shard.Keys(cfg.ProtocolGrid().Keys()), []string{*method})
		total += len(tasks)
		points = append(points, point{v, r, tasks})
		for _, rho := range cfg.Grid.Rhos {
			entries = append(entries, store.SweepEntry{Param: *param, Value: v, Method: *method, ConfigHash: cfg.Hash(*method), Rho: rho})
		}
	}
	cfg := points[0].r.Config
	if err := provenance.CheckRecordable(points[0].r.Commit, cfg.Run.ResultsDir, cf.allowDirty); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(cfg.Run.ResultsDir, "runs.csv"))
	if err != nil {
		return err
	}
	// Recorded first, so that the rows of a killed sweep stay attributable.
	sweepsPath := filepath.Join(cfg.Run.ResultsDir, "sweeps.csv")
	if err := store.AddSweeps(sweepsPath, entries); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "sweep: %s of %s over %v, %d runs, results in %s\n", *param, *method, values, total, st.Path())
	// Progress covers the whole sweep, not one value: runs of all values
	// are alike (one method, the same grid), so the mean run time so far
	// prices the rest.
	finished, err := st.Finished()
	if err != nil {
		return err
	}
	pending := 0
	for _, p := range points {
		for _, t := range p.tasks {
			if _, ok := finished[t.StoreKey()]; !ok {
				pending++
			}
		}
	}
	start := time.Now()
	var sum runner.Summary
	for _, p := range points {
		label := fmt.Sprintf("%s=%s ", *param, p.value)
		doneBefore := sum.Ran
		s, err := p.r.Sweep(ctx, st, p.tasks, func(e runner.Event) {
			e.Done, e.Total, e.Elapsed = doneBefore+e.Done, pending, time.Since(start)
			e.ETA = time.Duration(float64(e.Elapsed) / float64(e.Done) * float64(max(e.Total-e.Done, 0)))
			printProgress(a, label, e)
		})
		sum.Ran, sum.Skipped, sum.Failed, sum.Diverged = sum.Ran+s.Ran, sum.Skipped+s.Skipped, sum.Failed+s.Failed, sum.Diverged+s.Diverged
		if err != nil {
			fmt.Fprintf(a.stderr, "sweep: %d run, %d already done, %d failed, %d diverged\n", sum.Ran, sum.Skipped, sum.Failed, sum.Diverged)
			return err
		}
	}
	fmt.Fprintf(a.stderr, "sweep: %d run, %d already done, %d failed, %d diverged\n", sum.Ran, sum.Skipped, sum.Failed, sum.Diverged)
	rows, err := st.Rows()
	if err != nil {
		return err
	}
	recorded, err := store.ReadSweeps(sweepsPath)
	if err != nil {
		return err
	}
	sweeps, others := configSweeps(cf, fs, reg, recorded)
	if others > 0 {
		fmt.Fprintf(a.stderr, "report: Figure 2 leaves out %d sweep entries recorded under other settings\n", others)
	}
	fmt.Fprint(a.stdout, report.SweepMarkdown(report.Sweep(rows, sweeps, *param), *param))
	files, err := report.WriteSweeps(rows, sweeps, cfg.Run.ResultsDir, cfg.Run.PlotsDir)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(a.stderr, "report: wrote %s\n", strings.Join(files, ", "))
	return nil
}
