//go:build !unix

package external

import "os/exec"

// killGroup leaves exec's default: only the command itself is killed.
func killGroup(*exec.Cmd) {}
