// Package provenance says which code produced a result.
package provenance

import (
	"fmt"
	"os/exec"
	"strings"
)

// GitCommit returns the short hash of HEAD in the current directory's
// repository, with "-dirty" when tracked source files have uncommitted
// changes (the outputs under results/ and plots/ do not count), or "unknown"
// outside a repository.
func GitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--",
		".", ":(exclude)results", ":(exclude)plots").Output()
	if err == nil && len(strings.TrimSpace(string(status))) > 0 {
		commit += "-dirty"
	}
	return commit
}

// Tracked reports whether git tracks any file under dir (relative to the
// current directory): a committed results folder.
func Tracked(dir string) bool {
	out, err := exec.Command("git", "ls-files", "--", dir).Output()
	return err == nil && len(strings.TrimSpace(string(out))) > 0
}

// CheckRecordable refuses to record runs made by commit (GitCommit's
// answer) into resultsDir when the working tree is modified and git
// tracks resultsDir: committed rows must name the code that produced them.
// allowDirty lets them in, marked "-dirty".
func CheckRecordable(commit, resultsDir string, allowDirty bool) error {
	if allowDirty || !strings.HasSuffix(commit, "-dirty") || !Tracked(resultsDir) {
		return nil
	}
	return fmt.Errorf("the working tree has uncommitted changes (git status) and %s is a committed results folder: "+
		"commit first, so that its rows name the code that made them, or pass --allow-dirty to record rows marked %s", resultsDir, commit)
}
