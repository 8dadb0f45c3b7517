// Package slurm runs a sweep on a Slurm cluster as a job array: one task
// per shard of the grid, each writing a results folder of its own (no two
// tasks ever write one file), and a merge job, started when every task has
// ended however it ended, that reports over all shards.
//
// It writes batch scripts and talks to Slurm only through its commands
// (sbatch, squeue), as a user would.
package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Options are the sbatch settings of a sweep.
type Options struct {
	Partition   string   // --partition; empty: the cluster's default
	Time        string   // --time per task, e.g. 2:00:00; empty: the partition's default
	Account     string   // --account
	CPUsPerTask int      // --cpus-per-task, also the experiments run in parallel per task
	GPUs        int      // --gpus per task (for --backend xla:cuda)
	Extra       []string // more #SBATCH lines, e.g. "--mem=8G" or "--qos=long"
	JobName     string   // --job-name
}

// Validate rejects settings sbatch would misread.
func (o Options) Validate() error {
	switch {
	case o.CPUsPerTask < 1:
		return fmt.Errorf("--cpus-per-task %d: want ≥ 1", o.CPUsPerTask)
	case o.GPUs < 0:
		return fmt.Errorf("--gpus %d: want ≥ 0", o.GPUs)
	}
	for _, s := range []string{o.Partition, o.Time, o.Account, o.JobName} {
		if strings.ContainsAny(s, " \t\n'\"$`\\") {
			return fmt.Errorf("sbatch option %q: no spaces, quotes or shell characters", s)
		}
	}
	for _, e := range o.Extra {
		if !strings.HasPrefix(e, "--") || strings.ContainsAny(e, "\n") {
			return fmt.Errorf("--sbatch %q: want one sbatch option such as --mem=8G", e)
		}
	}
	return nil
}

// Sweep is what the scripts run.
type Sweep struct {
	Dir      string   // the sweep's folder (absolute): config, binary, shard-K/, logs/
	Binary   string   // the experiments binary the jobs run (absolute)
	Args     []string // configuration flags for every command (--preset, --config)
	Shards   int      // N: the grid is cut into N shards
	Tasks    []int    // the shards (1..N) this submission runs
	MergeOut []string // flags of the merge job's report: where the merged tables go
}

// ShardDir is the results folder of shard k.
func (s Sweep) ShardDir(k int) string { return filepath.Join(s.Dir, fmt.Sprintf("shard-%d", k)) }

// ArrayScript is the job array's batch script.
func ArrayScript(s Sweep, o Options) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	header(&b, o, o.JobName)
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", list(s.Tasks))
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(s.Dir, "logs", "shard-%a.out"))
	b.WriteString("set -euo pipefail\n")
	b.WriteString("# Shard k of the grid into its own folder; finished runs there are skipped on resubmission.\n")
	shard := filepath.Join(s.Dir, "shard-${SLURM_ARRAY_TASK_ID}")
	args := append([]string{"table1"}, s.Args...)
	args = append(args, "--shard", "${SLURM_ARRAY_TASK_ID}/"+strconv.Itoa(s.Shards),
		"--results-dir", shard, "--plots-dir", filepath.Join(shard, "plots"), "--jobs", strconv.Itoa(o.CPUsPerTask))
	fmt.Fprintf(&b, "exec %s %s\n", shellQuote(s.Binary), shellJoin(args))
	return b.String()
}

// MergeScript is the merge job's batch script: report over every shard's
// runs.csv that exists.
func MergeScript(s Sweep, o Options) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	header(&b, Options{Partition: o.Partition, Account: o.Account, CPUsPerTask: 1, Extra: o.Extra}, o.JobName+"-merge")
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(s.Dir, "logs", "merge.out"))
	b.WriteString("set -euo pipefail\nshopt -s nullglob\n")
	fmt.Fprintf(&b, "shards=(%s/shard-*/runs.csv)\n", shellQuote(s.Dir))
	b.WriteString("if [ ${#shards[@]} -eq 0 ]; then echo \"merge: no shard recorded a run\" >&2; exit 1; fi\n")
	args := append(append([]string{"report"}, s.Args...), s.MergeOut...)
	fmt.Fprintf(&b, "exec %s %s \"${shards[@]}\"\n", shellQuote(s.Binary), shellJoin(args))
	return b.String()
}

func header(b *strings.Builder, o Options, name string) {
	if name != "" {
		fmt.Fprintf(b, "#SBATCH --job-name=%s\n", name)
	}
	if o.Partition != "" {
		fmt.Fprintf(b, "#SBATCH --partition=%s\n", o.Partition)
	}
	if o.Account != "" {
		fmt.Fprintf(b, "#SBATCH --account=%s\n", o.Account)
	}
	if o.Time != "" {
		fmt.Fprintf(b, "#SBATCH --time=%s\n", o.Time)
	}
	fmt.Fprintf(b, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%d\n", o.CPUsPerTask)
	if o.GPUs > 0 {
		fmt.Fprintf(b, "#SBATCH --gpus=%d\n", o.GPUs)
	}
	for _, e := range o.Extra {
		fmt.Fprintf(b, "#SBATCH %s\n", e)
	}
}

// list renders shard numbers as sbatch's --array list, runs collapsed:
// 1-3,5,7-8.
func list(ks []int) string {
	var parts []string
	for i := 0; i < len(ks); {
		j := i
		for j+1 < len(ks) && ks[j+1] == ks[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ks[i], ks[j]))
		} else {
			parts = append(parts, strconv.Itoa(ks[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// taskID is the variable the array tasks expand.
const taskID = "${SLURM_ARRAY_TASK_ID}"

// shellJoin quotes args for bash, leaving ${SLURM_ARRAY_TASK_ID} to expand.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		parts := strings.Split(a, taskID)
		for j, p := range parts {
			if p != "" {
				parts[j] = shellQuote(p)
			}
		}
		out[i] = strings.Join(parts, `"`+taskID+`"`)
	}
	return strings.Join(out, " ")
}

// CheckDir rejects a sweep folder that #SBATCH lines cannot name.
func CheckDir(dir string) error {
	if strings.ContainsAny(dir, " \t\n'\"$`\\%") {
		return fmt.Errorf("--dir %q: #SBATCH lines cannot hold spaces, quotes, $ or %%; choose a folder without them", dir)
	}
	return nil
}

// ErrNoSlurm is returned when sbatch is not on PATH.
var ErrNoSlurm = errors.New("sbatch not found on PATH: run this on a Slurm login node, or add --dry-run to see the scripts")

// Available reports ErrNoSlurm when sbatch is not on PATH.
func Available() error {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return ErrNoSlurm
	}
	return nil
}

// Submit submits script (a file) with sbatch and extra sbatch arguments and
// returns the job ID; a refusal is an error carrying sbatch's own words.
func Submit(ctx context.Context, script string, args ...string) (string, error) {
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		return "", ErrNoSlurm
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, sbatch, append(append([]string{"--parsable"}, args...), script)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := lastLine(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("sbatch refused %s: %s", filepath.Base(script), msg)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(stdout.String()), ";") // "id;cluster" on federations
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("sbatch printed %q, not a job ID", stdout.String())
	}
	return id, nil
}

// Active returns those of the job IDs still queued or running (array tasks
// count as their job), from squeue.
func Active(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	squeue, err := exec.LookPath("squeue")
	if err != nil {
		return nil, errors.New("squeue not found on PATH")
	}
	out, err := exec.CommandContext(ctx, squeue, "-h", "-o", "%F", "-j", strings.Join(ids, ",")).Output()
	if err != nil {
		// squeue fails for job IDs it no longer knows: none of them is active.
		var ee *exec.ExitError
		if errors.As(err, &ee) && strings.Contains(string(ee.Stderr), "Invalid job id") {
			return nil, nil
		}
		return nil, fmt.Errorf("squeue: %v", err)
	}
	seen := map[string]bool{}
	var active []string
	for _, f := range strings.Fields(string(out)) {
		if !seen[f] {
			seen[f] = true
			active = append(active, f)
		}
	}
	return active, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
