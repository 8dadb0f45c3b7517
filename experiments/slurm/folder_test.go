package slurm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFolderIdentity(t *testing.T) {
	f := Folder{Dir: t.TempDir()}
	id := ID{Preset: "quick", Shards: 4, Hashes: map[string]string{"kde": "aaa", "cae": "bbb"}}
	if err := f.CheckOwn(id); err != nil {
		t.Fatalf("empty folder: %v", err)
	}
	if err := f.Prepare(id, "[grid]\n", []byte("#!/bin/sh\n"), "array", "merge"); err != nil {
		t.Fatal(err)
	}
	got, ok, err := f.ReadID()
	if err != nil || !ok || !got.Same(id) {
		t.Fatalf("ReadID = %+v, %v, %v", got, ok, err)
	}
	tests := []struct {
		name  string
		other ID
	}{
		{"preset", ID{Preset: "paper", Shards: 4, Hashes: id.Hashes}},
		{"shards", ID{Preset: "quick", Shards: 2, Hashes: id.Hashes}},
		{"hash", ID{Preset: "quick", Shards: 4, Hashes: map[string]string{"kde": "aaa", "cae": "ccc"}}},
		{"methods", ID{Preset: "quick", Shards: 4, Hashes: map[string]string{"kde": "aaa"}}},
	}
	for _, tt := range tests {
		if err := f.CheckOwn(tt.other); err == nil || !strings.Contains(err.Error(), "another configuration") {
			t.Errorf("other %s: %v", tt.name, err)
		}
	}
	if err := f.CheckOwn(id); err != nil {
		t.Errorf("own sweep: %v", err)
	}
	if err := os.WriteFile(filepath.Join(f.Dir, "sweep.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.CheckOwn(id); err == nil || !strings.Contains(err.Error(), "remove the folder or use another --dir") {
		t.Errorf("damaged sweep.json: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(f.Dir, "bin", "experiments")); string(b) != "#!/bin/sh\n" {
		t.Errorf("binary %q", b)
	}
}

func TestFolderJobs(t *testing.T) {
	f := Folder{Dir: t.TempDir()}
	if ids := f.JobIDs(); len(ids) != 0 {
		t.Fatalf("no jobs file: %v", ids)
	}
	for _, id := range []string{"12", "13"} {
		if err := f.RecordJob("array", id); err != nil {
			t.Fatal(err)
		}
	}
	if ids := f.JobIDs(); strings.Join(ids, ",") != "12,13" {
		t.Errorf("JobIDs = %v", ids)
	}
	if err := (Folder{Dir: filepath.Join(f.Dir, "missing")}).RecordJob("merge", "1"); err == nil {
		t.Error("RecordJob into a missing folder succeeded")
	}
}
