package slurm

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/internal/atomicfile"
)

// ID identifies a sweep's configuration in its folder (sweep.json), so that
// a resubmission can tell its own sweep from another.
type ID struct {
	Preset string            `json:"preset"`
	Shards int               `json:"shards"`
	Hashes map[string]string `json:"config_hashes"` // method → config hash
}

// Same reports whether two sweeps have the same preset, shard count and
// methods' configurations: then their shards partition the same grid.
func (id ID) Same(other ID) bool {
	same := id.Preset == other.Preset && id.Shards == other.Shards && len(id.Hashes) == len(other.Hashes)
	for m, h := range id.Hashes {
		same = same && other.Hashes[m] == h
	}
	return same
}

// Folder is a sweep's folder: sweep.json, config.toml, bin/experiments, the
// two batch scripts, jobs (the submitted job IDs), logs/ and a results
// folder shard-K/ per shard.
type Folder struct{ Dir string }

// ShardRuns is the runs.csv of shard k (1-based).
func (f Folder) ShardRuns(k int) string {
	return filepath.Join(f.Dir, fmt.Sprintf("shard-%d", k), "runs.csv")
}

// ReadID returns the folder's recorded sweep; ok is false when it has none.
func (f Folder) ReadID() (id ID, ok bool, err error) {
	path := filepath.Join(f.Dir, "sweep.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ID{}, false, nil
	}
	if err != nil {
		return ID{}, false, err
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return ID{}, false, fmt.Errorf("%s: %v; remove the folder or use another --dir", path, err)
	}
	return id, true, nil
}

// CheckOwn fails when the folder holds a sweep other than id: its shards
// would not partition id's grid.
func (f Folder) CheckOwn(id ID) error {
	old, ok, err := f.ReadID()
	if err != nil || !ok || old.Same(id) {
		return err
	}
	return fmt.Errorf("%s holds a sweep of another configuration (preset %s, %d shards, hashes %v; this one: preset %s, %d shards, hashes %v); use another --dir, or the same settings as that sweep",
		f.Dir, old.Preset, old.Shards, old.Hashes, id.Preset, id.Shards, id.Hashes)
}

// ShardState is how far one shard of a sweep has got, counting the runs
// the results folder holds for it.
type ShardState struct {
	plan.Count
	// Reuse holds finished runs of the shard's tasks that the results
	// folder has and the shard's own runs.csv lacks; they count as done and
	// are copied into the shard before a submission (CopyRecorded), so no
	// task reruns them.
	Reuse []store.Row
}

// Status reads every shard's runs.csv and counts the runs of p's shard k of
// n in it, or in results (the results folder's runs) when the shard lacks
// a final row.
func (f Folder) Status(p plan.Plan, n int, results *store.Index) ([]ShardState, error) {
	out := make([]ShardState, n)
	for k := 1; k <= n; k++ {
		rows, err := store.ReadFile(f.ShardRuns(k))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("shard %d: %w", k, err)
		}
		tasks := p.Shard(plan.Shard{I: k, N: n})
		reuse := tasks.Pending(store.NewIndex(rows)).Finished(results)
		out[k-1] = ShardState{Count: tasks.Count(store.NewIndex(rows, reuse)), Reuse: reuse}
	}
	return out, nil
}

// Prepare writes the sweep's identity, configuration, binary and scripts,
// each atomically.
func (f Folder) Prepare(id ID, configTOML string, binary []byte, arrayScript, mergeScript string) error {
	for _, d := range []string{f.Dir, filepath.Join(f.Dir, "logs"), filepath.Join(f.Dir, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	idText, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{"sweep.json", append(idText, '\n'), 0o644},
		{"config.toml", []byte(configTOML), 0o644},
		{filepath.Join("bin", "experiments"), binary, 0o755},
		{"array.sbatch", []byte(arrayScript), 0o755},
		{"merge.sbatch", []byte(mergeScript), 0o755},
	}
	for _, file := range files {
		if err := atomicfile.Write(filepath.Join(f.Dir, file.name), file.data, file.perm); err != nil {
			return err
		}
	}
	return nil
}

// CopyRecorded appends to each shard's runs.csv the finished runs Status
// found for it in the results folder.
func (f Folder) CopyRecorded(states []ShardState) error {
	for k, s := range states {
		if len(s.Reuse) == 0 {
			continue
		}
		st, err := store.Open(f.ShardRuns(k + 1))
		if err != nil {
			return err
		}
		for _, row := range s.Reuse {
			// A duplicate is a run a task finished since Status read the shard.
			if err := st.Append(row); err != nil && !errors.Is(err, store.ErrDuplicate) {
				return fmt.Errorf("%s: %w", st.Path(), err)
			}
		}
	}
	return nil
}

// RecordJob appends a submitted job to the folder's jobs file.
func (f Folder) RecordJob(kind, id string) error {
	file, err := os.OpenFile(filepath.Join(f.Dir, "jobs"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(file, "%s %s %s\n", kind, id, time.Now().UTC().Format(time.RFC3339))
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// JobIDs returns every job recorded for the sweep.
func (f Folder) JobIDs() []string {
	file, err := os.Open(filepath.Join(f.Dir, "jobs"))
	if err != nil {
		return nil
	}
	defer file.Close()
	var ids []string
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 {
			ids = append(ids, fields[1])
		}
	}
	return ids
}
