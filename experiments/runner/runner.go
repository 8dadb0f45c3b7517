// Package runner executes plans: it draws each experiment's data once,
// evaluates the plan's methods on it, and records every outcome in the
// results store, skipping runs that are already recorded. What it does is
// reported to an Observer. Cancelling the context stops it between runs
// (and inside a run whose method honours the context); what was recorded
// stays recorded.
package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/external"
	"github.com/ncae-repro/ncae/model"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
)

// Runner runs experiments under one configuration's protocol, data and run
// settings; the methods' parameters come with each task.
type Runner struct {
	Config   *config.Config
	Registry *registry.Registry
	Data     *Data
	Commit   string           // recorded in each row
	Now      func() time.Time // nil means time.Now
	// Backends shares GoMLX backends between runs; nil opens one per run.
	Backends *backend.Pool
	// Observer, when set, is told of every training epoch and finished run.
	Observer Observer
	// External says where external detectors' folders go and whether they
	// stay after the run.
	External external.Options
	// RerunDirty makes Sweep run again the runs whose recorded row is
	// Dirty (made from a tree with uncommitted changes); the new rows
	// supersede them (store.Append), so Commit must be a clean one.
	RerunDirty bool

	observeMu sync.Mutex // calls to Observer, one at a time
}

// Observer is told what the runner does. The runner calls it from one
// goroutine at a time, so an implementation needs no locking of its own.
type Observer interface {
	// Epoch reports a finished training epoch of a deep model's run.
	Epoch(t plan.Task, r model.EpochReport)
	// Finished reports a finished run and the progress of the sweep.
	Finished(e Event)
}

// Event reports a finished run and the progress of the sweep it is part of.
type Event struct {
	Done, Total int // runs finished in this sweep (skipped ones excluded) and to do
	Task        plan.Task
	Row         store.Row
	// ETA is the estimated time left (see etaEstimator); HasETA is false
	// until a run has finished.
	ETA     time.Duration
	HasETA  bool
	Elapsed time.Duration
}

// Summary counts what a sweep did.
type Summary struct {
	Skipped, Ran, Failed, Diverged int
}

// Backend returns the GoMLX backend runs will use: the config's run.backend,
// else $GOMLX_BACKEND, else backend.Default.
func (r *Runner) Backend() string { return backend.FromEnv(r.Config.Run.Backend) }

// Check returns an error naming the first method that cannot run. When a
// method is a deep model, it opens the backend and returns its description
// (name, kernel, workers) for the log; otherwise the description is "".
func (r *Runner) Check(methods []string) (string, error) {
	deep := false
	for _, m := range methods {
		method, err := r.Registry.Runnable(m)
		if err != nil {
			return "", err
		}
		deep = deep || method.UsesBackend
	}
	// Open the backend once here, so that a missing plugin is one error
	// before the sweep rather than a failed row per run.
	if deep && r.Backends != nil {
		b, err := r.Backends.Get(r.Backend())
		if err != nil {
			return "", err
		}
		jobs := r.jobs()
		return fmt.Sprintf("deep models on backend %s: %s; up to %d runs at once, sharing the %d cores", b.Spec, b.Description(), jobs, runtime.GOMAXPROCS(0)), nil
	}
	return "", nil
}

// Experiment draws the data of one experiment.
func (r *Runner) Experiment(key protocol.Key) (*protocol.Experiment, error) {
	ds, err := r.Data.Get(key.Dataset)
	if err != nil {
		return nil, err
	}
	return protocol.Build(ds, key, r.Config.ProtocolOptions())
}

// observe calls f with the observer, if any, holding the observer's lock.
func (r *Runner) observe(f func(Observer)) {
	if r.Observer == nil {
		return
	}
	r.observeMu.Lock()
	defer r.observeMu.Unlock()
	f(r.Observer)
}

// Evaluate runs task on exp (the experiment of task.Key), on every core,
// and returns its row. It returns an error only when ctx was cancelled
// (there is then nothing to record); a failing or diverging method gives a
// row with that status.
func (r *Runner) Evaluate(ctx context.Context, exp *protocol.Experiment, task plan.Task) (store.Row, error) {
	row, _, err := r.EvaluateScores(ctx, exp, task)
	return row, err
}

// EvaluateScores is Evaluate that also returns the test scores, one per
// test sample in exp's test order (nil unless the row's status is ok).
func (r *Runner) EvaluateScores(ctx context.Context, exp *protocol.Experiment, task plan.Task) (store.Row, []float64, error) {
	return r.evaluate(ctx, exp, task, 0)
}

// evaluate is EvaluateScores with the detector told to use workers
// goroutines (protocol.Parallel) when workers > 0.
func (r *Runner) evaluate(ctx context.Context, exp *protocol.Experiment, task plan.Task, workers int) (store.Row, []float64, error) {
	row := store.Row{
		Dataset: exp.Key.Dataset, Method: task.Method, Rho: exp.Key.Rho, NormalClass: exp.Key.Normal,
		AnomalyClass: exp.Key.Anomaly, Seed: exp.Key.Seed, ConfigHash: task.ConfigHash,
		AUC: math.NaN(), AUPR: math.NaN(), TrainSeconds: math.NaN(), ScoreSeconds: math.NaN(),
		Backend: "cpu", GitCommit: r.Commit, NTrain: exp.Train.N, NAnomaliesTrain: exp.AnomaliesTrain, NTest: exp.Test.N,
	}
	m, err := r.Registry.Runnable(task.Method)
	if err != nil {
		return row, nil, err
	}
	if m.UsesBackend {
		row.Backend = backend.Label(r.Backend())
	}
	finish := func(status store.Status, err error) store.Row {
		row.Status = status
		if err != nil {
			row.Error = err.Error()
		}
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		row.FinishedAt = now().UTC().Format(time.RFC3339)
		return row
	}
	env := registry.Env{Key: exp.Key, Seed: exp.Key.MethodSeed(), Backend: r.Backend(), Backends: r.Backends,
		Protocol: r.Config.ProtocolOptions(), External: r.External}
	if r.Observer != nil {
		env.Epoch = func(rep model.EpochReport) { r.observe(func(o Observer) { o.Epoch(task, rep) }) }
	}
	det, err := m.New(task.Params, env)
	if err != nil {
		return finish(store.Failed, fmt.Errorf("build detector: %w", err)), nil, nil
	}
	if p, ok := det.(protocol.Parallel); ok && workers > 0 {
		p.SetWorkers(workers)
	}
	out, err := protocol.Evaluate(ctx, det, exp)
	if c, ok := det.(protocol.Closer); ok {
		c.Close() // the outcome is all the row needs
	}
	row.TrainSeconds, row.ScoreSeconds, row.Info = out.TrainSeconds, out.ScoreSeconds, out.Info
	switch {
	case ctx.Err() != nil:
		return row, nil, ctx.Err()
	case errors.Is(err, protocol.ErrDiverged):
		return finish(store.Diverged, err), nil, nil
	case err != nil:
		return finish(store.Failed, err), nil, nil
	}
	row.AUC, row.AUPR = out.AUC, out.AUPR
	return finish(store.OK, nil), out.Scores, nil
}

// DefaultJobs is the number of parallel experiments when the config says 0:
// one per CPU core. Measured on 2 cores (quick preset, 8 MNIST NCAE+CAE
// experiments): 2 jobs took 125 s against 158 s for 1; 3 jobs ran each
// experiment ~3.5× slower, since a deep model keeps ~1.4 cores busy.
func DefaultJobs() int { return max(runtime.GOMAXPROCS(0), 1) }

// jobs is the number of experiments the config runs at once.
func (r *Runner) jobs() int {
	if r.Config.Run.Jobs > 0 {
		return r.Config.Run.Jobs
	}
	return DefaultJobs()
}

// WorkersPerRun is this one place's rule for sharing the cores: jobs
// experiments at once each get an equal share (at least one goroutine),
// so that jobs × workers stays within the cores instead of every run
// fanning out to all of them. A sweep applies it as each experiment
// starts, to the experiments then left, so that the last ones get the
// cores the others have freed.
func WorkersPerRun(jobs int) int { return max(runtime.GOMAXPROCS(0)/max(jobs, 1), 1) }

// Sweep runs every task of p not yet finished in st, with Config.Run.Jobs
// workers, records each row as soon as it is done and tells the Observer.
func (r *Runner) Sweep(ctx context.Context, st *store.Store, p plan.Plan) (Summary, error) {
	var sum Summary
	for _, m := range p.Methods() {
		if _, err := r.Registry.Runnable(m); err != nil {
			return sum, err
		}
	}
	done, err := st.Finished()
	if err != nil {
		return sum, err
	}
	if r.RerunDirty {
		if (store.Row{GitCommit: r.Commit}).Dirty() {
			return sum, fmt.Errorf("rerunning runs recorded from a modified tree needs a committed one, and this is %s: commit or stash the changes", r.Commit)
		}
		maps.DeleteFunc(done, func(_ store.Key, row store.Row) bool { return row.Dirty() })
	}
	groups, skipped := groupPending(p, done)
	sum.Skipped = skipped
	if err := r.loadData(groups); err != nil {
		return sum, err
	}
	jobs := r.jobs()
	jobs = min(jobs, max(len(groups), 1)) // no more workers than experiments left
	s := &sweep{r: r, st: st, sum: sum, total: len(p) - skipped, start: time.Now(),
		eta: newETAEstimator(slices.Concat(groups...)), jobs: jobs, left: len(groups)}
	return s.run(ctx, groups, jobs)
}

// groupPending returns the tasks of p not in done, grouped by experiment
// (each is drawn once) with the first experiment of each data set first
// (firstOfEachDatasetFirst), and how many tasks were done.
func groupPending(p plan.Plan, done map[store.Key]store.Row) (groups [][]plan.Task, skipped int) {
	index := map[protocol.Key]int{}
	for _, t := range p {
		if _, ok := done[t.StoreKey()]; ok {
			skipped++
			continue
		}
		i, ok := index[t.Key]
		if !ok {
			i = len(groups)
			index[t.Key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], t)
	}
	return firstOfEachDatasetFirst(groups), skipped
}

// loadData loads every data set the groups need before the first run, so
// that a missing or damaged file stops the sweep at the door rather than
// after hours of runs on the other data set.
func (r *Runner) loadData(groups [][]plan.Task) error {
	loaded := map[string]bool{}
	for _, g := range groups {
		if ds := g[0].Key.Dataset; !loaded[ds] {
			loaded[ds] = true
			if _, err := r.Data.Get(ds); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweep is the state one Sweep shares between its workers.
type sweep struct {
	r     *Runner
	st    *store.Store
	total int
	start time.Time
	jobs  int // workers running experiments

	mu       sync.Mutex // guards the fields below
	left     int        // experiments not finished
	sum      Summary
	eta      *etaEstimator
	firstErr error
}

// run feeds the groups to jobs workers and waits for them.
func (s *sweep) run(ctx context.Context, groups [][]plan.Task, jobs int) (Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan []plan.Task)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for group := range next {
				if err := s.runGroup(ctx, group); err != nil {
					s.fail(err)
					cancel()
					return
				}
			}
		}()
	}
feed:
	for _, g := range groups {
		select {
		case next <- g:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if s.firstErr != nil && !errors.Is(s.firstErr, context.Canceled) {
		return s.sum, s.firstErr
	}
	return s.sum, ctx.Err()
}

func (s *sweep) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// runGroup draws one experiment and runs its tasks, recording each row,
// each run on its share of the cores among the experiments left.
func (s *sweep) runGroup(ctx context.Context, group []plan.Task) error {
	s.mu.Lock()
	workers := WorkersPerRun(min(s.jobs, s.left))
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.left--
		s.mu.Unlock()
	}()
	exp, err := s.r.Experiment(group[0].Key)
	if err != nil {
		return fmt.Errorf("%s: %w", group[0].Key, err)
	}
	for _, t := range group {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		row, _, err := s.r.evaluate(ctx, exp, t, workers)
		if err != nil {
			return err
		}
		if err := s.st.Append(row); err != nil {
			return err
		}
		s.finished(t, row)
	}
	return nil
}

// finished counts a recorded run and tells the observer.
func (s *sweep) finished(t plan.Task, row store.Row) {
	s.mu.Lock()
	s.sum.Ran++
	switch row.Status {
	case store.Failed:
		s.sum.Failed++
	case store.Diverged:
		s.sum.Diverged++
	}
	elapsed := time.Since(s.start)
	took := row.TrainSeconds + row.ScoreSeconds
	if math.IsNaN(took) { // a run that failed before training
		took = 0
	}
	s.eta.finished(t, time.Duration(took*float64(time.Second)))
	left, hasLeft := s.eta.left(elapsed)
	e := Event{Done: s.sum.Ran, Total: s.total, Task: t, Row: row, Elapsed: elapsed, ETA: left, HasETA: hasLeft}
	s.r.observe(func(o Observer) { o.Finished(e) }) // under s.mu: events arrive in order of Done
	s.mu.Unlock()
}
