package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/slurm"
	"github.com/ncae-repro/ncae/experiments/store"
)

// slurmSweep is a sweep's configuration, plan and folder, as both
// subcommands see them.
type slurmSweep struct {
	cfg    *config.Config
	plan   plan.Plan
	folder slurm.Folder
	id     slurm.ID
}

// slurmFlags registers the flags both subcommands share.
func slurmFlags(fs *flag.FlagSet, cf *configFlags) (dir *string, shards *int) {
	cf.register(fs, true)
	dir = fs.String("dir", "", "the sweep's folder: config, binary, scripts, shard-K/ results, logs/ (default: <results_dir>/slurm)")
	shards = fs.Int("shards", 8, "array tasks: the grid is cut into this many shards")
	return dir, shards
}

func loadSlurmSweep(fs *flag.FlagSet, cf *configFlags, dir string, shards int) (*slurmSweep, error) {
	if shards < 1 {
		return nil, usageError{fmt.Errorf("--shards %d: want ≥ 1", shards)}
	}
	cfg, err := cf.load(fs, registry.Default())
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = filepath.Join(cfg.Run.ResultsDir, "slurm")
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if err := slurm.CheckDir(dir); err != nil {
		return nil, usageError{err}
	}
	p := plan.Table1(cfg)
	return &slurmSweep{cfg: cfg, plan: p, folder: slurm.Folder{Dir: dir},
		id: slurm.ID{Preset: cf.preset, Shards: shards, Hashes: p.Hashes()}}, nil
}

// status counts every shard's runs, those the results folder holds for it
// included (read, not opened: a dry run creates nothing).
func (s *slurmSweep) status() ([]slurm.ShardState, error) {
	inResults, err := store.ReadFile(s.resultsRuns())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return s.folder.Status(s.plan, s.id.Shards, store.NewIndex(inResults))
}

func (s *slurmSweep) resultsRuns() string { return filepath.Join(s.cfg.Run.ResultsDir, "runs.csv") }

// submission is what one `slurm` call submits.
type submission struct {
	tasks           []int // shards with runs to do
	toDo, reused    int
	array, merge    string // the batch scripts
	script          slurm.Sweep
	results, reuses string // the merged tables' folder; the note on reused runs
}

// newSubmission decides, from the shards' states, which array tasks run
// and writes their scripts.
func (s *slurmSweep) newSubmission(states []slurm.ShardState, o slurm.Options) submission {
	var sub submission
	for k, st := range states {
		if st.ToDo() > 0 {
			sub.tasks = append(sub.tasks, k+1)
			sub.toDo += st.ToDo()
		}
		sub.reused += len(st.Reuse)
	}
	sub.results, _ = filepath.Abs(s.cfg.Run.ResultsDir)
	sub.reuses = fmt.Sprintf("%d runs of this sweep are already in %s: they count as done and are copied into their shards, not run again", sub.reused, filepath.Join(sub.results, "runs.csv"))
	plots, _ := filepath.Abs(s.cfg.Run.PlotsDir)
	sub.script = slurm.Sweep{Dir: s.folder.Dir, Binary: filepath.Join(s.folder.Dir, "bin", "experiments"),
		Args:   []string{"--preset", s.id.Preset, "--config", filepath.Join(s.folder.Dir, "config.toml")},
		Shards: s.id.Shards, Tasks: sub.tasks,
		MergeOut: []string{"--results-dir", sub.results, "--plots-dir", plots}}
	sub.array, sub.merge = slurm.ArrayScript(sub.script, o), slurm.MergeScript(sub.script, o)
	return sub
}

func runSlurm(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 && args[0] == "status" {
		return runSlurmStatus(ctx, a, args[1:])
	}
	var cf configFlags
	fs := newFlagSet("slurm", "slurm [--shards N] [--dir D] [--partition P] [--time T] [--account A] [--cpus-per-task C] [--gpus G] [--sbatch OPT ...] [--dry-run] [--wait] [config flags]\n       go run ./experiments slurm status [--dir D] [config flags]", a.stderr)
	dir, shards := slurmFlags(fs, &cf)
	var o slurm.Options
	fs.StringVar(&o.Partition, "partition", "", "sbatch --partition (default: the cluster's)")
	fs.StringVar(&o.Time, "time", "", "sbatch --time per task, e.g. 4:00:00")
	fs.StringVar(&o.Account, "account", "", "sbatch --account")
	fs.IntVar(&o.CPUsPerTask, "cpus-per-task", 2, "sbatch --cpus-per-task; also the experiments each task runs in parallel")
	fs.IntVar(&o.GPUs, "gpus", 0, "sbatch --gpus per task (with --backend xla:cuda)")
	var extra stringList
	fs.Var(&extra, "sbatch", "one more sbatch option for both jobs, e.g. --sbatch=--mem=8G (repeatable)")
	dryRun := fs.Bool("dry-run", false, "print the scripts and the sbatch commands; submit and write nothing")
	wait := fs.Bool("wait", false, "after submitting, wait until the jobs have left the queue, then print the status")
	if err := parse(fs, args); err != nil {
		return err
	}
	o.Extra = extra
	if err := o.Validate(); err != nil {
		return usageError{err}
	}
	s, err := loadSlurmSweep(fs, &cf, *dir, *shards)
	if err != nil {
		return err
	}
	if o.JobName == "" {
		o.JobName = "ncae-" + s.id.Preset
	}
	if err := s.folder.CheckOwn(s.id); err != nil {
		return err
	}
	states, err := s.status()
	if err != nil {
		return err
	}
	sub := s.newSubmission(states, o)
	if *dryRun {
		printDryRun(a, s, sub)
		return nil
	}
	ids, err := s.submit(ctx, a, states, sub)
	if err != nil || !*wait {
		return err
	}
	if err := waitForJobs(ctx, ids); err != nil {
		return err
	}
	return s.printStatus(ctx, a)
}

// printDryRun prints the scripts and the sbatch commands a submission
// would run.
func printDryRun(a *app, s *slurmSweep, sub submission) {
	if sub.reused > 0 {
		fmt.Fprintf(a.stdout, "# %s\n", sub.reuses)
	}
	if len(sub.tasks) > 0 {
		fmt.Fprintf(a.stdout, "# %s (sbatch --parsable %s)\n%s\n", "array job: "+fmt.Sprint(sub.toDo)+" runs to do", filepath.Join(s.folder.Dir, "array.sbatch"), sub.array)
	}
	fmt.Fprintf(a.stdout, "# merge job (sbatch --parsable --dependency=afterany:<array job> %s)\n%s", filepath.Join(s.folder.Dir, "merge.sbatch"), sub.merge)
}

// submit writes the sweep's folder, copies the runs the results folder
// already has into their shards, and submits the array job (when a shard
// has runs to do) and the merge job after it. It returns the jobs' IDs.
func (s *slurmSweep) submit(ctx context.Context, a *app, states []slurm.ShardState, sub submission) ([]string, error) {
	if err := slurm.Available(); err != nil {
		return nil, err
	}
	if err := s.checkIdle(ctx); err != nil {
		return nil, err
	}
	text, err := s.cfg.TOML()
	if err != nil {
		return nil, err
	}
	bin, err := selfBinary()
	if err != nil {
		return nil, err
	}
	if err := s.folder.Prepare(s.id, text, bin, sub.array, sub.merge); err != nil {
		return nil, err
	}
	if err := s.folder.CopyRecorded(states); err != nil {
		return nil, err
	}
	if sub.reused > 0 {
		fmt.Fprintf(a.stderr, "slurm: %s\n", sub.reuses)
	}
	var ids, dep []string
	if len(sub.tasks) > 0 {
		id, err := slurm.Submit(ctx, filepath.Join(s.folder.Dir, "array.sbatch"))
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		s.recordJob(a, "array", id)
		dep = []string{"--dependency=afterany:" + id}
	}
	mergeID, err := slurm.Submit(ctx, filepath.Join(s.folder.Dir, "merge.sbatch"), dep...)
	if err != nil {
		return nil, fmt.Errorf("%w (the array job %v was submitted: merge later with 'experiments report %s %s/shard-*/runs.csv')", err, ids, strings.Join(sub.script.Args, " "), s.folder.Dir)
	}
	ids = append(ids, mergeID)
	s.recordJob(a, "merge", mergeID)
	if len(sub.tasks) > 0 {
		fmt.Fprintf(a.stderr, "slurm: submitted job array %s (shards %v of %d, %d runs to do) and merge job %s; merged tables go to %s\n",
			ids[0], sub.tasks, s.id.Shards, sub.toDo, mergeID, sub.results)
	} else {
		fmt.Fprintf(a.stderr, "slurm: every shard is complete; submitted merge job %s; merged tables go to %s\n", mergeID, sub.results)
	}
	fmt.Fprintf(a.stderr, "slurm: progress: experiments slurm status --dir %s %s\n", s.folder.Dir, strings.Join(sub.script.Args, " "))
	return ids, nil
}

// selfBinary returns this program's executable, copied for the jobs.
func selfBinary() ([]byte, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find this program to copy for the jobs: %w", err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		return nil, fmt.Errorf("cannot copy %s for the jobs: %w", self, err)
	}
	return bin, nil
}

// recordJob records a submitted job in the folder; a failure is reported,
// not fatal: the job runs either way.
func (s *slurmSweep) recordJob(a *app, kind, id string) {
	if err := s.folder.RecordJob(kind, id); err != nil {
		fmt.Fprintf(a.stderr, "slurm: could not record job %s: %v (slurm status will not see it)\n", id, err)
	}
}

// waitForJobs returns when none of ids is queued or running.
func waitForJobs(ctx context.Context, ids []string) error {
	for {
		active, err := slurm.Active(ctx, ids)
		if err != nil || len(active) == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// checkIdle refuses to submit while jobs of this sweep are still queued or
// running: their tasks would write the same shard folders.
func (s *slurmSweep) checkIdle(ctx context.Context) error {
	active, err := slurm.Active(ctx, s.folder.JobIDs())
	if err != nil || len(active) == 0 {
		return err
	}
	return fmt.Errorf("jobs %s of this sweep are still queued or running; wait for them (experiments slurm status --dir %s) or scancel them, then submit again",
		strings.Join(active, ", "), s.folder.Dir)
}

func runSlurmStatus(ctx context.Context, a *app, args []string) error {
	var cf configFlags
	fs := newFlagSet("slurm status", "slurm status [--dir D] [--shards N] [config flags]", a.stderr)
	dir, shards := slurmFlags(fs, &cf)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := loadSlurmSweep(fs, &cf, *dir, *shards)
	if err != nil {
		return err
	}
	if old, ok, err := s.folder.ReadID(); err == nil && ok && old.Shards != s.id.Shards && !flagSet(fs, "shards") {
		s.id.Shards = old.Shards // the folder knows its shard count
	}
	if err := s.folder.CheckOwn(s.id); err != nil {
		return err
	}
	return s.printStatus(ctx, a)
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// printStatus prints per shard how many runs are done, failed and missing,
// and which of the sweep's jobs are still in the queue.
func (s *slurmSweep) printStatus(ctx context.Context, a *app) error {
	states, err := s.status()
	if err != nil {
		return err
	}
	var sum plan.Count
	reused := 0
	w := a.stdout
	fmt.Fprintln(w, "| shard | runs | ok | diverged | failed | missing |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for k, c := range states {
		fmt.Fprintf(w, "| %d | %d | %d | %d | %d | %d |\n", k+1, c.Total, c.OK, c.Diverged, c.Failed, c.Missing)
		sum = sum.Add(c.Count)
		reused += len(c.Reuse)
	}
	fmt.Fprintf(w, "| all | %d | %d | %d | %d | %d |\n", sum.Total, sum.OK, sum.Diverged, sum.Failed, sum.Missing)
	if reused > 0 {
		fmt.Fprintf(w, "\n%d of the finished runs are only in %s so far; the next submission copies them into their shards.\n",
			reused, s.resultsRuns())
	}
	active, err := slurm.Active(ctx, s.folder.JobIDs())
	switch {
	case err != nil:
		fmt.Fprintf(a.stderr, "slurm status: %v (queue not checked)\n", err)
	case len(active) > 0:
		fmt.Fprintf(a.stderr, "slurm status: jobs %s still queued or running\n", strings.Join(active, ", "))
	case sum.ToDo() > 0:
		fmt.Fprintf(a.stderr, "slurm status: no job of this sweep in the queue; %d runs left: submit the same command again to run only those\n", sum.ToDo())
	default:
		fmt.Fprintf(a.stderr, "slurm status: complete\n")
	}
	return nil
}
