// Package summary aggregates recorded runs into Table 1's cells: mean and
// sample standard deviation of AUC per data set, method and ρ, over the runs
// whose status is ok; runs with another status are counted, never averaged.
package summary

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/ncae-repro/ncae/experiments/stats"
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
	// AUPRMean is the mean average precision of the ok runs that recorded
	// one (runs before the column did not; NaN when none did), over NAUPR.
	AUPRMean float64
	NAUPR    int
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
func Latest(rows []store.Row) []store.Row { return store.NewIndex(rows).Latest() }

// Stats is the AUC summary of a group of runs.
type Stats struct {
	N, NotOK  int     // ok runs averaged; failed or diverged runs, counted
	Mean, Std float64 // AUC in [0, 1]; NaN when N = 0 (Std when N < 2)
	// AUPRMean averages the average precision of the NAUPR ok runs that
	// recorded one; NaN when none did.
	AUPRMean float64
	NAUPR    int
}

// Aggregate groups rows (deduplicated with Latest) by key, leaving out the
// rows for which key reports false, and summarises each group: the mean
// and sample deviation of the ok runs' AUC; a group exists even if none of
// its runs succeeded. Table 1, its per-class cells and Figure 2's points
// are all aggregated here.
func Aggregate[K comparable](rows []store.Row, key func(store.Row) (K, bool)) map[K]Stats {
	aucs := map[K][]float64{}
	auprs := map[K][]float64{}
	notOK := map[K]int{}
	for _, r := range Latest(rows) {
		k, ok := key(r)
		if !ok {
			continue
		}
		if r.Status == store.OK {
			aucs[k] = append(aucs[k], r.AUC)
			if !math.IsNaN(r.AUPR) {
				auprs[k] = append(auprs[k], r.AUPR)
			}
		} else {
			notOK[k]++
			if _, ok := aucs[k]; !ok {
				aucs[k] = nil
			}
		}
	}
	out := make(map[K]Stats, len(aucs))
	for k, xs := range aucs {
		st := Stats{N: len(xs), NotOK: notOK[k], NAUPR: len(auprs[k])}
		st.Mean, st.Std = MeanStd(xs)
		st.AUPRMean, _ = MeanStd(auprs[k])
		out[k] = st
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
	groups := Aggregate(rows, func(r store.Row) (key, bool) { return key{r.Dataset, r.Method, r.Rho, r.ConfigHash}, true })
	cells := make([]Cell, 0, len(groups))
	for k, st := range groups {
		cells = append(cells, Cell{Dataset: k.ds, Method: k.m, Rho: k.rho, ConfigHash: k.hash, N: st.N, NotOK: st.NotOK, Mean: st.Mean, Std: st.Std,
			AUPRMean: st.AUPRMean, NAUPR: st.NAUPR})
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

// MiningCell is the contamination-mining precision of one (data set, method,
// ρ, config hash) cell at one epoch: the mean over the cell's ok runs that
// recorded it (info mining_precision / mining_recall, one value per epoch).
type MiningCell struct {
	Dataset, Method string
	Rho             float64
	ConfigHash      string
	Epoch           int // 1-based
	N               int // runs averaged
	Precision, Std  float64
	Recall          float64
}

// Mining aggregates the per-epoch mining precision and recall of the ok runs
// in rows (deduplicated with Latest), sorted like Table1 and then by epoch.
// Runs without the diagnostics (another method, ρ = 0, no labels) are left
// out, as are epochs whose value is not a number.
func Mining(rows []store.Row) []MiningCell {
	type key struct {
		ds, m string
		rho   float64
		hash  string
		epoch int
	}
	prec, rec := map[key][]float64{}, map[key][]float64{}
	for _, r := range Latest(rows) {
		if r.Status != store.OK || r.Rho == 0 {
			continue
		}
		ps, rs := series(r.Info["mining_precision"]), series(r.Info["mining_recall"])
		for i, p := range ps {
			if math.IsNaN(p) {
				continue
			}
			k := key{r.Dataset, r.Method, r.Rho, r.ConfigHash, i + 1}
			prec[k] = append(prec[k], p)
			if i < len(rs) && !math.IsNaN(rs[i]) {
				rec[k] = append(rec[k], rs[i])
			}
		}
	}
	out := make([]MiningCell, 0, len(prec))
	for k, ps := range prec {
		c := MiningCell{Dataset: k.ds, Method: k.m, Rho: k.rho, ConfigHash: k.hash, Epoch: k.epoch, N: len(ps)}
		c.Precision, c.Std = MeanStd(ps)
		c.Recall, _ = MeanStd(rec[k])
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b MiningCell) int {
		return cmp.Or(CompareCell(a.Dataset, a.Method, a.Rho, b.Dataset, b.Method, b.Rho),
			strings.Compare(a.ConfigHash, b.ConfigHash), cmp.Compare(a.Epoch, b.Epoch))
	})
	return out
}

// series parses a space-separated list of numbers ("0.316 0.434 nan");
// an entry that is not a number is NaN.
func series(s string) []float64 {
	fields := strings.Fields(s)
	out := make([]float64, len(fields))
	for i, f := range fields {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			v = math.NaN()
		}
		out[i] = v
	}
	return out
}

// VersusCell compares a method with a baseline method over the experiments
// both ran (same data set, ρ, classes and seed): the paired difference.
type VersusCell struct {
	Dataset, Method string
	Rho             float64
	ConfigHash      string
	N               int     // experiments with an ok run of both
	Mean, Baseline  float64 // mean AUC of the method and of the baseline over those experiments
	Delta, Std      float64 // mean and sample deviation of method − baseline
	Wins            int     // experiments where the method's AUC ≥ the baseline's
	BaselineHash    string  // the baseline's config hash
	// Shift is the Hodges–Lehmann estimate of method − baseline; P the
	// two-sided Wilcoxon signed-rank p-value (NaN when every difference
	// is zero), exact when Exact; PHolm is P Holm-corrected over the
	// methods compared with the baseline on the same data set and ρ.
	Shift, P, PHolm float64
	Exact           bool
}

// holmByCell sets PHolm: one family of tests per data set, ρ and baseline
// configuration.
func holmByCell(cells []VersusCell) {
	type family struct {
		ds       string
		rho      float64
		baseHash string
	}
	members := map[family][]int{}
	for i, c := range cells {
		f := family{c.Dataset, c.Rho, c.BaselineHash}
		members[f] = append(members[f], i)
	}
	for _, idx := range members {
		p := make([]float64, len(idx))
		for j, i := range idx {
			p[j] = cells[i].P
		}
		for j, adj := range stats.Holm(p) {
			cells[idx[j]].PHolm = adj
		}
	}
}

// Versus pairs every ok run of a method other than baseline with the ok
// baseline run of the same experiment (deduplicated with Latest) and
// summarises the differences, sorted like Table1. Where the baseline ran
// under several configurations, each is a separate comparison (one cell
// per method configuration and baseline configuration): a run is never
// paired with whichever baseline run happened to be recorded first.
// Methods with no paired run are left out.
func Versus(rows []store.Row, baseline string) []VersusCell {
	type exp struct {
		ds           string
		rho          float64
		normal, anom int
		seed         int
	}
	base := map[exp]map[string]float64{} // experiment → baseline hash → AUC
	latest := Latest(rows)
	for _, r := range latest {
		if r.Method != baseline || r.Status != store.OK {
			continue
		}
		k := exp{r.Dataset, r.Rho, r.NormalClass, r.AnomalyClass, r.Seed}
		if base[k] == nil {
			base[k] = map[string]float64{}
		}
		base[k][r.ConfigHash] = r.AUC
	}
	type key struct {
		ds, m          string
		rho            float64
		hash, baseHash string
	}
	type pairs struct{ a, b, d []float64 }
	groups := map[key]*pairs{}
	for _, r := range latest {
		if r.Method == baseline || r.Status != store.OK {
			continue
		}
		for baseHash, auc := range base[exp{r.Dataset, r.Rho, r.NormalClass, r.AnomalyClass, r.Seed}] {
			k := key{r.Dataset, r.Method, r.Rho, r.ConfigHash, baseHash}
			g := groups[k]
			if g == nil {
				g = &pairs{}
				groups[k] = g
			}
			g.a, g.b, g.d = append(g.a, r.AUC), append(g.b, auc), append(g.d, r.AUC-auc)
		}
	}
	out := make([]VersusCell, 0, len(groups))
	for k, g := range groups {
		c := VersusCell{Dataset: k.ds, Method: k.m, Rho: k.rho, ConfigHash: k.hash, N: len(g.d), BaselineHash: k.baseHash}
		c.Mean, _ = MeanStd(g.a)
		c.Baseline, _ = MeanStd(g.b)
		c.Delta, c.Std = MeanStd(g.d)
		for _, d := range g.d {
			if d >= 0 {
				c.Wins++
			}
		}
		c.Shift, c.P = stats.HodgesLehmann(g.d), math.NaN()
		if w, err := stats.Wilcoxon(g.d); err == nil {
			c.P, c.Exact = w.P, w.Exact
		}
		out = append(out, c)
	}
	holmByCell(out)
	slices.SortFunc(out, func(a, b VersusCell) int {
		return cmp.Or(CompareCell(a.Dataset, a.Method, a.Rho, b.Dataset, b.Method, b.Rho), strings.Compare(a.ConfigHash, b.ConfigHash),
			strings.Compare(a.BaselineHash, b.BaselineHash))
	})
	return out
}

// RankFamily is the comparison of every method (and configuration) of one
// data set and ρ on the experiments all of them ran: the Friedman test of
// their AUCs, each entry's mean rank (1 = best) and Nemenyi's critical
// difference at α = 0.05.
type RankFamily struct {
	Dataset  string
	Rho      float64
	Methods  []string // method names, in the order of MeanRanks
	Hashes   []string // their config hashes
	Friedman stats.FriedmanResult
	CD       float64 // mean ranks closer than this are not significantly different
	// Partial names the entries left out for missing some of the family's
	// experiments, as "method/hash".
	Partial []string
}

// Ranks builds one RankFamily per data set and ρ with at least 3 entries
// and 2 experiments that every entry ran successfully (deduplicated with
// Latest); an entry is a method under one config hash. The family's
// experiments are those most entries have a final outcome for; an entry
// missing one of them (a method whose runs are still coming) is left out
// and named in Partial, rather than shrinking the family to the
// experiments it has; experiments where an entry diverged are left out.
func Ranks(rows []store.Row) []RankFamily {
	type family struct {
		ds  string
		rho float64
	}
	type entry struct{ method, hash string }
	type exp struct{ normal, anom, seed int }
	// Per family and entry, every final outcome: the AUC, NaN if diverged.
	aucs := map[family]map[entry]map[exp]float64{}
	for _, r := range Latest(rows) {
		if !r.Final() {
			continue
		}
		f, e := family{r.Dataset, r.Rho}, entry{r.Method, r.ConfigHash}
		if aucs[f] == nil {
			aucs[f] = map[entry]map[exp]float64{}
		}
		if aucs[f][e] == nil {
			aucs[f][e] = map[exp]float64{}
		}
		auc := r.AUC
		if r.Status != store.OK {
			auc = math.NaN()
		}
		aucs[f][e][exp{r.NormalClass, r.AnomalyClass, r.Seed}] = auc
	}
	var out []RankFamily
	for f, byEntry := range aucs {
		entries := make([]entry, 0, len(byEntry))
		for e := range byEntry {
			entries = append(entries, e)
		}
		slices.SortFunc(entries, func(a, b entry) int {
			return cmp.Or(CompareCell(f.ds, a.method, f.rho, f.ds, b.method, f.rho), strings.Compare(a.hash, b.hash))
		})
		// The family's experiments: those most entries have an outcome for.
		// An entry without an outcome for one of them is still running (or
		// ran fewer) and is left out; an extra experiment of one entry is
		// not the family's.
		have := map[exp]int{}
		for _, e := range entries {
			for x := range byEntry[e] {
				have[x]++
			}
		}
		var common []exp
		for x, n := range have {
			if 2*n > len(entries) {
				common = append(common, x)
			}
		}
		var partial []string
		complete := entries[:0:0]
		for _, e := range entries {
			missing := false
			for _, x := range common {
				if _, ok := byEntry[e][x]; !ok {
					missing = true
					break
				}
			}
			if missing {
				partial = append(partial, e.method+"/"+e.hash)
			} else {
				complete = append(complete, e)
			}
		}
		entries = complete
		// The blocks: the family's experiments every entry ran ok.
		var blocks []exp
		for _, x := range common {
			ok := true
			for _, e := range entries {
				if math.IsNaN(byEntry[e][x]) {
					ok = false
					break
				}
			}
			if ok {
				blocks = append(blocks, x)
			}
		}
		if len(entries) < 3 || len(blocks) < 2 {
			continue
		}
		slices.SortFunc(blocks, func(a, b exp) int { return cmp.Or(a.normal-b.normal, a.anom-b.anom, a.seed-b.seed) })
		scores := make([][]float64, len(blocks))
		for i, x := range blocks {
			scores[i] = make([]float64, len(entries))
			for j, e := range entries {
				scores[i][j] = byEntry[e][x]
			}
		}
		res, err := stats.Friedman(scores)
		if err != nil {
			continue
		}
		rf := RankFamily{Dataset: f.ds, Rho: f.rho, Friedman: res, CD: stats.NemenyiCD(len(entries), len(blocks), 0.05), Partial: partial}
		for _, e := range entries {
			rf.Methods, rf.Hashes = append(rf.Methods, e.method), append(rf.Hashes, e.hash)
		}
		out = append(out, rf)
	}
	slices.SortFunc(out, func(a, b RankFamily) int {
		return cmp.Or(CompareCell(a.Dataset, "", a.Rho, b.Dataset, "", b.Rho))
	})
	return out
}
