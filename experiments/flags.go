package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// configFlags are the flags every command shares: where the configuration
// comes from and the keys users change most.
type configFlags struct {
	preset, file string
	sets         stringList
	dataDir      string
	backend      string
	jobs         int
	resultsDir   string
	plotsDir     string
	keep         bool // external detectors keep their folders
	// overrides are the command's own typed settings (run's one method,
	// a sweep's value), applied after the flags.
	overrides  []config.Override
	allowDirty bool // record from a modified tree into a committed results folder
	// grid flags, registered only by commands that run a grid
	datasets, methods, rhos, seeds, normals string
}

func newFlagSet(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./experiments %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

func (c *configFlags) register(fs *flag.FlagSet, grid bool) {
	fs.StringVar(&c.preset, "preset", "quick", "embedded preset: "+strings.Join(config.Presets(), ", "))
	fs.StringVar(&c.file, "config", "", "TOML file applied over the preset")
	fs.Var(&c.sets, "set", "`key=value` applied over the file, e.g. --set ncae.sigma=0.2 (repeatable)")
	fs.StringVar(&c.dataDir, "data-dir", "", "folder with the IDX files (plain, mnist/, fmnist/, MNIST/raw, FashionMNIST/raw); default $NCAE_DATA_DIR, then the GoMNIST module and /usr/share/datasets")
	fs.StringVar(&c.backend, "backend", "", "GoMLX backend: "+backend.Names+" (default $GOMLX_BACKEND, else "+backend.Default+")")
	fs.IntVar(&c.jobs, "jobs", -1, "experiments run in parallel (default: the config's run.jobs)")
	fs.StringVar(&c.resultsDir, "results-dir", "", "where runs.csv and the tables go (default: the config's run.results_dir)")
	fs.StringVar(&c.plotsDir, "plots-dir", "", "where the PNG plots go (default: the config's run.plots_dir)")
	fs.BoolVar(&c.allowDirty, "allow-dirty", false, "record runs made from a working tree with uncommitted changes into a results folder git tracks (rows marked -dirty)")
	fs.BoolVar(&c.keep, "keep", false, "external detectors: keep each run's folder (its path is in the run's info as \"folder\"; default: removed after the run)")
	if grid {
		fs.StringVar(&c.datasets, "datasets", "", "comma-separated data sets: "+strings.Join(datasets.Names(), ","))
		fs.StringVar(&c.methods, "methods", "", "comma-separated methods")
		fs.StringVar(&c.rhos, "rhos", "", "comma-separated contamination ratios, e.g. 0,0.05,0.2")
		fs.StringVar(&c.seeds, "seeds", "", "comma-separated replicate seeds")
		fs.StringVar(&c.normals, "normal-classes", "", "comma-separated normal classes")
	}
}

// load builds the configuration: preset, file, --set, then the flags and
// the command's own overrides, as typed values.
func (c *configFlags) load(fs *flag.FlagSet, reg *registry.Registry) (*config.Config, error) {
	layers, err := c.layers(fs)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(layers, reg)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// layers returns where the configuration comes from: the preset, file and
// --set flags, then the flags that set keys and the command's own
// overrides, as typed values.
func (c *configFlags) layers(fs *flag.FlagSet) (config.Layers, error) {
	var overrides []config.Override
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		var o config.Override
		switch f.Name {
		case "data-dir":
			o = config.Override{Key: "data.dir", Value: c.dataDir}
		case "backend":
			o = config.Override{Key: "run.backend", Value: c.backend}
		case "jobs":
			o = config.Override{Key: "run.jobs", Value: c.jobs}
		case "results-dir":
			o = config.Override{Key: "run.results_dir", Value: c.resultsDir}
		case "plots-dir":
			o = config.Override{Key: "run.plots_dir", Value: c.plotsDir}
		case "datasets":
			o = config.Override{Key: "grid.datasets", Value: words(c.datasets)}
		case "methods":
			o = config.Override{Key: "grid.methods", Value: words(c.methods)}
		case "rhos":
			var rhos []float64
			rhos, err = numbers(f.Name, c.rhos)
			o = config.Override{Key: "grid.rhos", Value: rhos}
		case "seeds", "normal-classes":
			key := map[string]string{"seeds": "grid.seeds", "normal-classes": "grid.normal_classes"}[f.Name]
			var ints []int
			ints, err = integers(f.Name, f.Value.String())
			o = config.Override{Key: key, Value: ints}
		default:
			return
		}
		overrides = append(overrides, o)
	})
	if err != nil {
		return config.Layers{}, usageError{err}
	}
	return config.Layers{Preset: c.preset, File: c.file, Sets: c.sets, Overrides: append(overrides, c.overrides...)}, nil
}

// locator returns the data locator the configuration asks for.
func locator(cfg *config.Config) *datasets.Locator {
	dir := cfg.Data.Dir
	if dir == "" {
		dir = os.Getenv("NCAE_DATA_DIR")
	}
	return &datasets.Locator{DataDir: dir, CacheFile: datasets.DefaultCacheFile(), SkipChecksum: cfg.Data.SkipChecksum}
}

// words splits a comma-separated flag value, dropping empty items.
func words(list string) []string {
	var items []string
	for _, w := range strings.Split(list, ",") {
		if w = strings.TrimSpace(w); w != "" {
			items = append(items, w)
		}
	}
	return items
}

// numbers parses a comma-separated list of numbers.
func numbers(flagName, list string) ([]float64, error) {
	var out []float64
	for _, w := range words(list) {
		x, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return nil, fmt.Errorf("--%s: %q is not a number", flagName, w)
		}
		out = append(out, x)
	}
	return out, nil
}

// integers parses a comma-separated list of whole numbers.
func integers(flagName, list string) ([]int, error) {
	var out []int
	for _, w := range words(list) {
		n, err := strconv.Atoi(w)
		if err != nil {
			return nil, fmt.Errorf("--%s: %q is not a whole number", flagName, w)
		}
		out = append(out, n)
	}
	return out, nil
}

// parse parses args, which must be flags only, turning flag errors into
// usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseWithArgs parses flags followed by positional arguments. The flag
// package's own printing is silenced so that a mistake gives one line.
func parseWithArgs(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err == flag.ErrHelp {
		fs.Usage()
		return err
	}
	if err != nil {
		return usageError{err}
	}
	return nil
}
