// Package external runs an anomaly detector written in any language under
// the protocol. For each experiment it writes the detector's inputs into a
// fresh folder (protocol/export's files: train.npy, test.npy,
// experiment.json, and params.json; with Params.Validation also the labelled
// hold-out), runs the configured command with the folder as its last
// argument, and reads back scores.npy (one score per test image, higher
// meaning more anomalous) and an optional info.json. The harness, not the
// detector, computes the AUC.
//
// A Detector is a protocol.Detector: Fit keeps the training set and Score
// runs the command, so the whole run of the command counts as scoring time.
package external

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ncae-repro/ncae/internal/atomicfile"
	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/export"
)

// Prefix starts the method name of every external detector: the config
// section [external.knn] is the method "external:knn".
const Prefix = "external:"

// Files the detector reads (beside protocol/export's) and writes.
const (
	ParamsFile = "params.json" // Params.Params, as JSON
	ScoresFile = "scores.npy"  // written by the detector: float32 or float64, one per test image
	InfoFile   = "info.json"   // optionally written by the detector: an object of strings
)

var (
	nameRe    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	infoKeyRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`) // runs.csv's info column is key=value;…
)

// IsMethod reports whether method names an external detector
// ("external:NAME", NAME of letters, digits, '-' and '_').
func IsMethod(method string) bool {
	name, ok := strings.CutPrefix(method, Prefix)
	return ok && ValidName(name)
}

// ValidName reports whether name may follow Prefix.
func ValidName(name string) bool { return nameRe.MatchString(name) }

// Section returns the config section of an external method:
// "external:knn" → "external.knn".
func Section(method string) string {
	return "external." + strings.TrimPrefix(method, Prefix)
}

// Params is the config section [external.NAME]. Command, Version,
// Validation and Params are part of the config hash: change any of them and
// the runs are new runs. Timeout is not.
type Params struct {
	// Command is run once per experiment, with the folder as an extra last
	// argument. A relative program or script path is taken from the
	// directory the harness runs in (the repository root for ./run.sh).
	Command []string `toml:"command" json:"command"`
	// Timeout bounds one run of Command (a Go duration: "30m", "90s").
	Timeout string `toml:"timeout" json:"-"`
	// Version is the detector's own version: bump it when the detector
	// changes, so that its old runs are not taken for new ones.
	Version string `toml:"version" json:"version"`
	// Validation also hands the detector the labelled hold-out drawn from
	// the test split (validation.npy, validation_labels.npy), the advantage
	// Deep SAD's protocol gives the OC-SVM for choosing γ.
	Validation bool `toml:"validation" json:"validation"`
	// Params are passed through as params.json.
	Params map[string]any `toml:"params" json:"params"`
}

// UnhashedKeys names the keys left out of the config hash: how long a run
// may take does not change its scores.
func (p *Params) UnhashedKeys() []string { return []string{"timeout"} }

// DefaultParams returns the defaults: no command yet, a 30-minute timeout.
func DefaultParams() *Params { return &Params{Timeout: "30m", Version: "1", Params: map[string]any{}} }

// Validate checks the section; a message names the key after the section
// (the config package prefixes "external.NAME.").
func (p *Params) Validate() error {
	if len(p.Command) == 0 || strings.TrimSpace(p.Command[0]) == "" {
		return errors.New(`command is empty: give the program and its arguments, e.g. command = ["python3", "detectors/knn.py"]`)
	}
	d, err := time.ParseDuration(p.Timeout)
	if err != nil || d <= 0 {
		return fmt.Errorf("timeout = %q: want a positive duration such as \"30m\" or \"90s\"", p.Timeout)
	}
	return checkJSON("params", p.Params)
}

// checkJSON reports the first value under key that params.json cannot hold:
// TOML allows nan and inf, JSON does not.
func checkJSON(key string, v any) error {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s = %v: JSON has no NaN or infinity; pass it as a string", key, v)
		}
	case []any:
		for i, x := range v {
			if err := checkJSON(fmt.Sprintf("%s[%d]", key, i), x); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := checkJSON(key+"."+k, v[k]); err != nil {
				return err
			}
		}
	default:
		if _, err := json.Marshal(v); err != nil {
			return fmt.Errorf("%s: %T cannot be written as JSON: %w", key, v, err)
		}
	}
	return nil
}

// Options say where a detector's folder goes and whether it stays.
type Options struct {
	// Dir is the parent of the per-run folders; "" means os.TempDir().
	Dir string
	// Keep leaves the folder behind (its path is then in the run's info as
	// "folder"); otherwise it is removed after the run, whatever happened.
	Keep bool
}

// Detector runs one external detector on one experiment.
type Detector struct {
	params  Params
	key     protocol.Key
	extra   float64
	opt     Options
	workers int // experiment.json's workers; 0: all cores

	train      protocol.Samples
	validation *protocol.Labelled
	info       map[string]string
}

// New returns the detector for the experiment key. extraOutliers is the
// protocol's setting, recorded in experiment.json.
func New(p Params, key protocol.Key, extraOutliers float64, opt Options) (*Detector, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Detector{params: p, key: key, extra: extraOutliers, opt: opt}, nil
}

// SetWorkers records in experiment.json how many threads the command may
// use (its share of the cores); it implements protocol.Parallel.
func (d *Detector) SetWorkers(n int) { d.workers = n }

// Fit keeps the training set for Score.
func (d *Detector) Fit(_ context.Context, train protocol.Samples) error {
	d.train = train
	return nil
}

// FitValidated is Fit that also keeps the labelled hold-out, for detectors
// configured with validation = true; others never see it.
func (d *Detector) FitValidated(ctx context.Context, train protocol.Samples, validation protocol.Labelled) error {
	if d.params.Validation {
		d.validation = &validation
	}
	return d.Fit(ctx, train)
}

// Info returns what the detector wrote to info.json, and the folder when kept.
func (d *Detector) Info() map[string]string { return d.info }

// Score writes the folder, runs the command and returns its scores.
func (d *Detector) Score(ctx context.Context, test protocol.Samples) (scores []float64, err error) {
	if d.train.N == 0 {
		return nil, errors.New("external: Score before Fit")
	}
	parent := d.opt.Dir
	if parent == "" {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("external: %w", err)
	}
	dir, err := os.MkdirTemp(parent, "ncae-"+strings.ReplaceAll(d.key.String(), "/", "-")+"-")
	if err != nil {
		return nil, fmt.Errorf("external: %w", err)
	}
	if d.opt.Keep {
		d.info = map[string]string{"folder": dir}
	} else {
		defer os.RemoveAll(dir)
	}
	folder := export.Folder{Key: d.key, Train: d.train, Test: test, ExtraOutliers: d.extra, Workers: d.workers, Validation: d.validation}
	if err := folder.Write(dir); err != nil {
		return nil, err
	}
	params, err := json.MarshalIndent(d.params.Params, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("external: params: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, ParamsFile), append(params, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := d.run(ctx, dir); err != nil {
		return nil, err
	}
	if scores, err = readScores(filepath.Join(dir, ScoresFile), test.N); err != nil {
		return nil, err
	}
	info, err := readInfo(filepath.Join(dir, InfoFile))
	if err != nil {
		return nil, err
	}
	for k, v := range info {
		if d.info == nil {
			d.info = map[string]string{}
		}
		if _, taken := d.info[k]; !taken {
			d.info[k] = v
		}
	}
	return scores, nil
}

// run runs the command on dir, killing it (and what it started) on timeout
// or cancellation, and whatever it left running when it exits. Its error
// is one line ending with the last lines of the command's output.
func (d *Detector) run(ctx context.Context, dir string) error {
	timeout, _ := time.ParseDuration(d.params.Timeout) // checked by Validate
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The output goes to a file beside the folder, not through a pipe: a
	// child left running with the pipe open would hold Wait up.
	logPath := dir + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("external: %w", err)
	}
	defer os.Remove(logPath)
	args := append(append([]string(nil), d.params.Command[1:]...), dir)
	cmd := exec.CommandContext(runCtx, d.params.Command[0], args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile // stdout too: a traceback may go either way
	killGroup(cmd)
	start := time.Now()
	err = cmd.Run()
	killLeftovers(cmd)
	logFile.Close()
	var stderr tail
	if b, rerr := os.ReadFile(logPath); rerr == nil {
		stderr.Write(b)
		if d.opt.Keep {
			os.WriteFile(filepath.Join(dir, "output.log"), b, 0o644)
		}
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil: // the sweep was stopped: nothing to record
		return ctx.Err()
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("external: %s timed out after %s (timeout = %q)%s", d.program(), time.Since(start).Round(time.Second), d.params.Timeout, stderr.lastLines())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("external: %s failed (%s)%s", d.program(), exit.ProcessState, stderr.lastLines())
	}
	return fmt.Errorf("external: %w", err)
}

// program names the command in messages: the program and, for an
// interpreter, its script.
func (d *Detector) program() string {
	c := d.params.Command
	if len(c) > 1 && !strings.HasPrefix(c[1], "-") {
		return c[0] + " " + c[1]
	}
	return c[0]
}

// readScores reads scores.npy and checks it holds n finite numbers.
func readScores(path string, n int) ([]float64, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("external: the detector exited without writing %s (np.save(os.path.join(folder, %q), scores))", ScoresFile, ScoresFile)
	}
	a, err := npy.Read(path)
	if err != nil {
		return nil, fmt.Errorf("external: %w", err)
	}
	if len(a.Shape) == 0 || len(a.Shape) > 2 || (len(a.Shape) == 2 && a.Shape[1] != 1) || a.Len() != n {
		return nil, fmt.Errorf("external: %s has shape %v, want (%d,): one score per test image", ScoresFile, a.Shape, n)
	}
	scores, err := a.Float64s()
	if err != nil {
		return nil, fmt.Errorf("external: %s: %w", ScoresFile, err)
	}
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("external: %s: score %d is %v; scores must be finite", ScoresFile, i, s)
		}
	}
	return scores, nil
}

// readInfo reads the optional info.json: an object whose values are strings
// (numbers and booleans are taken as their JSON text).
func readInfo(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("external: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("external: %s: want a JSON object of strings: %w", InfoFile, err)
	}
	info := make(map[string]string, len(raw))
	for k, v := range raw {
		if !infoKeyRe.MatchString(k) {
			return nil, fmt.Errorf("external: %s: key %q: keys are letters, digits, '_', '-' and '.'", InfoFile, k)
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			info[k] = s
			continue
		}
		var x any
		json.Unmarshal(v, &x)
		switch x.(type) {
		case float64, bool:
			info[k] = string(bytes.TrimSpace(v))
		default:
			return nil, fmt.Errorf("external: %s: %q is %s, want a string", InfoFile, k, bytes.TrimSpace(v))
		}
	}
	return info, nil
}

// tail keeps the last bytes written to it.
type tail struct{ buf bytes.Buffer }

const tailBytes = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - tailBytes; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

// lastLines returns ": " and the last three non-empty lines, joined with
// " | " so that the error stays one line; "" when there was no output.
func (t *tail) lastLines() string {
	var lines []string
	for _, l := range strings.Split(t.buf.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	lines = lines[max(0, len(lines)-3):]
	return ": " + strings.Join(lines, " | ")
}
