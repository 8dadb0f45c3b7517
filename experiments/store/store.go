// Package store keeps results/runs.csv, the record of every finished run.
//
// Each Append rewrites the file through a temporary file and a rename, under
// an exclusive lock, so a crash at any moment leaves either the old file or
// the new one — never a torn row — and several processes may share one file.
// A run is identified by its Key (experiment, method and config hash); once a
// row with a final status exists for a key, the store refuses a second one,
// so a resumed sweep can neither lose nor duplicate a finished run — with
// one exception: a row from a committed tree may follow final rows made
// from a modified one (Row.Dirty), and supersedes them.
package store

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ncae-repro/ncae/internal/atomicfile"
	"github.com/ncae-repro/ncae/protocol"
)

// Status is a run's outcome, as runs.csv spells it.
type Status string

// Run statuses. OK and Diverged are final outcomes of a deterministic
// computation; Failed (an error, e.g. out of memory) is retried by a rerun.
const (
	OK       Status = "ok"
	Diverged Status = "diverged"
	Failed   Status = "failed"
)

// columns is the header of runs.csv. Columns added later go at the end;
// a file with an older header (legacyColumns) is read with those columns
// empty and upgraded when a row is appended.
var columns = append(append([]string(nil), legacyColumns...), "aupr")

// legacyColumns is the header before the aupr column.
var legacyColumns = []string{
	"dataset", "method", "rho", "normal_class", "anomaly_class", "seed", "config_hash",
	"auc", "train_seconds", "score_seconds", "backend", "git_commit", "status", "error",
	"n_train", "n_anomalies_train", "n_test", "info", "finished_at",
}

// Columns returns the header of runs.csv.
func Columns() []string { return append([]string(nil), columns...) }

// Row is one finished run.
type Row struct {
	Dataset      string
	Method       string
	Rho          float64
	NormalClass  int
	AnomalyClass int
	Seed         int
	ConfigHash   string

	AUC          float64 // NaN unless Status is OK
	AUPR         float64 // average precision; NaN unless OK (and in rows recorded before the column)
	TrainSeconds float64
	ScoreSeconds float64
	Backend      string
	GitCommit    string
	Status       Status
	Error        string

	NTrain          int
	NAnomaliesTrain int
	NTest           int
	Info            map[string]string // method-specific (selected γ, mining precision, …)
	FinishedAt      string            // RFC 3339, UTC
}

// Key identifies a run: the same key is the same computation.
type Key struct {
	Experiment protocol.Key
	Method     string
	ConfigHash string
}

// MethodConfig is a method under one configuration: the unit of a table's
// row or a plot's series.
type MethodConfig struct {
	Method, ConfigHash string
}

// MethodConfig returns the row's method and config hash.
func (r Row) MethodConfig() MethodConfig { return MethodConfig{r.Method, r.ConfigHash} }

// String renders the key for messages and sorting.
func (k Key) String() string { return k.Experiment.String() + "/" + k.Method + "/" + k.ConfigHash }

// Key returns the row's key.
func (r Row) Key() Key {
	return Key{Experiment: protocol.Key{Dataset: r.Dataset, Normal: r.NormalClass, Anomaly: r.AnomalyClass, Seed: r.Seed, Rho: r.Rho},
		Method: r.Method, ConfigHash: r.ConfigHash}
}

// Final reports whether the row is a final outcome (not to be rerun).
func (r Row) Final() bool { return r.Status == OK || r.Status == Diverged }

// Dirty reports whether the row was recorded from a working tree with
// uncommitted changes (its git commit ends in "-dirty"), so that no
// commit holds the code that made it.
func (r Row) Dirty() bool { return strings.HasSuffix(r.GitCommit, "-dirty") }

// ErrDuplicate is returned by Append for a key that already has a final
// row (other than a dirty one that a clean row supersedes).
var ErrDuplicate = errors.New("run already recorded")

// Store is a runs.csv file.
type Store struct {
	path string
	mu   sync.Mutex // serialises this process's writers; the file lock does the rest
}

// Open returns the store at path, creating its directory. An existing file is
// read and checked, so a damaged file is reported before any run starts.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{path: path}
	if _, err := ReadFile(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return s, nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Rows returns every row in file order.
func (s *Store) Rows() ([]Row, error) {
	rows, err := ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return rows, err
}

// Finished returns the keys that have a final row.
func (s *Store) Finished() (map[Key]Row, error) {
	rows, err := s.Rows()
	if err != nil {
		return nil, err
	}
	return NewIndex(rows).Finished(), nil
}

// Append adds row atomically. It fails with ErrDuplicate if the row's key
// already has a final row — unless every final row of the key is Dirty and
// row is not: a run repeated from a committed tree supersedes the rows of
// a modified one, which stay in the file (the Index counts the last final
// row). It refuses to touch a file it cannot parse.
func (s *Store) Append(row Row) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path + ".lock")
	if err != nil {
		return fmt.Errorf("store: lock %s: %w", s.path, err)
	}
	defer unlock()

	old, err := os.ReadFile(s.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	rows, err := parse(bytes.NewReader(old), s.path)
	if err != nil {
		return err
	}
	k := row.Key()
	for _, r := range rows {
		if r.Final() && r.Key() == k && !(r.Dirty() && !row.Dirty()) {
			return fmt.Errorf("store: %s: %w", k, ErrDuplicate)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if len(old) == 0 || legacyHeader(old) {
		// A new file, or one with an older header: (re)write it whole, in
		// the current columns. Every row was written by record, so the old
		// rows' bytes are unchanged but for the new, empty columns.
		buf.WriteString(strings.Join(columns, ",") + "\n")
		for _, r := range rows {
			w.Write(r.record())
		}
	} else {
		buf.Write(old)
	}
	if err := w.Write(row.record()); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	w.Flush()
	if err := atomicfile.Write(s.path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("store: write %s: %w", s.path, err)
	}
	return nil
}

// ReadFile parses a runs.csv file.
func ReadFile(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f, path)
}

// legacyHeader reports whether a runs.csv file starts with the header
// before the newest columns.
func legacyHeader(file []byte) bool {
	line, _, _ := bytes.Cut(file, []byte("\n"))
	return string(bytes.TrimSuffix(line, []byte("\r"))) == strings.Join(legacyColumns, ",")
}

func parse(r io.Reader, name string) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked against the header below
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s: header: %w", name, err)
	}
	switch strings.Join(header, ",") {
	case strings.Join(columns, ","), strings.Join(legacyColumns, ","):
	default:
		return nil, fmt.Errorf("store: %s: header %q is not runs.csv's (%q); move the file aside", name, strings.Join(header, ","), strings.Join(columns, ","))
	}
	cr.FieldsPerRecord = len(header)
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w; fix or remove that line", name, err)
		}
		line, _ := cr.FieldPos(0)
		for len(rec) < len(columns) {
			rec = append(rec, "") // a column the file's header predates
		}
		row, err := fromRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("store: %s:%d: %w; fix or remove that line", name, line, err)
		}
		rows = append(rows, row)
	}
}

func (r Row) record() []string {
	f := func(x float64, prec int) string {
		if math.IsNaN(x) {
			return ""
		}
		if prec < 0 {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	return []string{
		r.Dataset, r.Method, protocol.FormatRho(r.Rho), strconv.Itoa(r.NormalClass), strconv.Itoa(r.AnomalyClass),
		strconv.Itoa(r.Seed), r.ConfigHash,
		f(r.AUC, -1), f(r.TrainSeconds, 3), f(r.ScoreSeconds, 3),
		r.Backend, r.GitCommit, string(r.Status), oneLine(r.Error),
		strconv.Itoa(r.NTrain), strconv.Itoa(r.NAnomaliesTrain), strconv.Itoa(r.NTest),
		formatInfo(r.Info), r.FinishedAt, f(r.AUPR, -1),
	}
}

func fromRecord(rec []string) (Row, error) {
	var r Row
	var errs []error
	num := func(col int) float64 {
		if rec[col] == "" {
			return math.NaN()
		}
		x, err := strconv.ParseFloat(rec[col], 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %s: %q is not a number", columns[col], rec[col]))
		}
		return x
	}
	integer := func(col int) int {
		x, err := strconv.Atoi(rec[col])
		if err != nil {
			errs = append(errs, fmt.Errorf("column %s: %q is not an integer", columns[col], rec[col]))
		}
		return x
	}
	r.Dataset, r.Method = rec[0], rec[1]
	r.Rho = num(2)
	r.NormalClass, r.AnomalyClass, r.Seed = integer(3), integer(4), integer(5)
	r.ConfigHash = rec[6]
	r.AUC, r.TrainSeconds, r.ScoreSeconds = num(7), num(8), num(9)
	r.Backend, r.GitCommit, r.Status, r.Error = rec[10], rec[11], Status(rec[12]), rec[13]
	r.NTrain, r.NAnomaliesTrain, r.NTest = integer(14), integer(15), integer(16)
	r.Info = parseInfo(rec[17])
	r.FinishedAt = rec[18]
	r.AUPR = num(19)
	switch r.Status {
	case OK, Diverged, Failed:
	default:
		errs = append(errs, fmt.Errorf("column status: %q is not ok, diverged or failed", r.Status))
	}
	if r.Dataset == "" || r.Method == "" || r.ConfigHash == "" {
		errs = append(errs, fmt.Errorf("dataset, method and config_hash must be set"))
	}
	return r, errors.Join(errs...)
}

// formatInfo writes a map as "k=v;k=v" with sorted keys.
func formatInfo(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strings.NewReplacer(";", ",", "\n", " ").Replace(m[k])
	}
	return strings.Join(parts, ";")
}

func parseInfo(s string) map[string]string {
	if s == "" {
		return nil
	}
	m := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(part, "=")
		m[k] = v
	}
	return m
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
