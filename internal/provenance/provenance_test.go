package provenance

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitCommitIgnoresOutputs(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.email=t@t", "-c", "user.name=t"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	os.MkdirAll(filepath.Join(dir, "results"), 0o755)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "results", "runs.csv"), []byte("a\n"), 0o644)
	git("add", "-A")
	git("commit", "-qm", "x")
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)

	clean := GitCommit()
	if clean == "unknown" || strings.HasSuffix(clean, "-dirty") {
		t.Fatalf("clean tree: %q", clean)
	}
	os.WriteFile(filepath.Join(dir, "results", "runs.csv"), []byte("a\nb\n"), 0o644)
	if got := GitCommit(); got != clean {
		t.Errorf("a new result row made the commit %q", got)
	}
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main // edited\n"), 0o644)
	if got := GitCommit(); got != clean+"-dirty" {
		t.Errorf("edited source: %q, want %q", got, clean+"-dirty")
	}
	// A dirty tree may record into an untracked folder, or with allowDirty.
	dirty := GitCommit()
	if err := CheckRecordable(dirty, "results", false); err == nil || !strings.Contains(err.Error(), "--allow-dirty") {
		t.Errorf("dirty tree into committed results: %v", err)
	}
	for _, ok := range []struct {
		commit, dir string
		allow       bool
	}{{dirty, "results", true}, {dirty, "scratch", false}, {clean, "results", false}} {
		if err := CheckRecordable(ok.commit, ok.dir, ok.allow); err != nil {
			t.Errorf("CheckRecordable(%q, %q, %v): %v", ok.commit, ok.dir, ok.allow, err)
		}
	}
}
