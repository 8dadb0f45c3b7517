package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/ncae-repro/ncae/model"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// runBench times the deep models' training and inference steps on a
// backend and, with --torch, the same networks in PyTorch on the CPU.
func runBench(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("bench", "bench [--backend B] [--datasets mnist,fmnist] [--batch 128] [--steps 10] [--torch]", a.stderr)
	backendSpec := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND, else "+backend.Default+")")
	dsList := fs.String("datasets", strings.Join(datasets.Names(), ","), "networks to time")
	batch := fs.Int("batch", 128, "batch size")
	steps := fs.Int("steps", 10, "timed steps after one warm-up step")
	torch := fs.Bool("torch", false, "also run model/torchref/bench_torch.py (needs python3-torch) with 1 and 2 threads")
	python := fs.String("python", "", "Python interpreter with torch (default: the first of python3 on PATH and /usr/bin/python3 that imports torch)")
	if err := parse(fs, args); err != nil {
		return err
	}
	*backendSpec = backend.FromEnv(*backendSpec)
	if *batch < 2 || *steps < 1 {
		return usageError{fmt.Errorf("--batch %d --steps %d: need batch ≥ 2 and steps ≥ 1", *batch, *steps)}
	}
	for _, ds := range strings.Split(*dsList, ",") {
		if _, ok := datasets.Lookup(ds); !ok {
			return usageError{fmt.Errorf("--datasets: unknown data set %q (want %s)", ds, strings.Join(datasets.Names(), ", "))}
		}
	}
	if *torch && *python == "" {
		if *python = torchPython(ctx); *python == "" {
			*torch = false
			fmt.Fprintln(a.stderr, "bench: no python3 that imports torch (PATH, /usr/bin/python3): PyTorch rows skipped; install it with 'apt-get install python3-torch' or pass --python")
		}
	}
	// Open the backend once before the table starts, so a bad spec (a usage
	// error) or a missing plugin is one line and no half-printed table.
	if err := backend.Check(*backendSpec); err != nil {
		return usageError{fmt.Errorf("--backend: %w", err)}
	}
	b, err := backend.Open(*backendSpec)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fmt.Fprintf(a.stderr, "bench: backend %s: %s\n", *backendSpec, b.Description())
	b.Finalize()
	fmt.Fprintln(a.stdout, "| data set | engine | CAE step samples/s | NCAE step samples/s | inference samples/s | first CAE / NCAE step (compile) s |")
	fmt.Fprintln(a.stdout, "|---|---|---|---|---|---|")
	for _, ds := range strings.Split(*dsList, ",") {
		fmt.Fprintf(a.stderr, "bench: %s on %s, batch %d, %d steps…\n", ds, *backendSpec, *batch, *steps)
		res, err := model.Bench(ctx, ds, *backendSpec, *batch, *steps)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "| %s | GoMLX %s | %.0f | %.0f | %.0f | %.1f / %.1f |\n", ds, *backendSpec,
			res.CAEStep.SamplesPerSecond, res.NCAEStep.SamplesPerSecond, res.Inference.SamplesPerSecond,
			res.CAEStep.CompileSeconds, res.NCAEStep.CompileSeconds)
		if !*torch {
			continue
		}
		for _, threads := range []int{1, 2} {
			if err := benchTorch(ctx, a, *python, ds, *batch, *steps, threads); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchTorch runs model/torchref/bench_torch.py with python on ds's
// networks and prints its row.
func benchTorch(ctx context.Context, a *app, python, ds string, batch, steps, threads int) error {
	out, err := exec.CommandContext(ctx, python, "model/torchref/bench_torch.py", "--dataset", ds,
		"--batch", fmt.Sprint(batch), "--steps", fmt.Sprint(steps), "--threads", fmt.Sprint(threads)).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return fmt.Errorf("PyTorch reference (install python3-torch, run from the repository root): %w", err)
	}
	var t map[string]any
	if err := json.Unmarshal(out, &t); err != nil {
		return fmt.Errorf("PyTorch reference printed %q: %w", out, err)
	}
	fmt.Fprintf(a.stdout, "| %s | PyTorch %v CPU, %d thread(s) | %.0f | %.0f | %.0f | — |\n", ds, t["torch"], threads,
		t["cae step"], t["ncae step"], t["inference"])
	return nil
}

// torchPython returns the first of python3 on PATH and /usr/bin/python3
// (where Debian's python3-torch installs) that can import torch, or "".
func torchPython(ctx context.Context) string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.CommandContext(ctx, py, "-c", "import torch").Run() == nil {
			return py
		}
	}
	return ""
}
