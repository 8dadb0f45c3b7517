// Package backend opens the GoMLX backend a model runs on, by name, and adds
// to GoMLX's pure-Go backend ("go", SimpleGo) the few operations the NCAE
// networks need that it lacks.
//
// Names: "cpu" (the default: this project's CPU backend, package cpu, with
// AVX-512 and AVX2/FMA kernels), "cpu:OPTIONS" (workers=N,
// kernel=avx512|avx2|portable), "go" (SimpleGo,
// GoMLX's pure-Go backend, the reference in tests), "go:OPTIONS" (SimpleGo
// with its own option string), "xla:cpu", "xla:cuda", "xla:/path/plugin.so"
// (XLA through a PJRT plugin). The XLA plugins are never downloaded: a
// missing plugin is an error that says how to provide one.
package backend

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"

	"github.com/ncae-repro/ncae/model/backend/cpu"
)

// Default is the backend used when neither the config nor GOMLX_BACKEND
// names one.
const Default = cpu.Name

// Names lists the accepted forms of a backend spec, for messages.
const Names = "cpu, cpu:OPTIONS, go, go:OPTIONS, xla:cpu, xla:cuda or xla:/path/to/plugin.so"

// Check reports whether spec names a backend, without opening it: the one
// place backend names are parsed (Open starts with it).
func Check(spec string) error {
	name, opts, hasOpts := strings.Cut(spec, ":")
	switch {
	case name == cpu.Name:
		if hasOpts {
			if _, err := cpu.New(opts); err != nil {
				return fmt.Errorf("backend %q: %w", spec, err)
			}
		}
		return nil
	case name == "go" && strings.Contains(opts, "parallelism"):
		// SimpleGo announces the setting on standard output, which would
		// corrupt the commands' output.
		return fmt.Errorf("backend %q: SimpleGo's parallelism option is not supported (it prints to standard output); leave it out: with %s each product uses one worker per core", spec, GoOptions)
	case name == "go":
		return nil
	case name == "xla" && opts != "":
		return nil
	case name == "xla":
		return fmt.Errorf("backend %q: name the PJRT plugin: xla:cpu, xla:cuda or xla:/path/to/plugin.so", spec)
	}
	return fmt.Errorf("backend %q: unknown; use %s", spec, Names)
}

// FromEnv returns spec, else $GOMLX_BACKEND, else Default.
func FromEnv(spec string) string {
	if spec != "" {
		return spec
	}
	if env := os.Getenv("GOMLX_BACKEND"); env != "" {
		return env
	}
	return Default
}

// Label is how runs.csv's backend column records spec: the spec itself,
// except that the cpu backend's also names the matrix kernel that ran on
// this machine ("cpu/avx512", "cpu/avx2", "cpu/portable",
// "cpu/avx2:workers=1"), since the portable kernel rounds differently
// (avx512 and avx2 are bit-identical, but a row says which ran).
func Label(spec string) string {
	name, opts, _ := strings.Cut(spec, ":")
	if name != cpu.Name {
		return spec
	}
	b, err := cpu.New(opts)
	if err != nil {
		return spec
	}
	var rest []string
	for _, o := range strings.Split(opts, ",") {
		if o = strings.TrimSpace(o); o != "" && o != "portable" && !strings.HasPrefix(o, "kernel=") {
			rest = append(rest, o)
		}
	}
	label := cpu.Name + "/" + b.Kernel()
	if len(rest) > 0 {
		label += ":" + strings.Join(rest, ",")
	}
	return label
}

// WithWorkers returns spec with n workers per operation where the backend
// takes the option (cpu) and spec does not set it already; other specs, and
// n ≤ 0, are returned unchanged. Results do not depend on the workers.
func WithWorkers(spec string, n int) string {
	name, opts, _ := strings.Cut(FromEnv(spec), ":")
	if name != cpu.Name || n <= 0 {
		return spec
	}
	var kept []string
	for _, o := range strings.Split(opts, ",") {
		if o = strings.TrimSpace(o); strings.HasPrefix(o, "workers=") {
			return spec // the user's choice
		} else if o != "" {
			kept = append(kept, o)
		}
	}
	return name + ":" + strings.Join(append(kept, "workers="+strconv.Itoa(n)), ",")
}

// GoOptions is SimpleGo's option string for "go": the small-matrix DotGeneral
// kernel is ~2.4× faster for these networks, and ops run one at a time:
// SimpleGo v0.26's parallel op executor has data races (the race detector
// finds them in TestOpsAgreeWithSimpleGo) and deadlocks its worker pool when
// two graphs run at once on 2 cores (TestGoBackendConcurrentRuns); run
// sequentially, its matrix products still use one worker per core. (The
// earlier fix, parallelism=-1, made SimpleGo print a line on standard
// output, which the CLI had to swallow by swapping os.Stdout.)
const GoOptions = "dotgeneral_small,ops_sequential"

// Backend is an open backend with what the model code needs to know about
// it.
type Backend struct {
	backends.Backend
	// Spec is the name it was opened with, as recorded in runs.csv.
	Spec string
	// NativeConv reports whether the backend's own convolution is fast and
	// differentiable; when false the model lowers convolutions to patch
	// extraction and one matrix product.
	NativeConv bool
}

// Open opens the backend named spec.
func Open(spec string) (*Backend, error) {
	if err := Check(spec); err != nil {
		return nil, err
	}
	name, opts, _ := strings.Cut(spec, ":")
	switch name {
	case "go":
		if opts == "" {
			opts = GoOptions
		}
		b, err := simplego.New(opts)
		if err != nil {
			return nil, fmt.Errorf("backend %q: %w", spec, err)
		}
		return &Backend{Backend: Compat(b), Spec: spec}, nil
	case cpu.Name:
		registerCPU() // so that GoMLX's own backends.New("cpu") finds it too
		c, err := cpu.New(opts)
		if err != nil {
			return nil, fmt.Errorf("backend %q: %w", spec, err)
		}
		return &Backend{Backend: c, Spec: spec, NativeConv: true}, nil
	case "xla":
		b, err := openXLA(opts)
		if err != nil {
			return nil, err
		}
		return &Backend{Backend: b, Spec: spec, NativeConv: true}, nil
	}
	return nil, fmt.Errorf("backend %q: unknown; use %s", spec, Names)
}

// registerCPU adds the cpu backend to GoMLX's registry once: that registry
// is a plain map, so registering on every Open raced when two goroutines
// opened backends at once.
var registerCPU = sync.OnceFunc(cpu.Register)
