// Package report writes Table 1 from recorded runs: results/table1.csv,
// results/table1_by_class.csv, results/table1.md (ours beside the paper's,
// with Δ, as a long table and in the paper's layout) and one PNG per data
// set (AUC against ρ, one line per method, the paper's values dashed);
// NCAE's mining precision per epoch (mining.csv and a PNG per data set); and
// the Figure 2 sweeps. Runs with a status other than ok are counted in every
// output and never averaged.
package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/experiments/paperref"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/internal/atomicfile"
	"github.com/ncae-repro/ncae/protocol"
)

// Files lists what Write wrote.
type Files []string

// Write writes the Table 1 outputs of rows to resultsDir and plotsDir and
// returns the paths written. Every method is compared with Baseline and
// with each method named in versus (versus_METHOD.csv). Each file is replaced atomically. sweeps (may
// be nil) name the configurations of a method run under several.
func Write(rows []store.Row, sweeps []store.SweepEntry, resultsDir, plotsDir string, versus ...string) (Files, error) {
	cells := summary.Table1(rows)
	var written Files
	put := func(path string, data []byte) error {
		if err := atomicfile.Write(path, data, 0o644); err != nil {
			return err
		}
		written = append(written, path)
		return nil
	}
	if err := put(filepath.Join(resultsDir, "table1.csv"), Table1CSV(cells)); err != nil {
		return written, err
	}
	if err := put(filepath.Join(resultsDir, "table1_by_class.csv"), ByClassCSV(summary.ByClass(rows))); err != nil {
		return written, err
	}
	md := append(Markdown(cells), '\n')
	for _, baseline := range append([]string{Baseline}, versus...) {
		versusPath := filepath.Join(resultsDir, "versus_"+baseline+".csv")
		if cells := summary.Versus(rows, baseline); len(cells) > 0 {
			if err := put(versusPath, VersusCSV(baseline, cells)); err != nil {
				return written, err
			}
			md = append(append(md, VersusMarkdown(baseline, cells)...), '\n')
		} else if err := removeStale(versusPath); err != nil {
			return written, err
		}
	}
	names := ConfigNamer(rows, sweeps)
	ranksPath := filepath.Join(resultsDir, "ranks.csv")
	if families := summary.Ranks(rows); len(families) > 0 {
		if err := put(ranksPath, RanksCSV(families)); err != nil {
			return written, err
		}
		md = append(append(md, RanksMarkdown(families, names)...), '\n')
		for _, f := range families {
			png, err := CDPlot(f, names)
			if err != nil {
				return written, fmt.Errorf("CD diagram %s ρ = %g: %w", f.Dataset, f.Rho, err)
			}
			if err := put(filepath.Join(plotsDir, cdFile(f)), png); err != nil {
				return written, err
			}
		}
	} else if err := removeStale(ranksPath); err != nil {
		return written, err
	}
	md = append(md, "In the paper's layout:\n\n"...)
	md = append(md, PaperLayout(cells, names, true)...)
	md = append(md, Configurations(cells, names)...)
	if err := put(filepath.Join(resultsDir, "table1.md"), append(md, Provenance(rows)...)); err != nil {
		return written, err
	}
	for _, ds := range datasetsOf(cells) {
		png, err := Plot(cells, ds)
		if err != nil {
			return written, fmt.Errorf("plot %s: %w", ds, err)
		}
		if err := put(filepath.Join(plotsDir, "table1_"+ds+".png"), png); err != nil {
			return written, err
		}
	}
	mining, err := WriteMining(rows, "mining", resultsDir, plotsDir, names)
	return append(written, mining...), err
}

// datasetsOf lists the data sets with at least one successful run.
func datasetsOf(cells []summary.Cell) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cells {
		if c.N > 0 && !seen[c.Dataset] {
			seen[c.Dataset] = true
			out = append(out, c.Dataset)
		}
	}
	return out
}

// pct formats an AUC in [0, 1] as percent with two decimals; NaN is empty.
func pct(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(100*x, 'f', 2, 64)
}

// Table1CSV renders cells with AUCs in percent: dataset, method, rho,
// config_hash, n, not_ok, auc_mean, auc_std, paper_auc_mean, paper_auc_std,
// delta (ours − paper, points), aupr_mean (average precision, percent, over
// the n_aupr ok runs that recorded it: none before that column existed),
// n_aupr, paper_method (the paper's column the paper values are from: the
// method's own, or for a named variant the method it stands in for,
// paperref.Counterpart).
func Table1CSV(cells []summary.Cell) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "method", "rho", "config_hash", "n", "not_ok", "auc_mean", "auc_std", "paper_auc_mean", "paper_auc_std", "delta", "aupr_mean", "n_aupr", "paper_method"})
	for _, c := range cells {
		pm, ps, delta := "", "", ""
		p, column, ok := paperref.LookupFor(c.Dataset, c.Method, c.Rho)
		if ok {
			pm, ps = strconv.FormatFloat(p.Mean, 'f', 1, 64), strconv.FormatFloat(p.Std, 'f', 1, 64)
			if c.N > 0 {
				delta = strconv.FormatFloat(100*c.Mean-p.Mean, 'f', 2, 64)
			}
		}
		w.Write([]string{c.Dataset, c.Method, protocol.FormatRho(c.Rho), c.ConfigHash, strconv.Itoa(c.N),
			strconv.Itoa(c.NotOK), pct(c.Mean), pct(c.Std), pm, ps, delta, pct(c.AUPRMean), strconv.Itoa(c.NAUPR), column})
	}
	w.Flush()
	return buf.Bytes()
}

// ByClassCSV renders per-normal-class cells: dataset, method, rho,
// config_hash, normal_class, n, not_ok, auc_mean, auc_std (percent).
func ByClassCSV(cells []summary.ClassCell) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "method", "rho", "config_hash", "normal_class", "n", "not_ok", "auc_mean", "auc_std"})
	for _, c := range cells {
		w.Write([]string{c.Dataset, c.Method, protocol.FormatRho(c.Rho), c.ConfigHash, strconv.Itoa(c.NormalClass),
			strconv.Itoa(c.N), strconv.Itoa(c.NotOK), pct(c.Mean), pct(c.Std)})
	}
	w.Flush()
	return buf.Bytes()
}

// Markdown renders cells as the table printed by table1 and report: ours
// (mean ± std, percent, one decimal) beside the paper's, with Δ; a named
// variant of a paper method is set beside that method's values, named in
// brackets ("94.0 ± 4.2 (ncae)").
func Markdown(cells []summary.Cell) []byte {
	var buf bytes.Buffer
	fmt.Fprintln(&buf, "| data set | method | ρ | config | n | AUC % (ours) | AUC % (paper) | Δ | not ok |")
	fmt.Fprintln(&buf, "|---|---|---|---|---|---|---|---|---|")
	for _, c := range cells {
		paper, delta := "—", "—"
		if p, column, ok := paperref.LookupFor(c.Dataset, c.Method, c.Rho); ok {
			paper = fmt.Sprintf("%.1f ± %.1f", p.Mean, p.Std)
			if column != c.Method {
				paper += " (" + column + ")"
			}
			if c.N > 0 {
				delta = fmt.Sprintf("%+.1f", 100*c.Mean-p.Mean)
			}
		}
		fmt.Fprintf(&buf, "| %s | %s | %s | %s | %d | %s | %s | %s | %d |\n", c.Dataset, c.Method,
			protocol.FormatRho(c.Rho), c.ConfigHash, c.N, Percent(c.Mean, c.Std), paper, delta, c.NotOK)
	}
	return buf.Bytes()
}

// Configurations lists, for every method with cells under several
// configurations, what each config hash is ("86a9644e148f: ncae,
// ncr_reduction = sum"), as a Markdown list; nothing where every method has
// one configuration.
func Configurations(cells []summary.Cell, names Namer) []byte {
	var buf bytes.Buffer
	seen := map[store.MethodConfig]bool{}
	for _, c := range cells {
		label := names.Label(c.Method, c.ConfigHash)
		mc := store.MethodConfig{Method: c.Method, ConfigHash: c.ConfigHash}
		if label == c.Method || seen[mc] {
			continue
		}
		if len(seen) == 0 {
			fmt.Fprintln(&buf, "Configurations:")
			fmt.Fprintln(&buf)
		}
		seen[mc] = true
		fmt.Fprintf(&buf, "- `%s`: %s\n", c.ConfigHash, label)
	}
	if buf.Len() > 0 {
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// Provenance renders where rows came from, as a Markdown list: the code
// versions and backends that produced the rows that count (store.Index),
// when they finished and their summed run time, and how many rows from a
// modified tree were superseded by a rerun. Every value is read from the
// rows.
func Provenance(rows []store.Row) []byte {
	commits := map[string]int{}
	backends := map[string]map[string]bool{}
	var first, last string
	var train, score float64
	ix := store.NewIndex(rows)
	superseded := 0
	for _, r := range ix.Rows() {
		if r.Final() && r.Dirty() {
			if counting, _ := ix.Get(r.Key()); counting.Final() && !counting.Dirty() {
				superseded++
			}
		}
	}
	rows = ix.Latest()
	for _, r := range rows {
		commits[r.GitCommit]++
		if backends[r.Backend] == nil {
			backends[r.Backend] = map[string]bool{}
		}
		backends[r.Backend][r.Method] = true
		if first == "" || r.FinishedAt < first {
			first = r.FinishedAt
		}
		if r.FinishedAt > last {
			last = r.FinishedAt
		}
		train += r.TrainSeconds
		score += r.ScoreSeconds
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Provenance of these %d runs (from runs.csv):\n\n", len(rows))
	var cs []string
	for _, c := range slices.Sorted(maps.Keys(commits)) {
		cs = append(cs, fmt.Sprintf("%s (%d runs)", c, commits[c]))
	}
	fmt.Fprintf(&buf, "- code (git commit): %s\n", strings.Join(cs, ", "))
	var bs []string
	for _, b := range slices.Sorted(maps.Keys(backends)) {
		bs = append(bs, fmt.Sprintf("%s: %s", b, strings.Join(slices.Sorted(maps.Keys(backends[b])), ", ")))
	}
	fmt.Fprintf(&buf, "- backend: %s\n", strings.Join(bs, "; "))
	fmt.Fprintf(&buf, "- finished: %s to %s\n", first, last)
	fmt.Fprintf(&buf, "- run time summed over runs: training %.2f h, scoring %.2f h\n", train/3600, score/3600)
	if superseded > 0 {
		fmt.Fprintf(&buf, "- superseded: %d rows made from a tree with uncommitted changes, run again from a committed one (`table1 --rerun-dirty`); they stay in runs.csv and count nowhere\n", superseded)
	}
	return buf.Bytes()
}

// Percent renders mean ± std of AUCs in percent with one decimal.
func Percent(mean, std float64) string {
	switch {
	case math.IsNaN(mean):
		return "—"
	case math.IsNaN(std):
		return fmt.Sprintf("%.1f", 100*mean)
	}
	return fmt.Sprintf("%.1f ± %.1f", 100*mean, 100*std)
}

func atomicWrite(path string, data []byte) error { return atomicfile.Write(path, data, 0o644) }
