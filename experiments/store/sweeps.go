package store

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/internal/atomicfile"
)

// SweepEntry says that the runs of Method with ConfigHash at ρ = Rho belong
// to the sweep of Param at Value: the key that lets Figure 2 be rebuilt from
// runs.csv alone (runs of the same configuration at other ρ, e.g. from
// table1, are not part of it). Param "rho" sweeps the grid, not the method,
// so its entries share one hash and Rho = Value. Value is the value's text:
// a number in Go's shortest form, or a word for a categorical key
// (ncae.mining_similarity = euclidean).
type SweepEntry struct {
	Param      string
	Value      string
	Method     string
	ConfigHash string
	Rho        float64
}

var sweepColumns = []string{"param", "value", "method", "config_hash", "rho"}

// MethodConfig returns the entry's method and config hash.
func (e SweepEntry) MethodConfig() MethodConfig { return MethodConfig{e.Method, e.ConfigHash} }

// ReadSweeps reads a sweeps.csv; a missing file is no entries.
func ReadSweeps(path string) ([]SweepEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(sweepColumns, ",") {
		return nil, fmt.Errorf("%s: not a sweeps file (header should be %s)", path, strings.Join(sweepColumns, ","))
	}
	var out []SweepEntry
	for i, r := range recs[1:] {
		v := r[1]
		if v == "" {
			return nil, fmt.Errorf("%s:%d: empty value", path, i+2)
		}
		rho, err := strconv.ParseFloat(r[4], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: rho %q: %w", path, i+2, r[4], err)
		}
		out = append(out, SweepEntry{Param: r[0], Value: v, Method: r[2], ConfigHash: r[3], Rho: rho})
	}
	return out, nil
}

// AddSweeps merges entries into the sweeps file at path (replaced
// atomically, under the same lock as runs.csv's writers).
func AddSweeps(path string, entries []SweepEntry) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	old, err := ReadSweeps(path)
	if err != nil {
		return err
	}
	seen := map[SweepEntry]bool{}
	var all []SweepEntry
	for _, e := range append(old, entries...) {
		if !seen[e] {
			seen[e] = true
			all = append(all, e)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.Param != b.Param {
			return a.Param < b.Param
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		if c := CompareValues(a.Value, b.Value); c != 0 {
			return c < 0
		}
		return a.Rho < b.Rho
	})
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	w.Write(sweepColumns)
	for _, e := range all {
		w.Write([]string{e.Param, e.Value, e.Method, e.ConfigHash, strconv.FormatFloat(e.Rho, 'g', -1, 64)})
	}
	w.Flush()
	return atomicfile.Write(path, []byte(sb.String()), 0o644)
}

// CompareValues orders swept values: numbers numerically, before words,
// words alphabetically.
func CompareValues(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}
