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

// killLeftovers kills what the command started and left running after it
// exited (its process group), so that nothing keeps using the CPU or
// writing into the folder once the run is over.
func killLeftovers(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH when none is left
	}
}
