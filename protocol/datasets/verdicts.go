package datasets

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/ncae-repro/ncae/internal/atomicfile"
)

// verdicts caches successful checksum verifications, keyed by absolute path
// and invalidated by any change of size or modification time.
type verdicts struct {
	file    string
	entries map[string]verdict
	dirty   bool
}

type verdict struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

func loadVerdicts(file string) *verdicts {
	v := &verdicts{file: file, entries: map[string]verdict{}}
	if file == "" {
		return v
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return v
	}
	// A damaged cache is ignored: it only costs a re-hash.
	if json.Unmarshal(data, &v.entries) != nil {
		v.entries = map[string]verdict{}
	}
	return v
}

func key(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func (v *verdicts) ok(path string, st os.FileInfo, sha string) bool {
	e, found := v.entries[key(path)]
	return found && e.Size == st.Size() && e.ModTime == st.ModTime().UnixNano() && e.SHA256 == sha
}

func (v *verdicts) put(path string, st os.FileInfo, sha string) {
	v.entries[key(path)] = verdict{Size: st.Size(), ModTime: st.ModTime().UnixNano(), SHA256: sha}
	v.dirty = true
}

// save writes the cache atomically.
func (v *verdicts) save() error {
	if v.file == "" || !v.dirty {
		return nil
	}
	data, err := json.MarshalIndent(v.entries, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(v.file, data, 0o644)
}
