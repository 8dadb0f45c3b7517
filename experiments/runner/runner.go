// Package runner executes experiments: it draws each experiment's data once,
// evaluates the requested methods on it, and records every outcome in the
// results store, skipping runs that are already recorded. Cancelling the
// context stops it between runs (and inside a run whose method honours the
// context); what was recorded stays recorded.
package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/external"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
)

// Runner runs experiments under one configuration.
type Runner struct {
	Config   *config.Config
	Registry *registry.Registry
	Data     *Data
	Commit   string           // recorded in each row
	Now      func() time.Time // nil means time.Now
	// Backends shares GoMLX backends between runs; nil opens one per run.
	Backends *backend.Pool
	// Progress, when set, receives per-epoch lines of deep models.
	Progress func(task Task, line string)
	// External says where external detectors' folders go and whether they
	// stay after the run.
	External external.Options
}

// Task is one run: a method on an experiment.
type Task struct {
	Key        protocol.Key
	Method     string
	ConfigHash string
}

// StoreKey returns the task's key in the results store.
func (t Task) StoreKey() store.Key {
	return store.Key{Experiment: t.Key, Method: t.Method, ConfigHash: t.ConfigHash}
}

func (t Task) String() string { return t.Key.String() + " " + t.Method }

// Tasks expands keys × methods, methods varying fastest.
func (r *Runner) Tasks(keys []protocol.Key, methods []string) []Task {
	tasks := make([]Task, 0, len(keys)*len(methods))
	for _, k := range keys {
		for _, m := range methods {
			tasks = append(tasks, Task{Key: k, Method: m, ConfigHash: r.Config.Hash(m)})
		}
	}
	return tasks
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
		return fmt.Sprintf("deep models on backend %s: %s", b.Spec, b.Description()), nil
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

// Evaluate runs method on exp and returns its row. It returns an error only
// when ctx was cancelled (there is then nothing to record); a failing or
// diverging method gives a row with that status.
func (r *Runner) Evaluate(ctx context.Context, exp *protocol.Experiment, method string) (store.Row, error) {
	task := Task{Key: exp.Key, Method: method, ConfigHash: r.Config.Hash(method)}
	row := store.Row{
		Dataset: exp.Key.Dataset, Method: method, Rho: exp.Key.Rho, NormalClass: exp.Key.Normal,
		AnomalyClass: exp.Key.Anomaly, Seed: exp.Key.Seed, ConfigHash: task.ConfigHash,
		AUC: math.NaN(), AUPR: math.NaN(), TrainSeconds: math.NaN(), ScoreSeconds: math.NaN(),
		Backend: "cpu", GitCommit: r.Commit, NTrain: exp.Train.N, NAnomaliesTrain: exp.AnomaliesTrain, NTest: exp.Test.N,
	}
	m, err := r.Registry.Runnable(method)
	if err != nil {
		return row, err
	}
	if m.UsesBackend {
		row.Backend = backend.Label(r.Backend())
	}
	finish := func(status string, err error) store.Row {
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
	if r.Progress != nil {
		env.Progress = func(line string) { r.Progress(task, line) }
	}
	det, err := m.New(r.Config.Methods[method], env)
	if err != nil {
		return finish(store.Failed, fmt.Errorf("build detector: %w", err)), nil
	}
	out, err := protocol.Evaluate(ctx, det, exp)
	if c, ok := det.(protocol.Closer); ok {
		c.Close() // the outcome is all the row needs
	}
	row.TrainSeconds, row.ScoreSeconds, row.Info = out.TrainSeconds, out.ScoreSeconds, out.Info
	switch {
	case ctx.Err() != nil:
		return row, ctx.Err()
	case errors.Is(err, protocol.ErrDiverged):
		return finish(store.Diverged, err), nil
	case err != nil:
		return finish(store.Failed, err), nil
	}
	row.AUC, row.AUPR = out.AUC, out.AUPR
	return finish(store.OK, nil), nil
}

// Event reports progress: a run finished (Row set) or was skipped.
type Event struct {
	Done, Total int // runs finished in this sweep (skipped ones excluded) and to do
	Task        Task
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

// DefaultJobs is the number of parallel experiments when the config says 0:
// one per CPU core. Measured on 2 cores (quick preset, 8 MNIST NCAE+CAE
// experiments): 2 jobs took 125 s against 158 s for 1; 3 jobs ran each
// experiment ~3.5× slower, since a deep model keeps ~1.4 cores busy.
func DefaultJobs() int { return max(runtime.NumCPU(), 1) }

// Sweep runs every task not yet finished in st, with Config.Run.Jobs workers,
// and records each row as soon as it is done. progress, if not nil, is
// called after each run (from one goroutine at a time).
func (r *Runner) Sweep(ctx context.Context, st *store.Store, tasks []Task, progress func(Event)) (Summary, error) {
	var sum Summary
	methods := map[string]bool{}
	for _, t := range tasks {
		if !methods[t.Method] {
			methods[t.Method] = true
			if _, err := r.Registry.Runnable(t.Method); err != nil {
				return sum, err
			}
		}
	}
	done, err := st.Finished()
	if err != nil {
		return sum, err
	}
	// Group the remaining tasks by experiment so each is drawn once.
	var groups [][]Task
	index := map[protocol.Key]int{}
	for _, t := range tasks {
		if _, ok := done[t.StoreKey()]; ok {
			sum.Skipped++
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
	total := len(tasks) - sum.Skipped
	groups = firstOfEachDatasetFirst(groups)
	var todo []Task
	for _, g := range groups {
		todo = append(todo, g...)
	}
	// Load every data set the remaining runs need before the first of them,
	// so that a missing or damaged file stops the sweep at the door rather
	// than after hours of runs on the other data set.
	loaded := map[string]bool{}
	for _, t := range todo {
		if !loaded[t.Key.Dataset] {
			loaded[t.Key.Dataset] = true
			if _, err := r.Data.Get(t.Key.Dataset); err != nil {
				return sum, err
			}
		}
	}
	eta := newETAEstimator(todo)
	jobs := r.Config.Run.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		start    = time.Now()
		next     = make(chan []Task)
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for group := range next {
				exp, err := r.Experiment(group[0].Key)
				if err != nil {
					fail(fmt.Errorf("%s: %w", group[0].Key, err))
					return
				}
				for _, t := range group {
					if ctx.Err() != nil {
						return
					}
					row, err := r.Evaluate(ctx, exp, t.Method)
					if err != nil {
						fail(err)
						return
					}
					if err := st.Append(row); err != nil {
						fail(err)
						return
					}
					mu.Lock()
					sum.Ran++
					switch row.Status {
					case store.Failed:
						sum.Failed++
					case store.Diverged:
						sum.Diverged++
					}
					elapsed := time.Since(start)
					eta.finished(t, time.Duration((row.TrainSeconds+row.ScoreSeconds)*float64(time.Second)))
					left, hasLeft := eta.left(elapsed)
					if progress != nil {
						progress(Event{Done: sum.Ran, Total: total, Task: t, Row: row, Elapsed: elapsed, ETA: left, HasETA: hasLeft})
					}
					mu.Unlock()
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
	if firstErr != nil && !errors.Is(firstErr, context.Canceled) {
		return sum, firstErr
	}
	return sum, ctx.Err()
}
