package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/report"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/experiments/stats"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/internal/provenance"
	"github.com/ncae-repro/ncae/protocol"
)

func runTable1(ctx context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("table1", "table1 [--preset smoke|quick|paper] [--config FILE] [--datasets ...] [--methods ...] [--rhos ...] [flags]", a.stderr)
	cf.register(fs, true)
	shardFlag := fs.String("shard", "", "run only slice `i/n` of the grid (n machines share a sweep; merge with report)")
	rerunDirty := fs.Bool("rerun-dirty", false, "also run again, from this committed tree, the runs whose recorded row came from a tree with uncommitted changes (git_commit …-dirty); the new rows count, the old stay in runs.csv, and the AUCs are compared (missing and failed runs run as always)")
	dryRun := fs.Bool("dry-run", false, "run nothing: print, per method, data set and ρ, the runs done, failed and left in runs.csv, and an estimate of the time left")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rerunDirty && cf.allowDirty {
		return usageError{errors.New("--rerun-dirty replaces rows from a modified tree with rows from a committed one: it cannot go with --allow-dirty")}
	}
	shard, err := plan.ParseShard(*shardFlag)
	if err != nil {
		return usageError{err}
	}
	reg := registry.Default()
	cfg, err := cf.load(fs, reg)
	if err != nil {
		return err
	}
	if *dryRun {
		return printPlanState(a, cfg, plan.Table1(cfg).Shard(shard), *rerunDirty)
	}
	r := newRunner(a, cfg, reg)
	r.External.Keep = cf.keep
	defer r.Backends.Close()
	if err := check(a, r, "table1", "run Table 1", cfg.Grid.Methods); err != nil {
		return err
	}
	if err := provenance.CheckRecordable(r.Commit, cfg.Run.ResultsDir, cf.allowDirty); err != nil {
		return err
	}
	r.RerunDirty = *rerunDirty // Sweep refuses it from a modified tree
	st, err := store.Open(filepath.Join(cfg.Run.ResultsDir, "runs.csv"))
	if err != nil {
		return err
	}
	p := plan.Table1(cfg).Shard(shard)
	var before map[store.Key]store.Row
	if *rerunDirty {
		if before, err = st.Finished(); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stderr, "table1: %d runs (%s, shard %s), results in %s\n", len(p), cfg.Sources()[0], shard, st.Path())
	sum, err := r.Sweep(ctx, st, p)
	fmt.Fprintf(a.stderr, "table1: %d run, %d already done, %d failed, %d diverged\n", sum.Ran, sum.Skipped, sum.Failed, sum.Diverged)
	rows, rowsErr := st.Rows()
	if *rerunDirty && rowsErr == nil {
		// Also after an interruption: say what the reruns so far showed.
		fmt.Fprintf(a.stderr, "table1: --rerun-dirty: %s\n", compareReruns(p, before, store.NewIndex(rows).Finished()))
	}
	if err != nil {
		return err
	}
	if rowsErr != nil {
		return rowsErr
	}
	mine, _ := configRows(cfg, rows)
	printSummary(a, mine)
	return writeReport(a, cfg, mine, nil)
}

// printPlanState prints, without running or creating anything, how far p
// has got in cfg's runs.csv: a Markdown table of cells, then the runs left
// and the run time they may take (each cell's runs left times the median
// train + score seconds of the method's finished runs on that data set).
func printPlanState(a *app, cfg *config.Config, p plan.Plan, rerunDirty bool) error {
	path := filepath.Join(cfg.Run.ResultsDir, "runs.csv")
	rows, err := store.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	ix := store.NewIndex(rows)
	seconds := map[[2]string][]float64{} // method, data set → run times of finished runs
	for _, r := range p.Finished(ix) {
		if r.Status == store.OK {
			k := [2]string{r.Method, r.Dataset}
			seconds[k] = append(seconds[k], r.TrainSeconds+r.ScoreSeconds)
		}
	}
	fmt.Fprintf(a.stdout, "%d runs (%s), recorded in %s\n\n", len(p), cfg.Sources()[0], path)
	fmt.Fprintln(a.stdout, "| method | data set | ρ | runs | ok | diverged | failed | missing | dirty | median run, s |")
	fmt.Fprintln(a.stdout, "|---|---|---|---|---|---|---|---|---|---|")
	var total plan.Count
	var dirty, unknown int
	var left float64
	for _, c := range p.CountByCell(ix) {
		median := math.NaN()
		if s := seconds[[2]string{c.Method, c.Dataset}]; len(s) > 0 {
			median = stats.Median(s)
		}
		todo := c.ToDo()
		if rerunDirty {
			todo += c.Dirty
		}
		if todo > 0 && math.IsNaN(median) {
			unknown += todo
		} else if todo > 0 {
			left += float64(todo) * median
		}
		med := "—"
		if !math.IsNaN(median) {
			med = fmt.Sprintf("%.0f", median)
		}
		fmt.Fprintf(a.stdout, "| %s | %s | %s | %d | %d | %d | %d | %d | %d | %s |\n", c.Method, c.Dataset,
			protocol.FormatRho(c.Rho), c.Total, c.OK, c.Diverged, c.Failed, c.Missing, c.Dirty, med)
		total = total.Add(c.Count)
		dirty += c.Dirty
	}
	todo := total.ToDo()
	what := fmt.Sprintf("%d missing, %d failed", total.Missing, total.Failed)
	if rerunDirty {
		todo += dirty
		what += fmt.Sprintf(", %d from a modified tree", dirty)
	}
	fmt.Fprintf(a.stdout, "\n%d of %d runs to do (%s)", todo, total.Total, what)
	if unknown > 0 {
		fmt.Fprintf(a.stdout, "; %d of them of a method with no finished run on the data set to time them by", unknown)
	}
	if left > 0 {
		fmt.Fprintf(a.stdout, "; ≈ %.1f h of run time summed over the others at the medians above (a run's recorded seconds; two runs sharing the cores each take about twice as long, so at --jobs 2 the wall time is about half the sum)", left/3600)
	}
	fmt.Fprintln(a.stdout)
	return nil
}

// compareReruns says how the runs of p that were recorded from a modified
// tree (dirty rows in before) came out when run again (their rows in
// after): how many gave the same AUC to the last bit, how many another
// (and the largest difference), how many changed status (ok ↔ diverged)
// and how many are not rerun yet.
func compareReruns(p plan.Plan, before, after map[store.Key]store.Row) string {
	var same, differ, changed, left int
	var worst float64
	var worstKey store.Key
	for _, t := range p {
		k := t.StoreKey()
		old, ok := before[k]
		if !ok || !old.Dirty() {
			continue
		}
		now, ok := after[k]
		switch {
		case !ok || now.Dirty():
			left++
		case now.Status != old.Status:
			changed++
		case now.AUC == old.AUC || (math.IsNaN(now.AUC) && math.IsNaN(old.AUC)):
			same++
		default:
			differ++
			if d := math.Abs(now.AUC - old.AUC); d > worst {
				worst, worstKey = d, k
			}
		}
	}
	msg := fmt.Sprintf("%d dirty runs rerun: AUC identical in %d, different in %d", same+differ+changed, same, differ)
	if differ > 0 {
		msg += fmt.Sprintf(" (largest |Δ| %.2g points, %s)", 100*worst, worstKey)
	}
	if changed > 0 {
		msg += fmt.Sprintf(", status changed (ok ↔ diverged) in %d", changed)
	}
	if left > 0 {
		msg += fmt.Sprintf("; %d still to rerun", left)
	}
	return msg
}

// check fails with "cannot <doing>: …" when one of methods cannot run, and
// logs the deep models' backend as the command's (name's) first line.
func check(a *app, r *runner.Runner, name, doing string, methods []string) error {
	desc, err := r.Check(methods)
	if err != nil {
		return fmt.Errorf("cannot %s: %w", doing, err)
	}
	if desc != "" {
		fmt.Fprintf(a.stderr, "%s: %s\n", name, desc)
	}
	return nil
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
	rows, sweeps, err := readRecorded(filepath.Join(cfg.Run.ResultsDir, "runs.csv"), fs.Args())
	if err != nil {
		return err
	}
	table := rows
	if !*allConfigs {
		var others int
		table, others = configRows(cfg, rows)
		if others > 0 {
			fmt.Fprintf(a.stderr, "report: Table 1 leaves out %d runs of other settings (sweeps, --set); --all-configs includes them\n", others)
		}
		base, err := cf.layers(fs)
		if err != nil {
			return err
		}
		sweeps, others = plan.Recorded(base, registry.Default(), sweeps)
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

// readRecorded reads the runs of own (may be missing: no runs yet) and of
// the merged files (must exist), with the sweep entries recorded beside
// each. A finished run in two of the files (a Slurm shard holds copies of
// runs the results folder already had) is counted once.
func readRecorded(own string, merged []string) ([]store.Row, []store.SweepEntry, error) {
	var lists [][]store.Row
	var sweeps []store.SweepEntry
	for i, f := range append([]string{own}, merged...) {
		rs, err := store.ReadFile(f)
		if i == 0 && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		lists = append(lists, rs)
		// A sweep records beside its runs.csv which config hash meant which value.
		sw, err := store.ReadSweeps(filepath.Join(filepath.Dir(f), "sweeps.csv"))
		if err != nil {
			return nil, nil, err
		}
		sweeps = append(sweeps, sw...)
	}
	rows := store.NewIndex(lists...).Rows()
	if len(rows) == 0 {
		return nil, nil, errors.New("no recorded runs yet; run table1 first")
	}
	return rows, sweeps, nil
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
