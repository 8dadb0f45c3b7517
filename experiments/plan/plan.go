// Package plan turns a configuration into the runs it asks for: the Table 1
// grid, a sweep of one parameter, a shard of either. Plans are pure
// functions of the configuration — building one opens no data set and no
// backend — so a dry run, a Slurm submission, its status and the runner all
// see the same list. Count says how far a plan has got in a run index.
package plan

import (
	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/protocol"
)

// Task is one run: a method with its parameters on one experiment.
type Task struct {
	Key        protocol.Key
	Method     string
	ConfigHash string          // the method's config hash (config.Config.Hash)
	Params     registry.Params // the method's parameters
	// Label names the sweep value the task belongs to ("sigma=0.1"); ""
	// outside a sweep.
	Label string
}

// NewTask returns method's run on key under cfg.
func NewTask(cfg *config.Config, key protocol.Key, method string) Task {
	return Task{Key: key, Method: method, ConfigHash: cfg.Hash(method), Params: cfg.Methods[method]}
}

// StoreKey returns the task's key in the results store.
func (t Task) StoreKey() store.Key {
	return store.Key{Experiment: t.Key, Method: t.Method, ConfigHash: t.ConfigHash}
}

func (t Task) String() string { return t.Key.String() + " " + t.Method }

// Plan is a list of runs in the order they are to be run.
type Plan []Task

// Table1 is the configuration's grid: every experiment of the grid with
// every method of grid.methods, methods varying fastest.
func Table1(cfg *config.Config) Plan {
	return Grid(cfg, cfg.ProtocolGrid().Keys(), cfg.Grid.Methods, "")
}

// Grid returns keys × methods under cfg, methods varying fastest, each task
// labelled label.
func Grid(cfg *config.Config, keys []protocol.Key, methods []string, label string) Plan {
	p := make(Plan, 0, len(keys)*len(methods))
	for _, k := range keys {
		for _, m := range methods {
			t := NewTask(cfg, k, m)
			t.Label = label
			p = append(p, t)
		}
	}
	return p
}

// Keys returns the plan's experiments in the order they first appear.
func (p Plan) Keys() []protocol.Key {
	seen := map[protocol.Key]bool{}
	var keys []protocol.Key
	for _, t := range p {
		if !seen[t.Key] {
			seen[t.Key] = true
			keys = append(keys, t.Key)
		}
	}
	return keys
}

// Shard returns the tasks of the plan whose experiment is in shard s of
// the plan's experiments (Shard.Keys): n shards partition the plan, and all
// runs of one experiment stay on one shard.
func (p Plan) Shard(s Shard) Plan {
	if s.N <= 1 {
		return p
	}
	keep := map[protocol.Key]bool{}
	for _, k := range s.Keys(p.Keys()) {
		keep[k] = true
	}
	var out Plan
	for _, t := range p {
		if keep[t.Key] {
			out = append(out, t)
		}
	}
	return out
}

// Methods returns the plan's methods in the order they first appear.
func (p Plan) Methods() []string {
	seen := map[string]bool{}
	var methods []string
	for _, t := range p {
		if !seen[t.Method] {
			seen[t.Method] = true
			methods = append(methods, t.Method)
		}
	}
	return methods
}

// Hashes returns the config hash of each of the plan's methods; a method
// run under several configurations (a sweep) maps to the first.
func (p Plan) Hashes() map[string]string {
	h := map[string]string{}
	for _, t := range p {
		if _, ok := h[t.Method]; !ok {
			h[t.Method] = t.ConfigHash
		}
	}
	return h
}

// Pending returns the tasks without a final row (ok or diverged) in ix.
func (p Plan) Pending(ix *store.Index) Plan {
	var out Plan
	for _, t := range p {
		if row, ok := ix.Get(t.StoreKey()); !ok || !row.Final() {
			out = append(out, t)
		}
	}
	return out
}

// Finished returns the final rows ix holds for the plan's tasks, in plan
// order.
func (p Plan) Finished(ix *store.Index) []store.Row {
	var rows []store.Row
	for _, t := range p {
		if row, ok := ix.Get(t.StoreKey()); ok && row.Final() {
			rows = append(rows, row)
		}
	}
	return rows
}

// Count is the state of a plan's runs.
type Count struct {
	Total, OK, Diverged, Failed, Missing int
}

// Count counts the plan's tasks by the row that counts for each in ix
// (store.Index's rule): ok, diverged, failed (or any other non-final
// status) and missing (no row).
func (p Plan) Count(ix *store.Index) Count {
	c := Count{Total: len(p)}
	for _, t := range p {
		row, ok := ix.Get(t.StoreKey())
		switch {
		case !ok:
			c.Missing++
		case row.Status == store.OK:
			c.OK++
		case row.Status == store.Diverged:
			c.Diverged++
		default:
			c.Failed++
		}
	}
	return c
}

// Add returns the sum of two counts.
func (c Count) Add(d Count) Count {
	return Count{c.Total + d.Total, c.OK + d.OK, c.Diverged + d.Diverged, c.Failed + d.Failed, c.Missing + d.Missing}
}

// ToDo is the number of runs a submission would run: missing or failed.
func (c Count) ToDo() int { return c.Missing + c.Failed }

// Cell is the runs of one method on one data set at one ρ: a row of a
// plan's progress.
type Cell struct {
	Method, Dataset string
	Rho             float64
}

// CellCount is a cell's Count, and how many of its counting rows were
// made from a modified tree (store.Row.Dirty).
type CellCount struct {
	Cell
	Count
	Dirty int
}

// CountByCell is Count per cell, the cells in the order the plan first
// reaches them.
func (p Plan) CountByCell(ix *store.Index) []CellCount {
	var out []CellCount
	at := map[Cell]int{}
	for _, t := range p {
		c := Cell{t.Method, t.Key.Dataset, t.Key.Rho}
		i, ok := at[c]
		if !ok {
			i = len(out)
			at[c] = i
			out = append(out, CellCount{Cell: c})
		}
		cc := &out[i]
		cc.Count = cc.Count.Add(Plan{t}.Count(ix))
		if row, ok := ix.Get(t.StoreKey()); ok && row.Final() && row.Dirty() {
			cc.Dirty++
		}
	}
	return out
}
