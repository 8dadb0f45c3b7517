package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
)

// TestSlurmArrayMatchesOneRun submits the smoke preset (two normal classes:
// four experiments) to a real Slurm as a 4-task job array with a merge job,
// waits, and checks that the merged Table 1 equals the one of a single
// unsharded run; then that resubmitting runs nothing again. CI starts a
// one-node Slurm (.ci/slurm-up) and sets NCAE_REQUIRE_SLURM=1, so there the
// test cannot skip.
func TestSlurmArrayMatchesOneRun(t *testing.T) {
	if _, err := exec.LookPath("sbatch"); err != nil {
		if os.Getenv("NCAE_REQUIRE_SLURM") == "1" {
			t.Fatal("NCAE_REQUIRE_SLURM=1 but no sbatch on PATH; .ci/slurm-up starts a one-node Slurm")
		}
		t.Skip("no sbatch on PATH: this test needs Slurm (sudo .ci/slurm-up starts a one-node Slurm on localhost)")
	}
	if err := slurmReady(); err != nil {
		if os.Getenv("NCAE_REQUIRE_SLURM") == "1" {
			t.Fatalf("NCAE_REQUIRE_SLURM=1 but %v", err)
		}
		t.Skipf("%v: Slurm is installed but not ready (sudo .ci/slurm-up starts a one-node Slurm on localhost)", err)
	}
	datasetstest.Load(t, datasets.MNIST())
	datasetstest.Load(t, datasets.FashionMNIST())
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "experiments")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("experiments %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String() + stderr.String()
	}
	grid := []string{"--preset", "smoke", "--normal-classes", "0,1"}
	sweep, merged, single := filepath.Join(tmp, "sweep"), filepath.Join(tmp, "merged"), filepath.Join(tmp, "single")
	// The isolation forest's runs are in the results folder already: the
	// array must not run them again, and the merge must count them once.
	run(append(append([]string{"table1"}, grid...), "--methods", "iforest", "--results-dir", merged, "--plots-dir", filepath.Join(merged, "plots"))...)
	slurmArgs := append(append([]string{"slurm"}, grid...), "--shards", "4", "--cpus-per-task", "1", "--dir", sweep,
		"--results-dir", merged, "--plots-dir", filepath.Join(merged, "plots"), "--wait")
	out := run(slurmArgs...)
	if !strings.Contains(out, "submitted job array") || !strings.Contains(out, "28 runs to do") ||
		!strings.Contains(out, "4 runs of this sweep are already in") || !strings.Contains(out, "| all | 32 | 32 | 0 | 0 | 0 |") {
		t.Fatalf("slurm run printed:\n%s", out)
	}
	logs, _ := filepath.Glob(filepath.Join(sweep, "logs", "shard-*.out"))
	for _, l := range logs {
		if b, _ := os.ReadFile(l); strings.Contains(string(b), " iforest: auc") {
			t.Errorf("%s: a shard ran an isolation forest the results folder already had:\n%s", l, b)
		}
	}
	run(append(append([]string{"table1"}, grid...), "--results-dir", single, "--plots-dir", filepath.Join(single, "plots"))...)
	for _, f := range []string{"table1.csv", "table1_by_class.csv"} {
		a, err := os.ReadFile(filepath.Join(merged, f))
		if err != nil {
			t.Fatalf("merge job wrote no %s: %v (log: %s)", f, err, filepath.Join(sweep, "logs", "merge.out"))
		}
		b, err := os.ReadFile(filepath.Join(single, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s merged from 4 Slurm shards differs from one run's:\n%s\nvs\n%s", f, a, b)
		}
	}
	// Resubmitting the same sweep runs nothing again: only a merge job.
	if out := run(slurmArgs...); !strings.Contains(out, "every shard is complete") {
		t.Errorf("resubmission printed:\n%s", out)
	}
}

// TestSlurmReusesRecordedRuns: runs of the sweep already in the results
// folder count as done in the dry run and the status, so a submission would
// not run them again (the Slurm test above checks the submission itself).
func TestSlurmReusesRecordedRuns(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	datasetstest.Load(t, datasets.FashionMNIST())
	results, sweep := t.TempDir(), filepath.Join(t.TempDir(), "sweep")
	grid := []string{"--preset", "smoke", "--normal-classes", "0,1", "--results-dir", results, "--plots-dir", t.TempDir()}
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := runMain(context.Background(), append(args, grid...), &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	run("table1", "--methods", "iforest")
	out := run("slurm", "--shards", "3", "--dir", sweep, "--dry-run")
	for _, want := range []string{"# 4 runs of this sweep are already in " + filepath.Join(results, "runs.csv"), "array job: 28 runs to do"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if out := run("slurm", "status", "--shards", "3", "--dir", sweep); !strings.Contains(out, "| all | 32 | 4 | 0 | 0 | 28 |") {
		t.Errorf("status:\n%s", out)
	}
	if _, err := os.Stat(sweep); err == nil {
		t.Errorf("the dry run wrote %s", sweep)
	}
}

// slurmReady returns nil when sinfo answers within ten seconds and shows a
// node that can run jobs (idle, mixed or allocated, as .ci/slurm-up waits
// for); an installed Slurm whose daemons are down or whose node is drained
// is a skip, not a failure, outside CI.
func slurmReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sinfo", "-h", "-o", "%T").CombinedOutput()
	if err != nil {
		return fmt.Errorf("sinfo does not reach a Slurm controller (%w): %s", err, strings.TrimSpace(string(out)))
	}
	for _, state := range strings.Fields(string(out)) {
		switch state { // a suffix (idle*, idle~, …) marks a node that cannot take jobs now
		case "idle", "mixed", "allocated":
			return nil
		}
	}
	return fmt.Errorf("sinfo shows no node ready for jobs (states: %q)", strings.TrimSpace(string(out)))
}
