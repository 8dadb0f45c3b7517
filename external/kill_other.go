//go:build !unix

package external

import "os/exec"

// killGroup leaves exec's default: only the command itself is killed.
func killGroup(*exec.Cmd) {}

// killLeftovers does nothing here: without process groups only the command
// itself was ever known.
func killLeftovers(*exec.Cmd) {}
