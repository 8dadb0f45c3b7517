package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ncae-repro/ncae/experiments/plan"
	"github.com/ncae-repro/ncae/experiments/runner"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/model"
)

// progress is the runner's Observer on the command line: a line per
// training epoch of a deep model, and per finished run a bar with
// done/total, the run and its result, elapsed time and the runner's ETA
// (per data set and method, so it is rough until each kind of run has been
// seen once). Lines rather than a redrawn bar, so that logs of long sweeps
// read the same as the terminal.
type progress struct{ w io.Writer }

func (p progress) Epoch(t plan.Task, r model.EpochReport) {
	label := ""
	if t.Label != "" {
		label = " " + t.Label
	}
	fmt.Fprintf(p.w, "  %s %s%s: %s\n", t.Key, t.Method, label, r)
}

func (p progress) Finished(e runner.Event) {
	eta := "?"
	if e.HasETA {
		eta = e.ETA.Round(time.Second).String()
	}
	result := fmt.Sprintf("auc %.4f", e.Row.AUC)
	if e.Row.Status != store.OK {
		result = string(e.Row.Status) + ": " + e.Row.Error
	}
	label := ""
	if e.Task.Label != "" {
		label = e.Task.Label + " "
	}
	fmt.Fprintf(p.w, "%s%s %d/%d %s: %s (%.1fs) | elapsed %s, ETA %s\n", label, bar(e.Done, e.Total, 20), e.Done, e.Total,
		e.Task, result, e.Row.TrainSeconds+e.Row.ScoreSeconds, e.Elapsed.Round(time.Second), eta)
}

// bar renders done/total as [#####.....] of width cells.
func bar(done, total, width int) string {
	filled := width
	if total > 0 {
		filled = width * done / total
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}
