package store

import (
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func row(normal int, status Status) Row {
	return Row{Dataset: "mnist", Method: "kde", Rho: 0.05, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
		ConfigHash: "abc123", AUC: 0.5 + float64(normal)/100, AUPR: 0.25 + float64(normal)/100, TrainSeconds: 1.25, ScoreSeconds: 0.5,
		Backend: "go", GitCommit: "deadbee", Status: status, NTrain: 7000, NAnomaliesTrain: 311, NTest: 10000,
		Info: map[string]string{"bandwidth": "2.83", "note": "a;b"}, FinishedAt: "2026-11-28T00:00:00Z"}
}

func TestAppendRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results", "runs.csv")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{row(0, OK), row(1, Failed), row(2, Diverged)}
	want[1].AUC, want[1].Error = math.NaN(), "out of memory,\nline two"
	for _, r := range want {
		if err := s.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Rows()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d rows", len(got))
	}
	if got[0].AUC != 0.5 || got[0].AUPR != 0.25 || got[0].Info["bandwidth"] != "2.83" || got[0].Key() != want[0].Key() || got[0].NAnomaliesTrain != 311 {
		t.Errorf("row 0 = %+v", got[0])
	}
	if !math.IsNaN(got[1].AUC) || got[1].Error != "out of memory, line two" {
		t.Errorf("failed row = %+v", got[1])
	}
	done, _ := s.Finished()
	if len(done) != 2 {
		t.Errorf("%d finished keys, want 2 (ok and diverged)", len(done))
	}
	// A final key is not recorded twice; a failed one may be retried.
	if err := s.Append(row(0, OK)); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate append: %v", err)
	}
	if err := s.Append(row(1, OK)); err != nil {
		t.Errorf("retry of failed run: %v", err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), strings.Join(Columns(), ",")+"\n") {
		t.Errorf("file does not start with the header:\n%s", data)
	}
}

// TestCleanRowSupersedesDirty: a run repeated from a committed tree may
// follow a final row of a modified one (which stays in the file), and then
// counts; nothing else may repeat a final row.
func TestCleanRowSupersedesDirty(t *testing.T) {
	tests := []struct {
		name          string
		first, second string // git commits
		wantErr       bool
	}{
		{"clean over dirty", "deadbee-dirty", "cafe123", false},
		{"clean over clean", "deadbee", "cafe123", true},
		{"dirty over dirty", "deadbee-dirty", "cafe123-dirty", true},
		{"dirty over clean", "deadbee", "cafe123-dirty", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "runs.csv"))
			if err != nil {
				t.Fatal(err)
			}
			old, again := row(0, OK), row(0, OK)
			old.GitCommit, again.GitCommit = tt.first, tt.second
			again.AUC, again.FinishedAt = 0.75, "2026-12-06T00:00:00Z"
			if err := s.Append(old); err != nil {
				t.Fatal(err)
			}
			err = s.Append(again)
			if gotErr := errors.Is(err, ErrDuplicate); gotErr != tt.wantErr {
				t.Fatalf("second append: %v, want duplicate %v", err, tt.wantErr)
			}
			rows, _ := s.Rows()
			done, _ := s.Finished()
			want, wantRows := old, 1
			if !tt.wantErr {
				want, wantRows = again, 2
			}
			if len(rows) != wantRows || done[old.Key()].GitCommit != want.GitCommit || done[old.Key()].AUC != want.AUC {
				t.Errorf("%d rows, counting row %+v; want %d rows, commit %s", len(rows), done[old.Key()], wantRows, want.GitCommit)
			}
			// Once superseded, the key has a clean final row: no third one.
			if !tt.wantErr {
				third := again
				third.GitCommit = "f00d456"
				if err := s.Append(third); !errors.Is(err, ErrDuplicate) {
					t.Errorf("third append: %v, want ErrDuplicate", err)
				}
			}
		})
	}
}

// TestLegacyHeader reads a runs.csv written before the aupr column and
// upgrades it on the next Append, keeping its rows' bytes.
func TestLegacyHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.csv")
	old := row(0, OK)
	var buf strings.Builder
	w := csv.NewWriter(&buf)
	w.Write(legacyColumns)
	w.Write(old.record()[:len(legacyColumns)])
	w.Flush()
	legacy := buf.String()
	if err := os.WriteFile(path, []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadFile(path)
	if err != nil || len(rows) != 1 || rows[0].AUC != old.AUC || !math.IsNaN(rows[0].AUPR) {
		t.Fatalf("legacy file read as %+v, %v", rows, err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(row(1, OK)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(string(data), "\n")
	if lines[0] != strings.Join(Columns(), ",") || !strings.HasPrefix(lines[1], strings.Split(legacy, "\n")[1]+",") {
		t.Errorf("upgraded file:\n%s\nfrom:\n%s", data, legacy)
	}
	rows, _ = ReadFile(path)
	if len(rows) != 2 || !math.IsNaN(rows[0].AUPR) || rows[1].AUPR != 0.26 {
		t.Errorf("upgraded rows %+v", rows)
	}
}

func TestDamagedFileIsNotOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.csv")
	good := row(0, OK).record()
	tests := map[string]string{
		"foreign header": "a,b,c\n1,2,3\n",
		"short row":      strings.Join(Columns(), ",") + "\n" + strings.Join(good[:5], ",") + "\n",
		"bad number":     strings.Join(Columns(), ",") + "\n" + strings.Replace(strings.Join(good, ","), ",0.05,", ",zero,", 1) + "\n",
	}
	for name, content := range tests {
		os.WriteFile(path, []byte(content), 0o644)
		if _, err := Open(path); err == nil {
			t.Errorf("%s: Open accepted a damaged file", name)
		}
		s := &Store{path: path}
		if err := s.Append(row(5, OK)); err == nil {
			t.Errorf("%s: Append wrote over a damaged file", name)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("%s: file changed", name)
		}
	}
}

// TestKilledWriterLosesNothing kills a writing process (SIGKILL, no chance
// to clean up) at random moments and checks, after a final resumed run, that
// every run is present exactly once and the file always parses.
func TestKilledWriterLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const total = 400
	path := filepath.Join(t.TempDir(), "runs.csv")
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSweep$")
		cmd.Env = append(os.Environ(), "STORE_HELPER_PATH="+path, "STORE_HELPER_TOTAL="+strconv.Itoa(total))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	recorded := 0
	for kill := 0; kill < 5; kill++ {
		cmd := start()
		// Kill only once the writer is busy: some new rows have appeared.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			rows, err := ReadFile(path)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("while writing, the file does not parse: %v", err)
			}
			if len(rows) >= recorded+20 || len(rows) == total {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		rows, err := ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("after kill %d the file does not parse: %v", kill, err)
		}
		recorded = len(rows)
	}
	rows, _ := ReadFile(path)
	t.Logf("%d of %d runs recorded before the last resume", len(rows), total)
	if err := start().Wait(); err != nil {
		t.Fatalf("resumed sweep: %v", err)
	}
	rows, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Key]bool{}
	for _, r := range rows {
		if seen[r.Key()] {
			t.Errorf("run %s recorded twice", r.Key())
		}
		seen[r.Key()] = true
	}
	if len(seen) != total {
		t.Errorf("%d distinct runs recorded, want %d", len(seen), total)
	}
}

// TestHelperSweep is the writer process of TestKilledWriterLosesNothing: a
// sweep that skips finished runs and records the others.
func TestHelperSweep(t *testing.T) {
	path := os.Getenv("STORE_HELPER_PATH")
	if path == "" {
		t.Skip("helper process")
	}
	total, _ := strconv.Atoi(os.Getenv("STORE_HELPER_TOTAL"))
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	done, err := s.Finished()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i++ {
		r := row(i%10, OK)
		r.Seed = i / 10
		if _, ok := done[r.Key()]; ok {
			continue
		}
		if err := s.Append(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
