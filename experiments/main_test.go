package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"no command", nil, 2, "", "commands:"},
		{"help", []string{"-h"}, 0, "", "table1"},
		{"unknown command", []string{"train"}, 2, "", `unknown command "train"`},
		{"command help", []string{"run", "-h"}, 0, "", "--method"},
		{"unknown flag", []string{"table1", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{"bad rho list", []string{"table1", "--rhos", "0,x"}, 2, "", `--rhos: "x" is not a number`},
		{"rho out of range", []string{"table1", "--rhos", "0,1.2"}, 2, "", "grid.rhos[1] = 1.2"},
		{"unknown preset", []string{"table1", "--preset", "huge"}, 2, "", `unknown preset "huge"`},
		{"pending methods", []string{"table1", "--preset", "smoke"}, 1, "", "not implemented yet (issue #"},
		{"sweep is pending", []string{"sweep", "--param", "sigma"}, 1, "", "issue #4"},
		{"sweep needs a param", []string{"sweep"}, 2, "", "--param is required"},
		{"run needs a method", []string{"run", "--dataset", "mnist", "--normal", "0"}, 2, "", "--method is required"},
		{"run bad class", []string{"run", "--method", "kde", "--dataset", "mnist", "--normal", "12"}, 2, "", "--normal 12"},
		{"run same classes", []string{"run", "--method", "kde", "--dataset", "mnist", "--normal", "3", "--anomaly", "3"}, 2, "", "--anomaly 3"},
		{"run unknown data set", []string{"run", "--method", "kde", "--dataset", "cifar", "--normal", "3"}, 2, "", `grid.datasets[0] = "cifar"`},
		{"run pending method", []string{"run", "--method", "ncae", "--dataset", "mnist", "--normal", "3"}, 1, "", "issue #5"},
		{"config show", []string{"config", "show", "--preset", "paper"}, 0, "900 experiments × 6 methods", ""},
		{"config bad set", []string{"config", "show", "--set", "grid.seeds=[-1]"}, 2, "", "grid.seeds[0] = -1"},
		{"methods", []string{"methods"}, 0, "ocsvm", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runMain(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantOut)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantErr)
			}
			// A mistake is one line, not a usage dump.
			if code == 2 && len(tt.args) > 0 && tt.args[0] != "train" && strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("usage error printed %d lines:\n%s", strings.Count(stderr.String(), "\n"), stderr.String())
			}
		})
	}
}
