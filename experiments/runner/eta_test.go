package runner

import (
	"fmt"
	"github.com/ncae-repro/ncae/experiments/plan"
	"testing"
	"time"

	"github.com/ncae-repro/ncae/protocol"
)

func TestETAEstimator(t *testing.T) {
	task := func(ds, m string) plan.Task { return plan.Task{Key: protocol.Key{Dataset: ds}, Method: m} }
	todo := []plan.Task{
		task("mnist", "fast"), task("mnist", "slow"),
		task("mnist", "fast"), task("mnist", "slow"),
		task("fmnist", "slow"), task("fmnist", "slow"),
	}
	e := newETAEstimator(todo)
	if _, ok := e.left(time.Second); ok {
		t.Fatal("an estimate before any run finished")
	}
	e.finished(todo[0], 1*time.Second)
	e.finished(todo[1], 9*time.Second)
	tests := []struct {
		name    string
		elapsed time.Duration
		want    time.Duration
	}{
		// Left: mnist fast 1 s + mnist slow 9 s + 2 fmnist slow costed
		// as "slow" anywhere (9 s each) = 28 s of run time.
		{"one worker", 10 * time.Second, 28 * time.Second},
		{"two workers", 5 * time.Second, 14 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := e.left(tt.elapsed)
			if !ok || got != tt.want {
				t.Errorf("left(%v) = %v, %v; want %v", tt.elapsed, got, ok, tt.want)
			}
		})
	}
	// Once an fmnist run is seen, its own mean is used.
	e.finished(todo[4], 30*time.Second)
	// Left: 1 + 9 + 30 = 40 s of run time; 40 s elapsed for 40 s run.
	if got, _ := e.left(40 * time.Second); got != 40*time.Second {
		t.Errorf("after an fmnist run: left = %v, want 40s", got)
	}
}

func TestFirstOfEachDatasetFirst(t *testing.T) {
	group := func(ds string, c int) []plan.Task { return []plan.Task{{Key: protocol.Key{Dataset: ds, Normal: c}}} }
	tests := []struct {
		name string
		in   [][]plan.Task
		want []string // dataset/class in order
	}{
		{"two data sets", [][]plan.Task{group("mnist", 0), group("mnist", 1), group("fmnist", 0), group("fmnist", 1)},
			[]string{"mnist/0", "fmnist/0", "mnist/1", "fmnist/1"}},
		{"one data set", [][]plan.Task{group("mnist", 0), group("mnist", 1)}, []string{"mnist/0", "mnist/1"}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, g := range firstOfEachDatasetFirst(tt.in) {
				got = append(got, fmt.Sprintf("%s/%d", g[0].Key.Dataset, g[0].Key.Normal))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}
