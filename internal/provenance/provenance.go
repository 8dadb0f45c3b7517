// Package provenance says which code produced a result.
package provenance

import (
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
