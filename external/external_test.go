package external

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/protocol"
)

// samples returns n random-looking 4×4 images, deterministic in seed.
func samples(n int, seed uint32) protocol.Samples {
	s := protocol.Samples{N: n, Rows: 4, Cols: 4, Pixels: make([]byte, n*16)}
	x := seed*2654435761 + 1
	for i := range s.Pixels {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		s.Pixels[i] = byte(x)
	}
	return s
}

var testKey = protocol.Key{Dataset: "mnist", Normal: 3, Anomaly: 4, Rho: 0.1, Seed: 0}

// run fits and scores a detector with params p on a small experiment, with
// its folders under dir.
func run(t *testing.T, p Params, dir string, keep bool) ([]float64, map[string]string, error) {
	t.Helper()
	if p.Timeout == "" {
		p.Timeout = "30s"
	}
	d, err := New(p, testKey, 0, Options{Dir: dir, Keep: keep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	val := protocol.Labelled{Samples: samples(3, 9), IsAnomaly: []bool{true, false, true}}
	if err := d.FitValidated(ctx, samples(20, 1), val); err != nil {
		t.Fatal(err)
	}
	scores, err := d.Score(ctx, samples(7, 2))
	return scores, d.Info(), err
}

// prepared writes a scores file for the copying detector of copyCommand.
func prepared(t *testing.T, data []byte) string {
	path := filepath.Join(t.TempDir(), "prepared.npy")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyCommand is a detector that copies a prepared scores.npy into its
// folder and lists what it was given in info.json.
func copyCommand(from string) []string {
	return []string{"sh", "-c", `cp "$0" "$1/scores.npy" && echo "{\"files\": \"$(cd "$1" && ls | tr '\n' ' ')\", \"n\": 7}" > "$1/info.json"`, from}
}

func encode(t *testing.T, a npy.Array) []byte {
	b, err := npy.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func float64s(v ...float64) npy.Array {
	data := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(data[8*i:], math.Float64bits(x))
	}
	return npy.Array{Dtype: npy.Float64, Shape: []int{len(v)}, Data: data}
}

// unicodeNpy is a .npy file of n one-character strings (dtype <U1).
func unicodeNpy(n int) []byte {
	header := "{'descr': '<U1', 'fortran_order': False, 'shape': (" + strconv.Itoa(n) + ",), }"
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, 4*n)...)
}

func TestScoresAndInfo(t *testing.T) {
	dir := t.TempDir()
	want := []float64{0.5, 1, 2, 3, -4, 5, 6}
	scores, info, err := run(t, Params{Command: copyCommand(prepared(t, encode(t, float64s(want...))))}, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != len(want) {
		t.Fatalf("scores %v, want %v", scores, want)
	}
	for i := range want {
		if scores[i] != want[i] {
			t.Fatalf("scores %v, want %v", scores, want)
		}
	}
	// Only the unlabelled files: no hold-out (validation = false), never labels.
	if got := info["files"]; got != "experiment.json params.json scores.npy test.npy train.npy " {
		t.Errorf("the detector was given %q", got)
	}
	if info["n"] != "7" {
		t.Errorf("info n = %q, want the number's JSON text 7", info["n"])
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("folder left behind: %v", left)
	}
}

func TestValidationAndKeep(t *testing.T) {
	dir := t.TempDir()
	p := Params{Command: copyCommand(prepared(t, encode(t, float64s(1, 2, 3, 4, 5, 6, 7)))), Validation: true}
	_, info, err := run(t, p, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := info["files"]; got != "experiment.json params.json scores.npy test.npy train.npy validation.npy validation_labels.npy " {
		t.Errorf("with validation = true the detector was given %q", got)
	}
	if info["folder"] == "" || filepath.Dir(info["folder"]) != dir {
		t.Fatalf("kept folder %q, want one under %s", info["folder"], dir)
	}
	labels, err := npy.Read(filepath.Join(info["folder"], "validation_labels.npy"))
	if err != nil || string(labels.Data) != "\x01\x00\x01" {
		t.Errorf("validation_labels.npy = %v, %v", labels.Data, err)
	}
	if _, err := os.Stat(filepath.Join(info["folder"], "output.log")); err != nil {
		t.Errorf("kept folder lacks the detector's output: %v", err)
	}
}

func TestFailures(t *testing.T) {
	nan := float64s(1, 2, math.NaN(), 4, 5, 6, 7)
	inf := float64s(1, 2, 3, math.Inf(-1), 5, 6, 7)
	tests := []struct {
		name    string
		command []string
		timeout string
		want    string // in the error
	}{
		{"missing command", []string{"/nonexistent/detector.py"}, "", "no such file"},
		{"exit status", []string{"sh", "-c", `echo first >&2; echo "Traceback: ValueError: bad k" >&2; exit 3`}, "", "sh failed (exit status 3): first | Traceback: ValueError: bad k"},
		{"timeout", []string{"sh", "-c", "sleep 60 & wait"}, "300ms", `timed out after 0s (timeout = "300ms")`},
		{"no scores", []string{"true"}, "", "exited without writing scores.npy"},
		{"wrong length", copyCommand(prepared(t, encode(t, float64s(1, 2, 3)))), "", "shape [3], want (7,)"},
		{"NaN", copyCommand(prepared(t, encode(t, nan))), "", "score 2 is NaN"},
		{"Inf", copyCommand(prepared(t, encode(t, inf))), "", "score 3 is -Inf"},
		{"strings", copyCommand(prepared(t, unicodeNpy(7))), "", `dtype "<U1" not supported`},
		{"not npy", copyCommand(prepared(t, []byte("0.1,0.2\n"))), "", "not a .npy file"},
		{"bad info", []string{"sh", "-c", `cp "$0" "$1/scores.npy"; echo '{"k": [1]}' > "$1/info.json"`, prepared(t, encode(t, float64s(1, 2, 3, 4, 5, 6, 7)))}, "", `"k" is [1], want a string`},
		{"bad info key", []string{"sh", "-c", `cp "$0" "$1/scores.npy"; echo '{"a;b=c": "1"}' > "$1/info.json"`, prepared(t, encode(t, float64s(1, 2, 3, 4, 5, 6, 7)))}, "", `key "a;b=c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			_, _, err := run(t, Params{Command: tt.command, Timeout: tt.timeout}, dir, false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if tt.timeout != "" && time.Since(start) > 10*time.Second {
				t.Errorf("the timed-out detector (and its child) took %s to die", time.Since(start))
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("folder left behind after a failure: %v", left)
			}
		})
	}
}

// TestLeftoverChild: a detector that succeeds but leaves a child running
// (holding its output open) is a success, at once, and the child is killed.
func TestLeftoverChild(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "alive")
	from := prepared(t, encode(t, float64s(1, 2, 3, 4, 5, 6, 7)))
	command := []string{"sh", "-c", `(sleep 3; touch "` + marker + `") & cp "$0" "$1/scores.npy"; echo started`, from}
	start := time.Now()
	scores, _, err := run(t, Params{Command: command}, t.TempDir(), false)
	if err != nil || len(scores) != 7 {
		t.Fatalf("scores %v, error %v", scores, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the run took %s: it waited for the child", took)
	}
	time.Sleep(4 * time.Second)
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child the detector left running was not killed")
	}
}

func TestCancel(t *testing.T) {
	d, err := New(Params{Command: []string{"sh", "-c", "sleep 60"}, Timeout: "1m"}, testKey, 0, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	d.Fit(ctx, samples(5, 1))
	if _, err := d.Score(ctx, samples(5, 2)); err != context.DeadlineExceeded {
		t.Errorf("cancelled run: error %v, want the context's", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want string
	}{
		{"no command", Params{Timeout: "1m"}, "command is empty"},
		{"blank program", Params{Command: []string{" "}, Timeout: "1m"}, "command is empty"},
		{"bad timeout", Params{Command: []string{"x"}, Timeout: "soon"}, `timeout = "soon"`},
		{"zero timeout", Params{Command: []string{"x"}, Timeout: "0s"}, `timeout = "0s"`},
		{"NaN param", Params{Command: []string{"x"}, Timeout: "1m", Params: map[string]any{"grid": map[string]any{"nu": []any{0.1, math.NaN()}}}}, "params.grid.nu[1] = NaN"},
		{"Inf param", Params{Command: []string{"x"}, Timeout: "1m", Params: map[string]any{"c": math.Inf(1)}}, "params.c = +Inf"},
		{"channel", Params{Command: []string{"x"}, Timeout: "1m", Params: map[string]any{"ch": make(chan int)}}, "params.ch: chan int cannot be written as JSON"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.want)
		}
	}
	ok := DefaultParams()
	ok.Command = []string{"python3", "d.py"}
	ok.Params["k"] = int64(5)
	if err := ok.Validate(); err != nil {
		t.Errorf("valid params: %v", err)
	}
}

func TestNames(t *testing.T) {
	for name, want := range map[string]bool{"external:knn": true, "external:my-det_2": true, "external:": false,
		"external:a.b": false, "external:a/b": false, "knn": false, "ncae": false} {
		if IsMethod(name) != want {
			t.Errorf("IsMethod(%q) = %v", name, !want)
		}
	}
	if s := Section("external:knn"); s != "external.knn" {
		t.Errorf("Section = %q", s)
	}
}

// python returns an interpreter that imports NumPy and scikit-learn (the
// first python3 on PATH, then Debian's), or skips; CI sets
// NCAE_REQUIRE_SKLEARN=1 to make the skip a failure.
func python(t *testing.T) string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import numpy, sklearn").Run() == nil {
			return py
		}
	}
	if os.Getenv("NCAE_REQUIRE_SKLEARN") == "1" {
		t.Fatal("no python3 imports numpy and sklearn (apt-get install python3-sklearn)")
	}
	t.Skip("no python3 with numpy and sklearn (apt-get install python3-sklearn)")
	return ""
}

// TestKNNExample runs detectors/knn.py and checks its scores against the
// k-th nearest-neighbour distance computed here.
func TestKNNExample(t *testing.T) {
	py := python(t)
	const k = 3
	scores, info, err := run(t, Params{Command: []string{py, "../detectors/knn.py"}, Params: map[string]any{"k": k}}, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	train, test := samples(20, 1).Float64(), samples(7, 2).Float64()
	for i := range 7 {
		var d []float64
		for j := range 20 {
			var s float64
			for p := range 16 {
				diff := test[i*16+p] - train[j*16+p]
				s += diff * diff
			}
			d = append(d, math.Sqrt(s))
		}
		sort.Float64s(d)
		// float32 pixels in the files, float64 arithmetic in knn.py
		if math.Abs(scores[i]-d[k-1]) > 1e-6 {
			t.Errorf("test image %d: knn.py %v, want %v", i, scores[i], d[k-1])
		}
	}
	if info["k"] != "3" {
		t.Errorf("info = %v", info)
	}
}

// TestIForestExample runs detectors/iforest.py twice: its forest is seeded
// from experiment.json, so the scores repeat.
func TestIForestExample(t *testing.T) {
	py := python(t)
	p := Params{Command: []string{py, "../detectors/iforest.py"}, Params: map[string]any{"n_estimators": 50}}
	a, info, err := run(t, p, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := run(t, p, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("two runs differ at %d: %v vs %v", i, a[i], b[i])
		}
	}
	if info["sklearn"] == "" {
		t.Errorf("info = %v", info)
	}
}

// TestWorkersInExperimentJSON: the share of the cores a run is given
// reaches the command in experiment.json, and is absent when none was.
func TestWorkersInExperimentJSON(t *testing.T) {
	from := prepared(t, encode(t, float64s(1, 2, 3, 4, 5, 6, 7)))
	for _, tt := range []struct {
		workers int
		want    string // grep's exit status: 0 found, 1 not
	}{{3, "0"}, {0, "1"}} {
		// The command copies the scores, then exits with grep's status.
		command := []string{"sh", "-c", `cp "$0" "$1/scores.npy"; grep -q '"workers": *3' "$1/experiment.json"; s=$?; [ $s = ` + tt.want + ` ]`, from}
		d, err := New(Params{Command: command, Timeout: "30s"}, testKey, 0, Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		d.SetWorkers(tt.workers)
		ctx := context.Background()
		if err := d.Fit(ctx, samples(20, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Score(ctx, samples(7, 2)); err != nil {
			t.Errorf("workers %d: %v", tt.workers, err)
		}
	}
}
