package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/experiments/slurm"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/internal/atomicfile"
)

// sweepID identifies a Slurm sweep's configuration in its folder, so that a
// resubmission can tell its own sweep from another.
type sweepID struct {
	Preset string            `json:"preset"`
	Shards int               `json:"shards"`
	Hashes map[string]string `json:"config_hashes"` // method → config hash
}

// slurmSweep is a sweep's folder and configuration, as both subcommands
// see them.
type slurmSweep struct {
	cfg    *config.Config
	dir    string
	id     sweepID
	preset string
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
	s := &slurmSweep{cfg: cfg, dir: dir, preset: cf.preset,
		id: sweepID{Preset: cf.preset, Shards: shards, Hashes: map[string]string{}}}
	for _, m := range cfg.Grid.Methods {
		s.id.Hashes[m] = cfg.Hash(m)
	}
	return s, nil
}

// checkOwn fails when the folder holds a sweep of another configuration or
// shard count: its shards would not partition this grid.
func (s *slurmSweep) checkOwn() error {
	b, err := os.ReadFile(filepath.Join(s.dir, "sweep.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var old sweepID
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("%s: %v; remove the folder or use another --dir", filepath.Join(s.dir, "sweep.json"), err)
	}
	same := old.Preset == s.id.Preset && old.Shards == s.id.Shards && len(old.Hashes) == len(s.id.Hashes)
	for m, h := range s.id.Hashes {
		same = same && old.Hashes[m] == h
	}
	if !same {
		return fmt.Errorf("%s holds a sweep of another configuration (preset %s, %d shards, hashes %v; this one: preset %s, %d shards, hashes %v); use another --dir, or the same settings as that sweep",
			s.dir, old.Preset, old.Shards, old.Hashes, s.id.Preset, s.id.Shards, s.id.Hashes)
	}
	return nil
}

// shardCount is the state of one shard's runs, those the results folder
// holds for it included.
type shardCount struct {
	total, ok, diverged, failed, missing int
	// reuse holds finished runs of the shard's tasks that the results
	// folder has and the shard's own runs.csv lacks; they count as done and
	// are copied into the shard before a submission, so no task reruns them.
	reuse []store.Row
}

// counts reads every shard's runs.csv, and the results folder's, and
// counts the shard's runs.
func (s *slurmSweep) counts(a *app) ([]shardCount, error) {
	r := newRunner(a, s.cfg, registry.Default())
	keys := s.cfg.ProtocolGrid().Keys()
	out := make([]shardCount, s.id.Shards)
	// The results folder's finished runs (read, not opened: a dry run
	// creates nothing), the last one of a key winning as in summary.Latest.
	inResults, err := store.ReadFile(filepath.Join(s.cfg.Run.ResultsDir, "runs.csv"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	recorded := store.NewIndex(inResults).Finished()
	for k := 1; k <= s.id.Shards; k++ {
		tasks := r.Tasks(runner.Shard{I: k, N: s.id.Shards}.Keys(keys), s.cfg.Grid.Methods)
		rows, err := store.ReadFile(filepath.Join(s.dir, fmt.Sprintf("shard-%d", k), "runs.csv"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("shard %d: %w", k, err)
		}
		last := store.NewIndex(rows)
		c := &out[k-1]
		c.total = len(tasks)
		for _, t := range tasks {
			row, seen := last.Get(t.StoreKey())
			if done, ok := recorded[t.StoreKey()]; ok && (!seen || !row.Final()) {
				row, seen = done, true
				c.reuse = append(c.reuse, done)
			}
			switch {
			case !seen:
				c.missing++
			case row.Status == store.OK:
				c.ok++
			case row.Status == store.Diverged:
				c.diverged++
			default:
				c.failed++
			}
		}
	}
	return out, nil
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
		o.JobName = "ncae-" + s.preset
	}
	if err := s.checkOwn(); err != nil {
		return err
	}
	counts, err := s.counts(a)
	if err != nil {
		return err
	}
	var todo []int
	missing, reused := 0, 0
	for k, c := range counts {
		if c.missing+c.failed > 0 {
			todo = append(todo, k+1)
			missing += c.missing + c.failed
		}
		reused += len(c.reuse)
	}
	results, _ := filepath.Abs(s.cfg.Run.ResultsDir)
	reuseNote := fmt.Sprintf("%d runs of this sweep are already in %s: they count as done and are copied into their shards, not run again", reused, filepath.Join(results, "runs.csv"))
	plots, _ := filepath.Abs(s.cfg.Run.PlotsDir)
	sw := slurm.Sweep{Dir: s.dir, Binary: filepath.Join(s.dir, "bin", "experiments"),
		Args:   []string{"--preset", s.preset, "--config", filepath.Join(s.dir, "config.toml")},
		Shards: s.id.Shards, Tasks: todo,
		MergeOut: []string{"--results-dir", results, "--plots-dir", plots}}
	arrayScript, mergeScript := slurm.ArrayScript(sw, o), slurm.MergeScript(sw, o)
	if *dryRun {
		if reused > 0 {
			fmt.Fprintf(a.stdout, "# %s\n", reuseNote)
		}
		if len(todo) > 0 {
			fmt.Fprintf(a.stdout, "# %s (sbatch --parsable %s)\n%s\n", "array job: "+fmt.Sprint(missing)+" runs to do", filepath.Join(s.dir, "array.sbatch"), arrayScript)
		}
		fmt.Fprintf(a.stdout, "# merge job (sbatch --parsable --dependency=afterany:<array job> %s)\n%s", filepath.Join(s.dir, "merge.sbatch"), mergeScript)
		return nil
	}
	if err := slurm.Available(); err != nil {
		return err
	}
	if err := s.checkIdle(ctx); err != nil {
		return err
	}
	if err := s.prepare(arrayScript, mergeScript); err != nil {
		return err
	}
	if err := s.copyRecorded(counts); err != nil {
		return err
	}
	if reused > 0 {
		fmt.Fprintf(a.stderr, "slurm: %s\n", reuseNote)
	}
	var ids []string
	dep := []string(nil)
	if len(todo) > 0 {
		id, err := slurm.Submit(ctx, filepath.Join(s.dir, "array.sbatch"))
		if err != nil {
			return err
		}
		ids = append(ids, id)
		s.recordJob("array", id)
		dep = []string{"--dependency=afterany:" + id}
	}
	mergeID, err := slurm.Submit(ctx, filepath.Join(s.dir, "merge.sbatch"), dep...)
	if err != nil {
		return fmt.Errorf("%w (the array job %v was submitted: merge later with 'experiments report %s %s/shard-*/runs.csv')", err, ids, strings.Join(sw.Args, " "), s.dir)
	}
	ids = append(ids, mergeID)
	s.recordJob("merge", mergeID)
	if len(todo) > 0 {
		fmt.Fprintf(a.stderr, "slurm: submitted job array %s (shards %v of %d, %d runs to do) and merge job %s; merged tables go to %s\n",
			ids[0], todo, s.id.Shards, missing, mergeID, results)
	} else {
		fmt.Fprintf(a.stderr, "slurm: every shard is complete; submitted merge job %s; merged tables go to %s\n", mergeID, results)
	}
	fmt.Fprintf(a.stderr, "slurm: progress: experiments slurm status --dir %s %s\n", s.dir, strings.Join(sw.Args, " "))
	if !*wait {
		return nil
	}
	for {
		active, err := slurm.Active(ctx, ids)
		if err != nil {
			return err
		}
		if len(active) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	return s.printStatus(ctx, a)
}

// checkIdle refuses to submit while jobs of this sweep are still queued or
// running: their tasks would write the same shard folders.
func (s *slurmSweep) checkIdle(ctx context.Context) error {
	ids := s.jobIDs()
	active, err := slurm.Active(ctx, ids)
	if err != nil || len(active) == 0 {
		return err
	}
	return fmt.Errorf("jobs %s of this sweep are still queued or running; wait for them (experiments slurm status --dir %s) or scancel them, then submit again",
		strings.Join(active, ", "), s.dir)
}

// prepare writes the sweep's folder: identity, configuration, binary,
// scripts.
func (s *slurmSweep) prepare(arrayScript, mergeScript string) error {
	for _, d := range []string{s.dir, filepath.Join(s.dir, "logs"), filepath.Join(s.dir, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	text, err := s.cfg.TOML()
	if err != nil {
		return err
	}
	id, _ := json.MarshalIndent(s.id, "", "  ")
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this program to copy for the jobs: %w", err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		return fmt.Errorf("cannot copy %s for the jobs: %w", self, err)
	}
	files := []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{"sweep.json", append(id, '\n'), 0o644},
		{"config.toml", []byte(text), 0o644},
		{filepath.Join("bin", "experiments"), bin, 0o755},
		{"array.sbatch", []byte(arrayScript), 0o755},
		{"merge.sbatch", []byte(mergeScript), 0o755},
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(s.dir, f.name), f.data, f.perm); err != nil {
			return err
		}
	}
	return nil
}

// copyRecorded appends to each shard's runs.csv the finished runs counts
// found for it in the results folder.
func (s *slurmSweep) copyRecorded(counts []shardCount) error {
	for k, c := range counts {
		if len(c.reuse) == 0 {
			continue
		}
		st, err := store.Open(filepath.Join(s.dir, fmt.Sprintf("shard-%d", k+1), "runs.csv"))
		if err != nil {
			return err
		}
		for _, row := range c.reuse {
			// A duplicate is a run a task finished since counts read the shard.
			if err := st.Append(row); err != nil && !errors.Is(err, store.ErrDuplicate) {
				return fmt.Errorf("%s: %w", st.Path(), err)
			}
		}
	}
	return nil
}

// recordJob appends a submitted job to the sweep's jobs file.
func (s *slurmSweep) recordJob(kind, id string) {
	f, err := os.OpenFile(filepath.Join(s.dir, "jobs"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%s %s %s\n", kind, id, time.Now().UTC().Format(time.RFC3339))
	f.Close()
}

// jobIDs returns every job recorded for the sweep.
func (s *slurmSweep) jobIDs() []string {
	f, err := os.Open(filepath.Join(s.dir, "jobs"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 {
			ids = append(ids, fields[1])
		}
	}
	return ids
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
	if b, err := os.ReadFile(filepath.Join(s.dir, "sweep.json")); err == nil {
		var old sweepID
		if json.Unmarshal(b, &old) == nil && old.Shards != s.id.Shards && !flagSet(fs, "shards") {
			s.id.Shards = old.Shards // the folder knows its shard count
		}
	}
	if err := s.checkOwn(); err != nil {
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
	counts, err := s.counts(a)
	if err != nil {
		return err
	}
	var sum shardCount
	w := a.stdout
	fmt.Fprintln(w, "| shard | runs | ok | diverged | failed | missing |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for k, c := range counts {
		fmt.Fprintf(w, "| %d | %d | %d | %d | %d | %d |\n", k+1, c.total, c.ok, c.diverged, c.failed, c.missing)
		sum.total += c.total
		sum.ok += c.ok
		sum.diverged += c.diverged
		sum.failed += c.failed
		sum.missing += c.missing
		sum.reuse = append(sum.reuse, c.reuse...)
	}
	fmt.Fprintf(w, "| all | %d | %d | %d | %d | %d |\n", sum.total, sum.ok, sum.diverged, sum.failed, sum.missing)
	if len(sum.reuse) > 0 {
		fmt.Fprintf(w, "\n%d of the finished runs are only in %s so far; the next submission copies them into their shards.\n",
			len(sum.reuse), filepath.Join(s.cfg.Run.ResultsDir, "runs.csv"))
	}
	active, err := slurm.Active(ctx, s.jobIDs())
	switch {
	case err != nil:
		fmt.Fprintf(a.stderr, "slurm status: %v (queue not checked)\n", err)
	case len(active) > 0:
		fmt.Fprintf(a.stderr, "slurm status: jobs %s still queued or running\n", strings.Join(active, ", "))
	case sum.missing+sum.failed > 0:
		fmt.Fprintf(a.stderr, "slurm status: no job of this sweep in the queue; %d runs left: submit the same command again to run only those\n", sum.missing+sum.failed)
	default:
		fmt.Fprintf(a.stderr, "slurm status: complete\n")
	}
	return nil
}
