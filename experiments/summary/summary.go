// Package summary aggregates recorded runs into Table 1's cells: mean and
// sample standard deviation of AUC per data set, method and ρ, over the runs
// whose status is ok; runs with another status are counted, never averaged.
package summary

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// Cell is one (data set, method, ρ, config hash) entry: runs under different
// configurations (a smoke run, a changed parameter) are never averaged together.
type Cell struct {
	Dataset, Method string
	Rho             float64
	ConfigHash      string
	N               int     // ok runs averaged
	NotOK           int     // failed or diverged runs, not averaged
	Mean, Std       float64 // AUC in [0, 1]; NaN when N = 0 (Std when N < 2)
}

// MeanStd returns the mean and the sample (n−1) standard deviation of xs;
// NaN where undefined (no values; fewer than two for the deviation).
func MeanStd(xs []float64) (mean, std float64) {
	mean, std = math.NaN(), math.NaN()
	if len(xs) > 0 {
		mean = stat.Mean(xs, nil)
	}
	if len(xs) > 1 {
		std = stat.StdDev(xs, nil)
	}
	return mean, std
}

// Latest keeps, for every run key, the last final row (or the last row if
// none is final), in the order the keys first appear.
func Latest(rows []store.Row) []store.Row {
	index := map[store.Key]int{}
	var out []store.Row
	for _, r := range rows {
		i, seen := index[r.Key()]
		switch {
		case !seen:
			index[r.Key()] = len(out)
			out = append(out, r)
		case r.Final() || !out[i].Final():
			out[i] = r
		}
	}
	return out
}

// Table1 aggregates rows (deduplicated with Latest) into cells sorted by data
// set, method, ρ and config hash.
func Table1(rows []store.Row) []Cell {
	type key struct {
		ds, m string
		rho   float64
		hash  string
	}
	aucs := map[key][]float64{}
	notOK := map[key]int{}
	for _, r := range Latest(rows) {
		k := key{r.Dataset, r.Method, r.Rho, r.ConfigHash}
		if r.Status == store.OK {
			aucs[k] = append(aucs[k], r.AUC)
		} else {
			notOK[k]++
			if _, ok := aucs[k]; !ok {
				aucs[k] = nil // the cell exists even if no run succeeded
			}
		}
	}
	cells := make([]Cell, 0, len(aucs))
	for k, xs := range aucs {
		c := Cell{Dataset: k.ds, Method: k.m, Rho: k.rho, ConfigHash: k.hash, N: len(xs), NotOK: notOK[k]}
		c.Mean, c.Std = MeanStd(xs)
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b Cell) int {
		return cmp.Or(CompareCell(a.Dataset, a.Method, a.Rho, b.Dataset, b.Method, b.Rho), strings.Compare(a.ConfigHash, b.ConfigHash))
	})
	return cells
}

// ClassCell is a Table 1 cell restricted to one normal class.
type ClassCell struct {
	Cell
	NormalClass int
}

// ByClass aggregates rows (deduplicated with Latest) per normal class,
// sorted like Table1 and then by class.
func ByClass(rows []store.Row) []ClassCell {
	byClass := map[int][]store.Row{}
	for _, r := range Latest(rows) {
		byClass[r.NormalClass] = append(byClass[r.NormalClass], r)
	}
	var out []ClassCell
	for c, rs := range byClass {
		for _, cell := range Table1(rs) {
			out = append(out, ClassCell{Cell: cell, NormalClass: c})
		}
	}
	slices.SortStableFunc(out, func(a, b ClassCell) int {
		return cmp.Or(CompareCell(a.Dataset, a.Method, a.Rho, b.Dataset, b.Method, b.Rho),
			strings.Compare(a.ConfigHash, b.ConfigHash), cmp.Compare(a.NormalClass, b.NormalClass))
	})
	return out
}

// CompareCell orders table rows the way every output of this project does:
// MNIST before Fashion-MNIST (as in the paper), then method, then ρ.
func CompareCell(datasetA, methodA string, rhoA float64, datasetB, methodB string, rhoB float64) int {
	return cmp.Or(cmp.Compare(datasets.Order(datasetA), datasets.Order(datasetB)), strings.Compare(datasetA, datasetB),
		strings.Compare(methodA, methodB), cmp.Compare(rhoA, rhoB))
}
