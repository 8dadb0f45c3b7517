// Command experiments is the NCAE reproduction harness's command line.
//
//	go run ./experiments data verify          check both data sets
//	go run ./experiments run --method kde --dataset mnist --normal 3 --rho 0.05
//	go run ./experiments table1 --preset quick
//	go run ./experiments sweep --param sigma
//	go run ./experiments report
//	go run ./experiments config show --preset paper
//	go run ./experiments methods
//	go run ./experiments bench --torch
//
// Every command takes --preset NAME, --config FILE and --set key=value, plus
// flags for the common keys; flags win over the file, the file over the
// preset. Run a command with -h for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// app holds what every command may print to.
type app struct {
	stdout, stderr io.Writer
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func commands() []command {
	return []command{
		{"data", "data verify: find and checksum MNIST and Fashion-MNIST", runData},
		{"export", "write one experiment's images (and test labels, hold-out) as .npy files for outside detectors", runExport},
		{"run", "run one experiment with one method and print its result as JSON", runOne},
		{"table1", "run the Table 1 grid of the preset, skipping finished runs", runTable1},
		{"sweep", "run one method parameter over a list of values (Figure 2)", runSweep},
		{"report", "write tables and plots from results/runs.csv", runReport},
		{"slurm", "run table1 as a Slurm job array with a merge job; 'slurm status' counts its runs", runSlurm},
		{"bench", "time the deep models' train and inference steps (and PyTorch's with --torch)", runBench},
		{"config", "config show: print the effective configuration and its hashes", runConfig},
		{"methods", "list the methods and whether they are implemented", runMethods},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs the command line args and returns the exit status.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		a.usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, a, args[1:])
		var u usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &u):
			fmt.Fprintf(stderr, "experiments %s: %v (see experiments %s -h)\n", c.name, err, c.name)
			return 2
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(stderr, "experiments %s: interrupted; finished runs are saved, run the same command again to resume\n", c.name)
			return 130
		default:
			fmt.Fprintf(stderr, "experiments %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "experiments: unknown command %q\n", args[0])
	a.usage(stderr)
	return 2
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: go run ./experiments <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'go run ./experiments <command> -h' for a command's flags.")
}
