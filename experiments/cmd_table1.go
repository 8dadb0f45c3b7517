package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/report"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/internal/provenance"
)

func runTable1(ctx context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("table1", "table1 [--preset smoke|quick|paper] [--config FILE] [--datasets ...] [--methods ...] [--rhos ...] [flags]", a.stderr)
	cf.register(fs, true)
	shardFlag := fs.String("shard", "", "run only slice `i/n` of the grid (n machines share a sweep; merge with report)")
	if err := parse(fs, args); err != nil {
		return err
	}
	shard, err := runner.ParseShard(*shardFlag)
	if err != nil {
		return usageError{err}
	}
	reg := registry.Default()
	cfg, err := cf.load(fs, reg)
	if err != nil {
		return err
	}
	r := newRunner(a, cfg, reg)
	r.External.Keep = cf.keep
	defer r.Backends.Close()
	desc, err := r.Check(cfg.Grid.Methods)
	if err != nil {
		return fmt.Errorf("cannot run Table 1: %w", err)
	}
	if desc != "" {
		fmt.Fprintf(a.stderr, "table1: %s\n", desc)
	}
	if err := provenance.CheckRecordable(r.Commit, cfg.Run.ResultsDir, cf.allowDirty); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(cfg.Run.ResultsDir, "runs.csv"))
	if err != nil {
		return err
	}
	tasks := r.Tasks(shard.Keys(cfg.ProtocolGrid().Keys()), cfg.Grid.Methods)
	fmt.Fprintf(a.stderr, "table1: %d runs (%s, shard %s), results in %s\n", len(tasks), cfg.Sources()[0], shard, st.Path())
	sum, err := r.Sweep(ctx, st, tasks, func(e runner.Event) { printProgress(a, "", e) })
	fmt.Fprintf(a.stderr, "table1: %d run, %d already done, %d failed, %d diverged\n", sum.Ran, sum.Skipped, sum.Failed, sum.Diverged)
	if err != nil {
		return err
	}
	rows, err := st.Rows()
	if err != nil {
		return err
	}
	mine, _ := configRows(cfg, rows)
	printSummary(a, mine)
	return writeReport(a, cfg, mine, nil)
}

// configRows keeps the rows recorded under cfg's protocol and method
// settings and counts the others: Table 1 shows one configuration, while
// runs.csv also holds sweeps and runs made with other settings.
func configRows(cfg *config.Config, rows []store.Row) (mine []store.Row, others int) {
	hashes := map[string]bool{}
	for m := range cfg.Methods {
		hashes[cfg.Hash(m)] = true
	}
	for _, row := range rows {
		if hashes[row.ConfigHash] {
			mine = append(mine, row)
		} else {
			others++
		}
	}
	return mine, others
}

// printProgress prints one line per finished run: a bar with done/total,
// the run and its result, elapsed time and the runner's ETA (per data set
// and method, so it is rough until each kind of run has been seen once).
// Lines rather than a redrawn bar, so that logs of long sweeps read the same
// as the terminal.
func printProgress(a *app, label string, e runner.Event) {
	eta := "?"
	if e.HasETA {
		eta = e.ETA.Round(time.Second).String()
	}
	result := fmt.Sprintf("auc %.4f", e.Row.AUC)
	if e.Row.Status != store.OK {
		result = e.Row.Status + ": " + e.Row.Error
	}
	fmt.Fprintf(a.stderr, "%s%s %d/%d %s: %s (%.1fs) | elapsed %s, ETA %s\n", label, bar(e.Done, e.Total, 20), e.Done, e.Total,
		e.Task, result, e.Row.TrainSeconds+e.Row.ScoreSeconds, e.Elapsed.Round(time.Second), eta)
}

// bar renders done/total as [#####.....] of width cells.
func bar(done, total, width int) string {
	filled := width
	if total > 0 {
		filled = width * done / total
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}

func runReport(ctx context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("report", "report [flags] [more runs.csv files to merge]", a.stderr)
	cf.register(fs, false)
	var versus stringList
	fs.Var(&versus, "versus", "also compare every method with `METHOD` (paired Wilcoxon tests, versus_METHOD.csv; repeatable; cae always)")
	allConfigs := fs.Bool("all-configs", false, "Table 1 and the sweeps from every recorded configuration, not only the preset's (one cell per config hash)")
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(fs, registry.Default())
	if err != nil {
		return err
	}
	for _, m := range versus {
		if _, err := registry.Default().Runnable(m); err != nil {
			return usageError{fmt.Errorf("--versus: %w", err)}
		}
	}
	var lists [][]store.Row
	var sweeps []store.SweepEntry
	for i, f := range append([]string{filepath.Join(cfg.Run.ResultsDir, "runs.csv")}, fs.Args()...) {
		rs, err := store.ReadFile(f)
		if i == 0 && errors.Is(err, os.ErrNotExist) {
			continue // no runs of our own yet; merged files must exist
		}
		if err != nil {
			return err
		}
		lists = append(lists, rs)
		// A sweep records beside its runs.csv which config hash meant which value.
		sw, err := store.ReadSweeps(filepath.Join(filepath.Dir(f), "sweeps.csv"))
		if err != nil {
			return err
		}
		sweeps = append(sweeps, sw...)
	}
	// A finished run in two of the files (a Slurm shard holds copies of
	// runs the results folder already had) is counted once.
	rows := store.NewIndex(lists...).Rows()
	if len(rows) == 0 {
		return errors.New("no recorded runs yet; run table1 first")
	}
	table := rows
	if !*allConfigs {
		var others int
		table, others = configRows(cfg, rows)
		if others > 0 {
			fmt.Fprintf(a.stderr, "report: Table 1 leaves out %d runs of other settings (sweeps, --set); --all-configs includes them\n", others)
		}
		sweeps, others = configSweeps(cf, fs, registry.Default(), sweeps)
		if others > 0 {
			fmt.Fprintf(a.stderr, "report: Figure 2 leaves out %d sweep entries recorded under other settings; --all-configs includes them\n", others)
		}
	}
	if len(table) > 0 {
		printSummary(a, table)
		if err := writeReport(a, cfg, table, sweeps, versus...); err != nil {
			return err
		}
	}
	files, err := report.WriteSweeps(rows, sweeps, cfg.Run.ResultsDir, cfg.Run.PlotsDir)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if len(table) == 0 && len(files) == 0 {
		return fmt.Errorf("none of the %d recorded runs has this configuration (%s) and none belongs to a sweep; give the same --preset/--config/--set as the runs, or --all-configs", len(rows), cfg.Sources()[0])
	}
	if len(files) > 0 {
		fmt.Fprintf(a.stderr, "report: wrote %s\n", strings.Join(files, ", "))
	}
	return nil
}

// writeReport writes the Table 1 files of rows and says where; sweeps (may
// be nil) name the configurations of a method run under several.
func writeReport(a *app, cfg *config.Config, rows []store.Row, sweeps []store.SweepEntry, versus ...string) error {
	files, err := report.Write(rows, sweeps, cfg.Run.ResultsDir, cfg.Run.PlotsDir, versus...)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(a.stderr, "report: wrote %s\n", strings.Join(files, ", "))
	return nil
}

// printSummary prints Table 1's cells from rows beside the paper's values.
func printSummary(a *app, rows []store.Row) {
	a.stdout.Write(report.Markdown(summary.Table1(rows)))
}
