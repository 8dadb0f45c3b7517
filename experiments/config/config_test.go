package config

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/external"
	"github.com/ncae-repro/ncae/model"
	"github.com/ncae-repro/ncae/protocol"
)

type fakeParams struct {
	Sigma     float64 `toml:"sigma"`
	Epochs    int     `toml:"epochs"`
	BatchSize int     `toml:"batch_size"`
	GANLR     float64 `toml:"gan_lr"`
	Deconv    string  `toml:"deconv_fan_in"`
}

func (p *fakeParams) Validate() error {
	if p.Sigma < 0 {
		return fmt.Errorf("sigma = %g: must be ≥ 0", p.Sigma)
	}
	return nil
}

// testRegistry knows the default method names, with "ncae" given parameters.
func testRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	var ms []registry.Method
	def := registry.Default()
	for _, n := range def.Names() {
		m, _ := def.Lookup(n)
		if n == "ncae" {
			m.NewParams = func() registry.Params { return &fakeParams{Sigma: 0.1, Epochs: 30} }
			m.New = func(registry.Params, registry.Env) (protocol.Detector, error) { return nil, nil }
		}
		ms = append(ms, m)
	}
	ms = append(ms, registry.Method{Name: "later", Pending: "issue #9"})
	r, err := registry.New(ms...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPresetsLoad(t *testing.T) {
	for _, name := range Presets() {
		for _, reg := range []*registry.Registry{registry.Default(), testRegistry(t)} {
			cfg, err := Load(Layers{Preset: name}, reg)
			if err != nil {
				t.Fatalf("preset %s: %v", name, err)
			}
			if n := len(cfg.ProtocolGrid().Keys()); n == 0 {
				t.Errorf("preset %s has an empty grid", name)
			}
		}
	}
	paper, _ := Load(Layers{Preset: "paper"}, registry.Default())
	if n := len(paper.ProtocolGrid().Keys()); n != 2*5*90 {
		t.Errorf("paper grid: %d experiments, want 900", n)
	}
}

func TestLayersOverride(t *testing.T) {
	file := filepath.Join(t.TempDir(), "my.toml")
	os.WriteFile(file, []byte("[grid]\nrhos = [0.05]\nseeds = [1, 2]\n[ncae]\nsigma = 0.5\nepochs = 3\n"), 0o644)
	cfg, err := Load(Layers{Preset: "smoke", File: file, Sets: []string{"ncae.sigma=0.2", "run.backend=xla:cuda", "grid.datasets=[\"fmnist\"]"}}, testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Methods["ncae"].(*fakeParams)
	switch {
	case p.Sigma != 0.2: // setting beats file
		t.Errorf("sigma = %v, want 0.2 from the setting", p.Sigma)
	case p.Epochs != 3: // file beats default
		t.Errorf("epochs = %v, want 3 from the file", p.Epochs)
	case !slices.Equal(cfg.Grid.Rhos, []float64{0.05}) || !slices.Equal(cfg.Grid.Seeds, []int{1, 2}):
		t.Errorf("grid from file: %+v", cfg.Grid)
	case cfg.Protocol.MaxTrainNormal != 300: // preset value kept
		t.Errorf("max_train_normal = %d, want the smoke preset's 300", cfg.Protocol.MaxTrainNormal)
	case cfg.Run.Backend != "xla:cuda":
		t.Errorf("backend = %q: an unquoted string setting should work", cfg.Run.Backend)
	case !slices.Equal(cfg.Grid.Datasets, []string{"fmnist"}):
		t.Errorf("datasets = %v", cfg.Grid.Datasets)
	}
	if got := cfg.Sources(); len(got) != 5 {
		t.Errorf("sources = %v, want preset, file and three settings", got)
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name    string
		layers  Layers
		wantKey string // the message must name this
	}{
		{"unknown preset", Layers{Preset: "huge"}, "huge"},
		{"unknown key", Layers{Sets: []string{"grid.rhoss=[0.1]"}}, "grid.rhoss"},
		{"unknown method key", Layers{Sets: []string{"ncae.sigmaa=1"}}, "ncae.sigmaa"},
		{"unknown section", Layers{Sets: []string{"foo.bar=1"}}, "[foo]"},
		{"unimplemented method section", Layers{Sets: []string{"later.sigma=1"}}, "not implemented"},
		{"rho = 1", Layers{Sets: []string{"grid.rhos=[0.1, 1.0]"}}, "grid.rhos[1]"},
		{"negative rho", Layers{Sets: []string{"grid.rhos=[-0.1]"}}, "grid.rhos[0]"},
		{"empty rhos", Layers{Sets: []string{"grid.rhos=[]"}}, "grid.rhos"},
		{"duplicate rho", Layers{Sets: []string{"grid.rhos=[0.1,0.1]"}}, "grid.rhos[1]"},
		{"negative sigma", Layers{Sets: []string{"ncae.sigma=-0.1"}}, "ncae.sigma"},
		{"empty normal classes", Layers{Sets: []string{"grid.normal_classes=[]"}}, "grid.normal_classes"},
		{"class 10", Layers{Sets: []string{"grid.anomaly_classes=[3, 10]"}}, "grid.anomaly_classes[1]"},
		{"no anomaly class left", Layers{Sets: []string{"grid.normal_classes=[4]", "grid.anomaly_classes=[4]"}}, "grid.anomaly_classes"},
		{"unknown data set", Layers{Sets: []string{"grid.datasets=[\"cifar10\"]"}}, "grid.datasets[0]"},
		{"unknown method", Layers{Sets: []string{"grid.methods=[\"svdd\"]"}}, "grid.methods[0]"},
		{"empty methods", Layers{Sets: []string{"grid.methods=[]"}}, "grid.methods"},
		{"empty seeds", Layers{Sets: []string{"grid.seeds=[]"}}, "grid.seeds"},
		{"bad mode", Layers{Sets: []string{"protocol.contamination=mixed"}}, "protocol.contamination"},
		{"negative subset", Layers{Sets: []string{"protocol.max_train_normal=-5"}}, "protocol.max_train_normal"},
		{"tiny test set", Layers{Sets: []string{"protocol.test_size=3"}}, "protocol.test_size"},
		{"validation fraction", Layers{Sets: []string{"protocol.validation_fraction=1.5"}}, "protocol.validation_fraction"},
		{"bad backend", Layers{Sets: []string{"run.backend=tpu"}}, "run.backend"},
		{"negative jobs", Layers{Sets: []string{"run.jobs=-1"}}, "run.jobs"},
		{"wrong type", Layers{Sets: []string{"grid.rhos=\"0.1\""}}, "grid"},
		{"setting without section", Layers{Sets: []string{"rhos=[0.1]"}}, "section.key=value"},
		{"setting without value", Layers{Sets: []string{"grid.rhos"}}, "section.key=value"},
		{"missing file", Layers{File: "/nonexistent/cfg.toml"}, "--config"},
		{"labelled ratio", Layers{Sets: []string{"protocol.labelled_anomalies=-0.1"}}, "protocol.labelled_anomalies"},
		{"labelled with single", Layers{Sets: []string{"protocol.contamination=single", `grid.methods=["deepsad", "kde"]`}}, "both the labelled and the contaminating"},
		{"external without section", Layers{Sets: []string{`grid.methods=["external:mine"]`}}, `no [external.mine] section`},
		{"external bad name", Layers{Sets: []string{`external."my det".command=["x"]`}}, "[external.my det]: a detector's name"},
		{"external no command", Layers{Sets: []string{`external.mine.version="2"`}}, "external.mine.command is empty"},
		{"external NaN param", Layers{Sets: []string{`external.knn.params.c=nan`}}, "external.knn.params.c = NaN"},
		{"external bad timeout", Layers{Sets: []string{`external.knn.timeout="1 hour"`}}, `external.knn.timeout = "1 hour"`},
		{"external unknown key", Layers{Sets: []string{`external.knn.comand=["x"]`}}, "external.knn.comand"},
		{"external not a table", Layers{Sets: []string{`external.knn=3`}}, "[external.knn]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.layers, testRegistry(t))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error %q does not name %q", err, tt.wantKey)
			}
		})
	}
}

func TestFileErrorNamesFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(file, []byte("[grid]\nrhos = [0.1,\n"), 0o644)
	_, err := Load(Layers{File: file}, testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("syntax error %v should name %s", err, file)
	}
}

func TestHash(t *testing.T) {
	reg := testRegistry(t)
	load := func(sets ...string) *Config {
		cfg, err := Load(Layers{Preset: "smoke", Sets: sets}, reg)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	base := load()
	h := base.Hash("ncae")
	if len(h) != 12 || h != load().Hash("ncae") {
		t.Fatalf("hash %q is not stable", h)
	}
	// The grid, the backend and the job count do not change what one run computes.
	if load("grid.rhos=[0.2]", "run.jobs=2", "run.backend=xla:cuda", "data.dir=/x").Hash("ncae") != h {
		t.Error("hash depends on grid or run settings")
	}
	if load("ncae.sigma=0.5").Hash("ncae") == h || load("protocol.test_size=100").Hash("ncae") == h {
		t.Error("hash ignores a parameter that changes results")
	}
	if load("ncae.sigma=0.5").Hash("kde") != base.Hash("kde") {
		t.Error("another method's parameter changed kde's hash")
	}
	if base.Hash("kde") == base.Hash("iforest") {
		t.Error("two methods share a hash")
	}
}

// TestCommittedHashes pins the config hashes of the committed shallow
// runs (results/paper/, results/): a change to a method's parameters or
// their encoding that moves them would orphan those runs, so it must be
// deliberate (new fields need `json:",omitempty"` to keep old hashes).
func TestCommittedHashes(t *testing.T) {
	reg := testRegistry(t)
	for _, tt := range []struct{ preset, method, hash string }{
		{"paper", "ocsvm", "936fa4a8b6ed"},
		{"paper", "kde", "3c6ad2c1ed3e"},
		{"paper", "iforest", "d824f17a1e31"},
		{"paper", "cae", "d3e03f1aecc5"},
		{"quick", "ocsvm", "96d3ee168f54"},
		{"quick", "kde", "1f95d4d3b65e"},
		{"quick", "iforest", "679b85f6ca51"},
		// The deep models and the semi-supervised columns, with the
		// registry's real parameter structs.
		{"quick", "cae", "4d431e58ec28"},
		{"quick", "ncae", "3fbd4fb33c6e"},
		{"quick", "ncae-noadv-euclid", "26d03f3c5bc7"},
		{"quick", "deepsvdd", "b0bcd95190ad"},
		{"quick", "deepsad", "7f97a8e7b6bd"},
		{"quick", "classifier", "2737713acc7b"},
		{"quick", "ssad", "e26bdfedd6a2"},
		{"quick", "external:knn", "2cd4e0ed6450"},
		{"quick", "external:iforest", "1015b88dad9f"},
	} {
		reg := reg
		if _, ok := reg.Lookup(tt.method); !ok || tt.method == "ncae" {
			reg = registry.Default() // testRegistry's ncae is a stand-in
		}
		cfg, err := Load(Layers{Preset: tt.preset, Sets: []string{fmt.Sprintf("grid.methods=[%q]", tt.method)}}, reg)
		if err != nil {
			t.Fatal(err)
		}
		if h := cfg.Hash(tt.method); h != tt.hash {
			t.Errorf("%s %s: hash %s, committed runs have %s", tt.preset, tt.method, h, tt.hash)
		}
	}
}

// TestLabelledAnomaliesOnlyForLabelTakers: the ratio reaches the protocol
// only when a method of the grid takes labels, and single mode is fine
// without one.
func TestLabelledAnomaliesOnlyForLabelTakers(t *testing.T) {
	reg := registry.Default()
	with, err := Load(Layers{Preset: "quick", Sets: []string{`grid.methods=["deepsad", "kde"]`}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	without, err := Load(Layers{Preset: "quick", Sets: []string{`grid.methods=["kde"]`}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	if with.ProtocolOptions().LabelledAnomalies != 0.05 || without.ProtocolOptions().LabelledAnomalies != 0 {
		t.Errorf("labelled anomalies: %v with deepsad, %v without", with.ProtocolOptions().LabelledAnomalies, without.ProtocolOptions().LabelledAnomalies)
	}
	if with.Hash("kde") != without.Hash("kde") {
		t.Error("kde's hash depends on whether deepsad is in the grid")
	}
	if _, err := Load(Layers{Preset: "quick", Sets: []string{"protocol.contamination=single", `grid.methods=["kde"]`}}, reg); err != nil {
		t.Errorf("single mode without a label-taking method: %v", err)
	}
}

func TestExternalSections(t *testing.T) {
	reg := registry.Default()
	base, err := Load(Layers{Preset: "smoke", Sets: []string{`grid.methods=["external:knn"]`}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := base.Methods["external:knn"].(*external.Params)
	if !ok || p.Command[1] != "detectors/knn.py" || p.Params["k"] != int64(5) || p.Timeout != "30m" {
		t.Fatalf("[external.knn] of the smoke preset decoded as %#v", base.Methods["external:knn"])
	}
	// In the hash: command, version, validation, params; not the timeout.
	for set, changes := range map[string]bool{
		`external.knn.params.k=7`:                      true,
		`external.knn.version="2"`:                     true,
		`external.knn.validation=true`:                 true,
		`external.knn.command=["python3", "other.py"]`: true,
		`external.knn.timeout="2h"`:                    false,
		`external.iforest.params.n_estimators=10`:      false,
		`external.knn.params.k=5`:                      false,
	} {
		cfg, err := Load(Layers{Preset: "smoke", Sets: []string{`grid.methods=["external:knn"]`, set}}, reg)
		if err != nil {
			t.Fatalf("%s: %v", set, err)
		}
		if got := cfg.Hash("external:knn") != base.Hash("external:knn"); got != changes {
			t.Errorf("%s: hash changed = %v, want %v", set, got, changes)
		}
	}
	// A new detector from a file, layered: a later setting adds a parameter.
	file := filepath.Join(t.TempDir(), "mine.toml")
	os.WriteFile(file, []byte("[grid]\nmethods = [\"external:mine\", \"kde\"]\n[external.mine]\ncommand = [\"./mine\"]\ntimeout = \"5m\"\n[external.mine.params]\nlr = 0.5\nlayers = [64, 32]\n"), 0o644)
	cfg, err := Load(Layers{Preset: "quick", File: file, Sets: []string{"external.mine.params.name=\"x\""}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	mine := cfg.Methods["external:mine"].(*external.Params)
	if mine.Timeout != "5m" || mine.Params["lr"] != 0.5 || mine.Params["name"] != "x" || len(mine.Params["layers"].([]any)) != 2 {
		t.Errorf("[external.mine] = %#v", mine)
	}
}

func TestTOMLRoundTrip(t *testing.T) {
	reg := testRegistry(t)
	cfg, err := Load(Layers{Preset: "smoke", Sets: []string{"ncae.sigma=0.3", `external.mine.command=["./mine"]`, "external.mine.params.k=3", `grid.methods=["external:mine", "ncae"]`}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	text, err := cfg.TOML()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "eff.toml")
	os.WriteFile(file, []byte(text), 0o644)
	again, err := Load(Layers{Preset: "paper", File: file}, reg)
	if err != nil {
		t.Fatalf("effective config does not load back: %v\n%s", err, text)
	}
	if again.Hash("ncae") != cfg.Hash("ncae") || again.Hash("external:mine") != cfg.Hash("external:mine") ||
		len(again.ProtocolGrid().Keys()) != len(cfg.ProtocolGrid().Keys()) {
		t.Error("effective config does not reproduce the configuration")
	}
}

// TestWith applies typed overrides: ints into floats, integral floats into
// ints, lists, embedded and external keys; and names the key on a mistake.
func TestWith(t *testing.T) {
	reg := registry.Default()
	cfg, err := Load(Layers{Preset: "quick", Overrides: []Override{
		{"grid.rhos", []float64{0.05, 0.2}},
		{"grid.seeds", []int{3}},
		{"run.jobs", 1},
		{"cae.epochs", 7.0}, // an integral float into an int, through the embedded AEParams
		{"ncae.sigma", 1},   // an int into a float
		{"external.mine.command", []string{"./mine"}},
		{"external.mine.params.k", 3},
	}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case !slices.Equal(cfg.Grid.Rhos, []float64{0.05, 0.2}) || !slices.Equal(cfg.Grid.Seeds, []int{3}) || cfg.Run.Jobs != 1:
		t.Errorf("grid %+v, run %+v", cfg.Grid, cfg.Run)
	case cfg.Methods["cae"].(*model.CAEParams).Epochs != 7 || cfg.Methods["ncae"].(*model.NCAEParams).Sigma != 1:
		t.Errorf("cae %+v, ncae sigma %v", cfg.Methods["cae"], cfg.Methods["ncae"].(*model.NCAEParams).Sigma)
	case cfg.Methods["external:mine"].(*external.Params).Params["k"] != 3:
		t.Errorf("external %+v", cfg.Methods["external:mine"])
	}
	// The same setting as text and as a value is the same configuration.
	text, err := Load(Layers{Preset: "quick", Sets: []string{"ncae.sigma=1"}}, reg)
	if err != nil {
		t.Fatal(err)
	}
	typed, _ := Load(Layers{Preset: "quick", Overrides: []Override{{"ncae.sigma", 1.0}}}, reg)
	if text.Hash("ncae") != typed.Hash("ncae") {
		t.Error("a typed override hashes differently from the same --set")
	}
	zero, _ := Load(Layers{Preset: "quick", Sets: []string{"ncae.tau=0"}}, reg)
	negZero, _ := Load(Layers{Preset: "quick", Overrides: []Override{{"ncae.tau", math.Copysign(0, -1)}, {"grid.rhos", []float64{math.Copysign(0, -1)}}}}, reg)
	if zero.Hash("ncae") != negZero.Hash("ncae") || math.Signbit(negZero.Grid.Rhos[0]) {
		t.Error("−0 is not taken as 0")
	}
	for _, tt := range []struct {
		o    Override
		want string
	}{
		{Override{"ncae.sigmaa", 1.0}, `ncae.sigmaa: unknown key "sigmaa"`},
		{Override{"ncae.tau", "x"}, `ncae.tau: "x": want a number`},
		{Override{"cae.epochs", 2.5}, "cae.epochs: 2.5 is not a whole number"},
		{Override{"grid.rhos", []string{"a"}}, `grid.rhos: [0]: "a": want a number`},
		{Override{"nosuch.key", 1}, "unknown section [nosuch]"},
		{Override{"grid", 1}, "want section.key"},
		{Override{"grid.rhos", 0.1}, "grid.rhos: 0.1: want a list of numbers"},
		{Override{"cae.epochs", 1e21}, "not a whole number in range"},
	} {
		if _, err := Load(Layers{Preset: "quick", Overrides: []Override{tt.o}}, reg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.o, err, tt.want)
		}
	}
}
