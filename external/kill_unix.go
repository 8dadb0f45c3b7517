//go:build unix

package external

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd the leader of its own process group and has a
// cancelled or timed-out context kill the whole group, so that a Python
// detector's worker processes die with it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
