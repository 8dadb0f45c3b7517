package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ncae-repro/ncae/experiments/store"
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
	if !strings.Contains(out, "submitted job array") || !strings.Contains(out, "44 runs to do") ||
		!strings.Contains(out, "4 runs of this sweep are already in") || !strings.Contains(out, "| all | 48 | 48 | 0 | 0 | 0 |") {
		t.Fatalf("slurm run printed:\n%s", out)
	}
	logs, _ := filepath.Glob(filepath.Join(sweep, "logs", "shard-*.out"))
	if len(logs) != 4 {
		t.Errorf("want a log from each of the 4 tasks, found %v", logs)
	}
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
	for _, want := range []string{"# 4 runs of this sweep are already in " + filepath.Join(results, "runs.csv"), "array job: 44 runs to do"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if out := run("slurm", "status", "--shards", "3", "--dir", sweep); !strings.Contains(out, "| all | 48 | 4 | 0 | 0 | 44 |") ||
		!strings.Contains(out, "4 of the finished runs are only in") {
		t.Errorf("status:\n%s", out)
	}
	if _, err := os.Stat(sweep); err == nil {
		t.Errorf("the dry run wrote %s", sweep)
	}
}

// TestSlurmCopiesRecordedRuns: before a submission, the results folder's
// finished runs of the sweep's own configuration are copied into their
// shards — also over a failed attempt there — exactly once, and another
// configuration's runs are left alone.
func TestSlurmCopiesRecordedRuns(t *testing.T) {
	datasetstest.Load(t, datasets.MNIST())
	datasetstest.Load(t, datasets.FashionMNIST())
	results, dir := t.TempDir(), filepath.Join(t.TempDir(), "sweep")
	grid := []string{"--preset", "smoke", "--methods", "iforest", "--normal-classes", "0,1", "--results-dir", results, "--plots-dir", t.TempDir()}
	for _, extra := range [][]string{nil, {"--set", "iforest.trees=50"}} {
		var stderr bytes.Buffer
		if code := runMain(context.Background(), append(append([]string{"table1"}, grid...), extra...), &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("table1 %v: exit %d: %s", extra, code, stderr.String())
		}
	}
	var cf configFlags
	fs := newFlagSet("slurm", "", io.Discard)
	dirFlag, shards := slurmFlags(fs, &cf)
	if err := parse(fs, append(grid, "--dir", dir, "--shards", "2")); err != nil {
		t.Fatal(err)
	}
	s, err := loadSlurmSweep(fs, &cf, *dirFlag, *shards)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := s.status()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(counts[0].Reuse) + len(counts[1].Reuse); n != 4 {
		t.Fatalf("%d runs to reuse, want the 4 of the sweep's configuration (not the 4 with trees = 50)", n)
	}
	// A failed attempt of a reused run in its shard does not block the copy.
	failed := counts[0].Reuse[0]
	failed.Status, failed.AUC, failed.Error, failed.FinishedAt = store.Failed, math.NaN(), "killed", "2026-01-01T00:00:00Z"
	st, err := store.Open(filepath.Join(dir, "shard-1", "runs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(failed); err != nil {
		t.Fatal(err)
	}
	if counts, err = s.status(); err != nil {
		t.Fatal(err)
	}
	if c := counts[0]; c.Failed != 0 || c.OK != len(c.Reuse) || c.Missing != c.Total-c.OK {
		t.Errorf("shard 1 before the copy: %+v", c)
	}
	for round := 1; round <= 2; round++ { // the second copies nothing
		if err := s.folder.CopyRecorded(counts); err != nil {
			t.Fatalf("copy %d: %v", round, err)
		}
		if counts, err = s.status(); err != nil {
			t.Fatal(err)
		}
		if n := len(counts[0].Reuse) + len(counts[1].Reuse); n != 0 || counts[0].OK+counts[1].OK != 4 {
			t.Errorf("after copy %d: %d runs still to reuse, %d ok; want 0 and 4", round, n, counts[0].OK+counts[1].OK)
		}
	}
	inResults, _ := store.ReadFile(filepath.Join(results, "runs.csv"))
	finished := map[store.Key]string{}
	for _, r := range inResults {
		finished[r.Key()] = r.FinishedAt
	}
	copies := 0
	for k := 1; k <= 2; k++ {
		rows, _ := store.ReadFile(filepath.Join(dir, fmt.Sprintf("shard-%d", k), "runs.csv"))
		for _, r := range rows {
			if r.Final() {
				copies++
				if finished[r.Key()] != r.FinishedAt {
					t.Errorf("shard %d: %s finished at %s, not the results folder's %s", k, r.Key(), r.FinishedAt, finished[r.Key()])
				}
			}
		}
	}
	if copies != 4 {
		t.Errorf("%d finished runs in the shards, want the 4 copies", copies)
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
