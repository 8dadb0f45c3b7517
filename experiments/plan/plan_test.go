package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
)

func load(t *testing.T, sets ...string) (*config.Config, config.Layers) {
	t.Helper()
	l := config.Layers{Preset: "smoke", Sets: sets}
	cfg, err := config.Load(l, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	return cfg, l
}

func TestTable1(t *testing.T) {
	cfg, _ := load(t, `grid.methods=["kde","iforest"]`, `grid.datasets=["mnist"]`, "grid.rhos=[0,0.1]", "grid.normal_classes=[0,1,2]")
	p := Table1(cfg)
	keys := cfg.ProtocolGrid().Keys()
	if len(p) != 2*len(keys) {
		t.Fatalf("%d tasks, want 2 methods × %d experiments", len(p), len(keys))
	}
	for i, task := range p {
		k, m := keys[i/2], []string{"kde", "iforest"}[i%2]
		if task.Key != k || task.Method != m || task.ConfigHash != cfg.Hash(m) || task.Params != cfg.Methods[m] || task.Label != "" {
			t.Fatalf("task %d = %+v, want %v %s", i, task, k, m)
		}
	}
	if got := fmt.Sprint(p.Methods()); got != "[kde iforest]" {
		t.Errorf("Methods() = %s", got)
	}
	if h := p.Hashes(); len(h) != 2 || h["kde"] != cfg.Hash("kde") {
		t.Errorf("Hashes() = %v", h)
	}
}

// A plan's shards are the grid's shards (Shard.Keys) with every method of
// an experiment on one shard, and together they are the plan.
func TestPlanShards(t *testing.T) {
	cfg, _ := load(t, `grid.methods=["kde","iforest"]`, "grid.rhos=[0,0.1]", "grid.normal_classes=[0,1,2,3]")
	p := Table1(cfg)
	for _, n := range []int{1, 3, 5} {
		seen := map[string]int{}
		for i := 1; i <= n; i++ {
			s := p.Shard(Shard{i, n})
			want := Grid(cfg, Shard{i, n}.Keys(cfg.ProtocolGrid().Keys()), cfg.Grid.Methods, "")
			if fmt.Sprint(s) != fmt.Sprint(want) {
				t.Fatalf("shard %d/%d differs from the grid's shard", i, n)
			}
			for _, task := range s {
				seen[task.StoreKey().String()]++
			}
		}
		if len(seen) != len(p) {
			t.Errorf("%d shards cover %d of %d tasks", n, len(seen), len(p))
		}
		for k, c := range seen {
			if c != 1 {
				t.Errorf("%d shards: %s in %d shards", n, k, c)
			}
		}
	}
}

func TestCount(t *testing.T) {
	cfg, _ := load(t, `grid.methods=["kde"]`, `grid.datasets=["mnist"]`, "grid.rhos=[0]", "grid.normal_classes=[0,1,2,3]")
	p := Table1(cfg)
	if len(p) != 4 {
		t.Fatalf("%d tasks, want 4", len(p))
	}
	row := func(task Task, status store.Status, at string) store.Row {
		k := task.Key
		return store.Row{Dataset: k.Dataset, Method: task.Method, Rho: k.Rho, NormalClass: k.Normal, AnomalyClass: k.Anomaly,
			Seed: k.Seed, ConfigHash: task.ConfigHash, Status: status, FinishedAt: at}
	}
	other := row(p[0], store.OK, "t0")
	other.ConfigHash = "000000000000" // another configuration's run counts for nothing
	rows := []store.Row{
		other,
		row(p[0], store.OK, "t1"),
		row(p[1], store.Failed, "t1"), row(p[1], store.Diverged, "t2"),
		row(p[2], store.OK, "t1"), row(p[2], store.Failed, "t2"), // a later failed attempt does not undo a result
		row(p[3], store.Failed, "t1"),
	}
	ix := store.NewIndex(rows)
	if got, want := p.Count(ix), (Count{Total: 4, OK: 2, Diverged: 1, Failed: 1}); got != want {
		t.Errorf("Count = %+v, want %+v", got, want)
	}
	if got := p.Pending(ix); len(got) != 1 || got[0] != p[3] {
		t.Errorf("Pending = %v, want the failed one", got)
	}
	if got := p.Finished(ix); len(got) != 3 || got[0].FinishedAt != "t1" || got[1].Status != store.Diverged {
		t.Errorf("Finished = %+v", got)
	}
	if got := p.Count(store.NewIndex(nil)); got != (Count{Total: 4, Missing: 4}) || got.ToDo() != 4 {
		t.Errorf("empty index: %+v", got)
	}
	if got := (Count{1, 2, 3, 4, 5}).Add(Count{1, 1, 1, 1, 1}); got != (Count{2, 3, 4, 5, 6}) {
		t.Errorf("Add = %+v", got)
	}
}

func TestCountByCell(t *testing.T) {
	cfg, _ := load(t, `grid.methods=["kde","iforest"]`, `grid.datasets=["mnist"]`, "grid.rhos=[0,0.1]", "grid.normal_classes=[0,1]")
	p := Table1(cfg)
	row := func(task Task, status store.Status, commit string) store.Row {
		k := task.Key
		return store.Row{Dataset: k.Dataset, Method: task.Method, Rho: k.Rho, NormalClass: k.Normal, AnomalyClass: k.Anomaly,
			Seed: k.Seed, ConfigHash: task.ConfigHash, Status: status, GitCommit: commit, FinishedAt: "t1"}
	}
	var rows []store.Row
	for _, task := range p {
		switch {
		case task.Method == "kde" && task.Key.Rho == 0:
			rows = append(rows, row(task, store.OK, "abc-dirty"))
		case task.Method == "iforest" && task.Key.Rho == 0:
			rows = append(rows, row(task, store.Failed, "abc"))
		case task.Method == "kde":
			rows = append(rows, row(task, store.OK, "abc"))
		}
	}
	got := p.CountByCell(store.NewIndex(rows))
	n := len(p) / 4 // runs per cell
	want := []CellCount{
		{Cell{"kde", "mnist", 0}, Count{Total: n, OK: n}, n},
		{Cell{"iforest", "mnist", 0}, Count{Total: n, Failed: n}, 0},
		{Cell{"kde", "mnist", 0.1}, Count{Total: n, OK: n}, 0},
		{Cell{"iforest", "mnist", 0.1}, Count{Total: n, Missing: n}, 0},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CountByCell =\n%v\nwant\n%v", got, want)
	}
}

func TestSweep(t *testing.T) {
	_, base := load(t, `grid.datasets=["mnist"]`, "grid.normal_classes=[0,1]", "grid.rhos=[0,0.1]")
	reg := registry.Default()
	sw, err := NewSweep(base, reg, SweepSpec{Method: "ncae", Param: "sigma"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sw.Values, ","); got != "0.01,0.05,0.1,0.2,0.5,1" {
		t.Errorf("default values %s", got)
	}
	p := sw.Plan(Shard{})
	hashes := map[string]bool{}
	for i, cfg := range sw.Configs {
		if got := cfg.Grid.Rhos; len(got) != 1 || got[0] != SweepRho {
			t.Errorf("value %s: ρ %v, want the Figure 2 ρ only", sw.Values[i], got)
		}
		if fmt.Sprint(cfg.Grid.Methods) != "[ncae]" {
			t.Errorf("value %s: methods %v", sw.Values[i], cfg.Grid.Methods)
		}
		hashes[cfg.Hash("ncae")] = true
	}
	if len(hashes) != 6 || len(p) != 6*2 || p[0].Label != "sigma=0.01" || p[11].Label != "sigma=1" {
		t.Fatalf("%d hashes, %d tasks, labels %q … %q", len(hashes), len(p), p[0].Label, p[len(p)-1].Label)
	}
	if e := sw.Entries(); len(e) != 6 || e[2].Value != "0.1" || e[2].ConfigHash != p[4].ConfigHash || e[2].Rho != SweepRho {
		t.Errorf("entries %+v", e)
	}

	// ρ swept: the values are the grid's ρ, and the method's hash is one.
	rs, err := NewSweep(base, reg, SweepSpec{Method: "kde", Param: "rho", Values: []string{"0.05", " 0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := rs.Plan(Shard{}); len(p) != 4 || p[0].Key.Rho != 0.05 || p[3].Key.Rho != 0.2 || p[0].ConfigHash != p[3].ConfigHash {
		t.Errorf("ρ sweep plan %v", p)
	}
	// The user's ρ list is kept when asked.
	ks, err := NewSweep(base, reg, SweepSpec{Method: "ncae", Param: "tau", Values: []string{"0.1"}, KeepRhos: true})
	if err != nil || len(ks.Configs[0].Grid.Rhos) != 2 || len(ks.Entries()) != 2 {
		t.Errorf("KeepRhos: %v, %v", ks, err)
	}
	// A word value of a categorical parameter.
	if _, err := NewSweep(base, reg, SweepSpec{Method: "ncae", Param: "mining_similarity", Values: []string{"cosine", "euclidean"}}); err != nil {
		t.Errorf("categorical sweep: %v", err)
	}
}

func TestSweepRejects(t *testing.T) {
	_, base := load(t)
	reg := registry.Default()
	tests := []struct {
		spec SweepSpec
		want string
	}{
		{SweepSpec{Method: "ncae"}, "--param is required"},
		{SweepSpec{Method: "ncae", Param: "lr"}, "give --values"},
		{SweepSpec{Method: "ncae", Param: "sigma", Values: []string{"0.1", "a b"}}, `"a b" is neither a number nor a word`},
		{SweepSpec{Method: "ncae", Param: "sigma", Values: []string{""}}, "an empty value"},
		{SweepSpec{Method: "ncae", Param: "sigma", Values: []string{"-1"}}, "sigma"},
		{SweepSpec{Method: "ncae", Param: "no_such_key", Values: []string{"1"}}, "no_such_key"},
		{SweepSpec{Method: "kde", Param: "rho", Values: []string{"high"}}, `ρ "high" is not a number`},
		{SweepSpec{Method: "kde", Param: "rho", Values: []string{"0.1"}, KeepRhos: true}, "--rhos with --param rho"},
	}
	for _, tt := range tests {
		_, err := NewSweep(base, reg, tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want it to say %q", tt.spec, err, tt.want)
		}
	}
}

// Recorded keeps the entries whose hash the configuration reproduces.
func TestRecorded(t *testing.T) {
	_, base := load(t)
	reg := registry.Default()
	sw, err := NewSweep(base, reg, SweepSpec{Method: "ncae", Param: "sigma", Values: []string{"0.1", "0.5"}})
	if err != nil {
		t.Fatal(err)
	}
	entries := sw.Entries()
	retuned := withOverrides(base, config.Override{Key: "ncae.tau", Value: 0.3})
	old, err := NewSweep(retuned, reg, SweepSpec{Method: "ncae", Param: "sigma", Values: []string{"0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	renamed := store.SweepEntry{Param: "no_such_key", Value: "1", Method: "ncae", ConfigHash: "abc"}
	all := append(append(entries, old.Entries()...), renamed)
	mine, others := Recorded(base, reg, all)
	if len(mine) != len(entries) || others != 2 {
		t.Errorf("kept %d, left out %d; want %d and 2", len(mine), others, len(entries))
	}
	if base.Overrides != nil {
		t.Errorf("base layers changed: %v", base.Overrides)
	}
}
