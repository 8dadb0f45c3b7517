package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/model"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/idx"
)

// synthetic is a small stand-in for MNIST: 2×2 images whose brightness grows
// with the class, 60 training and 20 test images per class.
func synthetic() *datasets.Dataset {
	mk := func(perClass int) (*idx.Images, []byte) {
		im := &idx.Images{Count: 10 * perClass, Rows: 2, Cols: 2}
		var labels []byte
		for i := 0; i < im.Count; i++ {
			c := byte(i % 10)
			labels = append(labels, c)
			im.Pixels = append(im.Pixels, 20*c, 20*c+byte(i%7), 3, byte(i%11))
		}
		return im, labels
	}
	ds := &datasets.Dataset{Spec: datasets.MNIST()}
	ds.TrainImages, ds.TrainLabels = mk(60)
	ds.TestImages, ds.TestLabels = mk(20)
	return ds
}

type noiseParams struct {
	Noise float64 `toml:"noise"`
}

func (noiseParams) Validate() error { return nil }

// noisy scores by brightness plus seeded noise, so its AUC depends on the seed.
type noisy struct {
	noise   float64
	rng     *protocol.Rand
	onFit   func() error
	status  string
	workers int // as SetWorkers was told; 0 if never
}

func (d *noisy) Fit(ctx context.Context, _ protocol.Samples) error {
	if d.onFit != nil {
		if err := d.onFit(); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (d *noisy) Score(_ context.Context, s protocol.Samples) ([]float64, error) {
	out := make([]float64, s.N)
	for i := range out {
		out[i] = float64(s.Row(i)[0]) + d.noise*255*d.rng.Float64()
	}
	return out, nil
}

func (d *noisy) Info() map[string]string {
	return map[string]string{"noise": fmt.Sprint(d.noise), "workers": fmt.Sprint(d.workers)}
}

func (d *noisy) SetWorkers(n int) { d.workers = n }

// setup returns a runner over the synthetic data set with methods "noisy",
// "broken" (fails), "nan" (diverges), "later" (pending) and the real deep models.
func setup(t *testing.T, onFit func() error, sets ...string) *Runner {
	t.Helper()
	newNoisy := func(p registry.Params, env registry.Env) (protocol.Detector, error) {
		return &noisy{noise: p.(*noiseParams).Noise, rng: protocol.NewRand(env.Seed, "noise"), onFit: onFit}, nil
	}
	methods := []registry.Method{
		registry.Method{Name: "noisy", NewParams: func() registry.Params { return &noiseParams{Noise: 0.5} }, New: newNoisy},
		registry.Method{Name: "broken", NewParams: func() registry.Params { return &noiseParams{} },
			New: func(registry.Params, registry.Env) (protocol.Detector, error) {
				return nil, errors.New("out of cheese")
			}},
		registry.Method{Name: "nan", NewParams: func() registry.Params { return &noiseParams{} },
			New: func(p registry.Params, env registry.Env) (protocol.Detector, error) {
				return &noisy{onFit: func() error { return fmt.Errorf("epoch 3: %w", protocol.ErrDiverged) }}, nil
			}},
		registry.Method{Name: "later", Pending: "issue #99"},
	}
	// The quick preset has sections for the deep models: take them as they are.
	def := registry.Default()
	for _, name := range []string{"ncae", "ncae-ganlr", "ncae-code", "ncae-noadv", "ncae-noadv-euclid", "cae", "deepsvdd", "deepsad", "classifier"} {
		m, ok := def.Lookup(name)
		if !ok {
			t.Fatalf("default registry lacks %s", name)
		}
		methods = append(methods, m)
	}
	reg, err := registry.New(methods...)
	if err != nil {
		t.Fatal(err)
	}
	base := []string{`grid.datasets=["mnist"]`, `grid.methods=["noisy"]`, "grid.rhos=[0.1,0.2]",
		"grid.normal_classes=[0,1,2]", "grid.anomalies_per_normal=2", "protocol.max_train_normal=0", "protocol.test_size=0"}
	cfg, err := config.Load(config.Layers{Preset: "quick", Sets: append(base, sets...)}, reg)
	if err != nil {
		t.Fatal(err)
	}
	d := NewData(nil)
	d.sets["mnist"] = synthetic()
	return &Runner{Config: cfg, Registry: reg, Data: d, Commit: "test"}
}

func (r *Runner) allTasks() plan.Plan { return plan.Table1(r.Config) }

// counter is an Observer that counts what it is told.
type counter struct{ epochs, finished int }

func (c *counter) Epoch(plan.Task, model.EpochReport) { c.epochs++ }
func (c *counter) Finished(Event)                     { c.finished++ }

func TestSweepRecordsAndSkips(t *testing.T) {
	r := setup(t, nil)
	st, _ := store.Open(filepath.Join(t.TempDir(), "runs.csv"))
	tasks := r.allTasks()
	if len(tasks) != 12 {
		t.Fatalf("%d tasks, want 2 ρ × 3 classes × 2 anomaly classes = 12", len(tasks))
	}
	var events counter
	r.Observer = &events
	sum, err := r.Sweep(context.Background(), st, tasks)
	if err != nil || sum.Ran != 12 || events.finished != 12 {
		t.Fatalf("first sweep: %+v, %d events, %v", sum, events.finished, err)
	}
	first, _ := st.Rows()
	// The second run trains nothing and leaves the file as it was.
	sum, err = r.Sweep(context.Background(), st, tasks)
	if err != nil || sum.Ran != 0 || sum.Skipped != 12 {
		t.Fatalf("second sweep: %+v, %v", sum, err)
	}
	again, _ := st.Rows()
	if len(again) != len(first) {
		t.Errorf("second sweep changed the store: %d rows, was %d", len(again), len(first))
	}
	for _, row := range first {
		if row.Status != store.OK || row.AUC <= 0.5 || row.Info["noise"] != "0.5" || row.NTest != 200 || row.Backend != "cpu" {
			t.Errorf("row %+v", row)
		}
	}
	// A changed parameter is a different computation: nothing is skipped.
	r2 := setup(t, nil, "noisy.noise=0.9")
	if sum, _ := r2.Sweep(context.Background(), st, r2.allTasks()); sum.Skipped != 0 || sum.Ran != 12 {
		t.Errorf("changed parameter: %+v", sum)
	}
}

// TestRerunDirty: rows from a modified tree are skipped like any other
// unless RerunDirty is set; then they are run again, the new rows count and
// the old ones stay in the file.
func TestRerunDirty(t *testing.T) {
	r := setup(t, nil)
	st, _ := store.Open(filepath.Join(t.TempDir(), "runs.csv"))
	tasks := r.allTasks()
	r.Commit = "abc123-dirty"
	if sum, err := r.Sweep(context.Background(), st, tasks[:5]); err != nil || sum.Ran != 5 {
		t.Fatalf("dirty sweep: %+v, %v", sum, err)
	}
	r.Commit = "abc124"
	if sum, err := r.Sweep(context.Background(), st, tasks); err != nil || sum.Ran != 7 || sum.Skipped != 5 {
		t.Fatalf("sweep without RerunDirty: %+v, %v", sum, err)
	}
	r.RerunDirty = true
	r.Commit = "abc124-dirty"
	if _, err := r.Sweep(context.Background(), st, tasks); err == nil || !strings.Contains(err.Error(), "needs a committed one") {
		t.Fatalf("rerun from a modified tree: %v", err)
	}
	r.Commit = "abc124"
	if sum, err := r.Sweep(context.Background(), st, tasks); err != nil || sum.Ran != 5 || sum.Skipped != 7 {
		t.Fatalf("sweep with RerunDirty: %+v, %v", sum, err)
	}
	if sum, err := r.Sweep(context.Background(), st, tasks); err != nil || sum.Ran != 0 {
		t.Fatalf("second sweep with RerunDirty: %+v, %v", sum, err)
	}
	rows, _ := st.Rows()
	done, _ := st.Finished()
	if len(rows) != 17 || len(done) != 12 {
		t.Fatalf("%d rows, %d keys done; want 17 and 12", len(rows), len(done))
	}
	old := map[store.Key]float64{}
	for _, row := range rows[:5] {
		old[row.Key()] = row.AUC
	}
	for k, row := range done {
		if row.Dirty() {
			t.Errorf("%s: the dirty row still counts", k)
		}
		if auc, ok := old[k]; ok && auc != row.AUC {
			t.Errorf("%s: rerun AUC %v, dirty row's %v (same code, same key)", k, row.AUC, auc)
		}
	}
}

func TestDeterministicAUC(t *testing.T) {
	r := setup(t, nil)
	key := protocol.Key{Dataset: "mnist", Normal: 1, Anomaly: 2, Seed: 0, Rho: 0.2}
	auc := func(k protocol.Key) float64 {
		exp, err := r.Experiment(k)
		if err != nil {
			t.Fatal(err)
		}
		row, err := r.Evaluate(context.Background(), exp, plan.NewTask(r.Config, k, "noisy"))
		if err != nil || row.Status != store.OK {
			t.Fatalf("%+v %v", row, err)
		}
		return row.AUC
	}
	a, b := auc(key), auc(key)
	if a != b {
		t.Errorf("same key, AUC %v then %v", a, b)
	}
	key.Seed = 1
	if c := auc(key); c == a {
		t.Errorf("seeds 0 and 1 give the same AUC %v: the seed is not used", a)
	}
}

func TestInterruptedSweepResumes(t *testing.T) {
	for _, jobs := range []int{1, 2} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var fits atomic.Int32
			r := setup(t, func() error {
				if fits.Add(1) == 5 {
					cancel() // Ctrl-C during the fifth run
				}
				return nil
			}, fmt.Sprintf("run.jobs=%d", jobs))
			st, _ := store.Open(filepath.Join(t.TempDir(), "runs.csv"))
			sum, err := r.Sweep(ctx, st, r.allTasks())
			if !errors.Is(err, context.Canceled) || sum.Ran >= 12 {
				t.Fatalf("interrupted sweep: %+v, %v", sum, err)
			}
			before, _ := st.Rows()
			if len(before) != sum.Ran {
				t.Errorf("%d rows recorded, summary says %d", len(before), sum.Ran)
			}
			sum, err = r.Sweep(context.Background(), st, r.allTasks())
			if err != nil || sum.Skipped != len(before) || sum.Ran != 12-len(before) {
				t.Fatalf("resume: %+v, %v (had %d rows)", sum, err, len(before))
			}
			rows, _ := st.Rows()
			seen := map[store.Key]bool{}
			for _, row := range rows {
				if seen[row.Key()] {
					t.Errorf("%s recorded twice", row.Key())
				}
				seen[row.Key()] = true
			}
			if len(seen) != 12 {
				t.Errorf("%d distinct runs, want 12", len(seen))
			}
		})
	}
}

func TestFailuresAreRecorded(t *testing.T) {
	r := setup(t, nil, `grid.methods=["broken","nan","noisy"]`, "grid.rhos=[0.1]", "grid.normal_classes=[0]", "grid.anomalies_per_normal=1")
	st, _ := store.Open(filepath.Join(t.TempDir(), "runs.csv"))
	sum, err := r.Sweep(context.Background(), st, r.allTasks())
	if err != nil || sum.Ran != 3 || sum.Failed != 1 || sum.Diverged != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	rows, _ := st.Rows()
	for _, row := range rows {
		switch row.Method {
		case "broken":
			if row.Status != store.Failed || !strings.Contains(row.Error, "out of cheese") {
				t.Errorf("broken: %+v", row)
			}
		case "nan":
			if row.Status != store.Diverged || !strings.Contains(row.Error, "epoch 3") {
				t.Errorf("nan: %+v", row)
			}
		}
	}
	// The failed run is retried by the next sweep; the diverged one is final.
	if sum, _ := r.Sweep(context.Background(), st, r.allTasks()); sum.Ran != 1 || sum.Skipped != 2 {
		t.Errorf("rerun: %+v", sum)
	}
}

func TestPendingMethodRefused(t *testing.T) {
	r := setup(t, nil, `grid.methods=["noisy","later"]`)
	st, _ := store.Open(filepath.Join(t.TempDir(), "runs.csv"))
	_, err := r.Sweep(context.Background(), st, r.allTasks())
	if err == nil || !strings.Contains(err.Error(), "issue #99") {
		t.Errorf("error %v should say the method is pending (issue #99)", err)
	}
	if rows, _ := st.Rows(); len(rows) != 0 {
		t.Errorf("%d rows written before refusing", len(rows))
	}
}

func TestMissingDataRefusedBeforeAnyRun(t *testing.T) {
	// One worker: without the check, MNIST runs first and is recorded.
	r := setup(t, nil, `grid.datasets=["mnist","fmnist"]`, "run.jobs=1")
	// MNIST is in memory; Fashion-MNIST is looked for in empty folders.
	r.Data.loc = &datasets.Locator{DataDir: t.TempDir(), ModCache: t.TempDir(), SystemDir: t.TempDir()}
	st, _ := store.Open(filepath.Join(t.TempDir(), "runs.csv"))
	_, err := r.Sweep(context.Background(), st, r.allTasks())
	if err == nil || !strings.Contains(err.Error(), "fmnist") {
		t.Fatalf("error %v should name the missing data set fmnist", err)
	}
	if rows, _ := st.Rows(); len(rows) != 0 {
		t.Errorf("%d MNIST rows written before refusing the missing Fashion-MNIST", len(rows))
	}
}

// TestWorkersShareTheCores: in a sweep every run is told its share of the
// cores (WorkersPerRun of the jobs running at once, or of the experiments
// left when fewer); a lone Evaluate is told nothing and uses them all.
func TestWorkersShareTheCores(t *testing.T) {
	cores := runtime.GOMAXPROCS(0)
	for _, jobs := range []int{1, 2, 64} {
		r := setup(t, nil, fmt.Sprintf("run.jobs=%d", jobs))
		st, _ := store.Open(filepath.Join(t.TempDir(), "runs.csv"))
		if _, err := r.Sweep(context.Background(), st, r.allTasks()); err != nil {
			t.Fatal(err)
		}
		rows, _ := st.Rows()
		least := max(cores/min(jobs, 12), 1) // 12 experiments in the grid
		for _, row := range rows {
			var got int
			fmt.Sscan(row.Info["workers"], &got)
			if got < least || got > cores {
				t.Fatalf("jobs %d on %d cores: a run was told %d workers, want %d to %d", jobs, cores, got, least, cores)
			}
		}
	}
	r := setup(t, nil)
	key := protocol.Key{Dataset: "mnist", Normal: 1, Anomaly: 2, Rho: 0.2}
	exp, err := r.Experiment(key)
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Evaluate(context.Background(), exp, plan.NewTask(r.Config, key, "noisy"))
	if err != nil || row.Info["workers"] != "0" {
		t.Errorf("Evaluate: workers %q, %v; want it left to the detector (0)", row.Info["workers"], err)
	}
	if got := WorkersPerRun(0); got != cores {
		t.Errorf("WorkersPerRun(0) = %d, want all %d cores", got, cores)
	}
}
