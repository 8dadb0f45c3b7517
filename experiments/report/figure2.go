package report

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"

	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// SweepPoint is one point of a parameter sweep: AUC over the experiments
// run with Param = Value.
type SweepPoint struct {
	Dataset, Method string
	Rho             float64
	Value           string // as in sweeps.csv: a number or a word
	N, NotOK        int
	Mean, Std       float64 // in [0, 1]; NaN when undefined
}

// Sweep aggregates the rows of the sweep of param recorded in sweeps.
func Sweep(rows []store.Row, sweeps []store.SweepEntry, param string) []SweepPoint {
	type key struct {
		ds, method string
		rho        float64
		value      string
	}
	byHash := map[store.MethodConfig][]store.SweepEntry{}
	for _, e := range sweeps {
		if e.Param == param {
			byHash[e.MethodConfig()] = append(byHash[e.MethodConfig()], e)
		}
	}
	groups := summary.Aggregate(rows, func(r store.Row) (key, bool) {
		for _, e := range byHash[r.MethodConfig()] {
			if r.Rho == e.Rho {
				return key{r.Dataset, r.Method, r.Rho, e.Value}, true
			}
		}
		return key{}, false
	})
	var out []SweepPoint
	for k, st := range groups {
		out = append(out, SweepPoint{Dataset: k.ds, Method: k.method, Rho: k.rho, Value: k.value, N: st.N, NotOK: st.NotOK, Mean: st.Mean, Std: st.Std})
	}
	slices.SortFunc(out, func(a, b SweepPoint) int {
		return cmp.Or(summary.CompareCell(a.Dataset, a.Method, a.Rho, b.Dataset, b.Method, b.Rho), store.CompareValues(a.Value, b.Value))
	})
	return out
}

// SweepCSV renders points: dataset, method, rho, value, n, not_ok,
// auc_mean, auc_std (AUC in percent).
func SweepCSV(points []SweepPoint) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "method", "rho", "value", "n", "not_ok", "auc_mean", "auc_std"})
	for _, p := range points {
		w.Write([]string{p.Dataset, p.Method, protocol.FormatRho(p.Rho), p.Value,
			strconv.Itoa(p.N), strconv.Itoa(p.NotOK), pct(p.Mean), pct(p.Std)})
	}
	w.Flush()
	return buf.Bytes()
}

// SweepMarkdown renders points as a Markdown table, AUC in percent.
func SweepMarkdown(points []SweepPoint, param string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| data set | method | ρ | %s | n | AUC %% | not ok |\n|---|---|---|---|---|---|---|\n", param)
	for _, p := range points {
		fmt.Fprintf(&b, "| %s | %s | %s | %v | %d | %s | %d |\n", p.Dataset, p.Method, protocol.FormatRho(p.Rho), p.Value, p.N,
			Percent(p.Mean, p.Std), p.NotOK)
	}
	return b.String()
}

// SweepPlot draws AUC against the swept value, one line per data set,
// method and ρ, with ±1 std error bars.
func SweepPlot(points []SweepPoint, param string) ([]byte, error) {
	type series struct {
		label string
		pts   errorPoints
	}
	var all []*series
	index := map[string]*series{}
	// Numbers on a numeric axis; words (a categorical key) at 0, 1, … with
	// their names as ticks.
	var words []string
	position := map[string]float64{}
	for _, p := range points {
		if _, err := strconv.ParseFloat(p.Value, 64); err != nil && position[p.Value] == 0 {
			words = append(words, p.Value)
			position[p.Value] = float64(len(words))
		}
	}
	slices.SortFunc(words, store.CompareValues)
	for i, w := range words {
		position[w] = float64(i)
	}
	for _, p := range points {
		if p.N == 0 {
			continue
		}
		name := datasets.Title(p.Dataset)
		if name == "" {
			name = p.Dataset
		}
		label := fmt.Sprintf("%s, %s, ρ = %s", name, p.Method, protocol.FormatRho(p.Rho))
		if param == "rho" {
			label = fmt.Sprintf("%s, %s", name, p.Method)
		}
		s, ok := index[label]
		if !ok {
			s = &series{label: label}
			index[label] = s
			all = append(all, s)
		}
		x, err := strconv.ParseFloat(p.Value, 64)
		if len(words) > 0 {
			x, err = position[p.Value], nil
		}
		if err != nil {
			continue
		}
		s.pts.add(x, p.Mean, p.Std)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no successful runs in the %s sweep", param)
	}
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("Figure 2: AUC against %s", symbol(param))
	pl.X.Label.Text = symbol(param)
	pl.Y.Label.Text = "AUC (%), mean ± std over experiments"
	pl.Add(plotter.NewGrid())
	if len(words) > 0 {
		pl.NominalX(words...)
	}
	for i, s := range all {
		line, pts, err := addSeries(pl, s.pts, plotutil.Color(i))
		if err != nil {
			return nil, err
		}
		pl.Legend.Add(s.label, line, pts)
	}
	pl.Legend.Top = false
	return pngBytes(pl)
}

func symbol(param string) string {
	switch param {
	case "sigma":
		return "σ (spread of the generator's prior, a standard deviation)"
	case "tau":
		return "τ (fraction of each batch mined as contaminated)"
	case "rho":
		return "ρ (contamination ratio)"
	}
	return param
}

// WriteSweeps writes figure2_<param>.csv and .png for every swept parameter.
func WriteSweeps(rows []store.Row, sweeps []store.SweepEntry, resultsDir, plotsDir string) (Files, error) {
	params := map[string]bool{}
	var order []string
	for _, e := range sweeps {
		if !params[e.Param] {
			params[e.Param] = true
			order = append(order, e.Param)
		}
	}
	sort.Strings(order)
	var written Files
	for _, param := range order {
		points := Sweep(rows, sweeps, param)
		path := filepath.Join(resultsDir, "figure2_"+param+".csv")
		if err := atomicWrite(path, SweepCSV(points)); err != nil {
			return written, err
		}
		written = append(written, path)
		png, err := SweepPlot(points, param)
		if err != nil {
			continue // nothing finished yet: the CSV says so with n = 0
		}
		path = filepath.Join(plotsDir, "figure2_"+param+".png")
		if err := atomicWrite(path, png); err != nil {
			return written, err
		}
		written = append(written, path)
		mining, err := WriteMining(sweepRows(rows, sweeps, param), "mining_"+param, resultsDir, plotsDir, sweepNamer(sweeps, param))
		written = append(written, mining...)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// sweepRows keeps the rows that belong to the sweep of param.
func sweepRows(rows []store.Row, sweeps []store.SweepEntry, param string) []store.Row {
	type at struct {
		store.MethodConfig
		rho float64
	}
	in := map[at]bool{}
	for _, e := range sweeps {
		if e.Param == param {
			in[at{e.MethodConfig(), e.Rho}] = true
		}
	}
	var out []store.Row
	for _, r := range rows {
		if in[at{r.MethodConfig(), r.Rho}] {
			out = append(out, r)
		}
	}
	return out
}

// sweepNamer names a sweep's series by the swept value ("ncae, tau = 0.1")
// and orders them by it. The config hash is added where one value was run
// under several configurations; a sweep of ρ is named by method alone
// (each panel of the mining plot is one ρ).
func sweepNamer(sweeps []store.SweepEntry, param string) Namer {
	values := map[store.MethodConfig]string{}
	configs := map[[2]string]int{} // (method, value) → configurations
	for _, e := range sweeps {
		if e.Param != param {
			continue
		}
		if _, seen := values[e.MethodConfig()]; !seen {
			configs[[2]string{e.Method, e.Value}]++
		}
		values[e.MethodConfig()] = e.Value
	}
	value := func(method, hash string) string { return values[store.MethodConfig{Method: method, ConfigHash: hash}] }
	label := func(method, hash string) string {
		v, ok := values[store.MethodConfig{Method: method, ConfigHash: hash}]
		switch {
		case !ok:
			return method + " (" + hash + ")"
		case param == "rho":
			return method
		case configs[[2]string{method, v}] > 1:
			return fmt.Sprintf("%s, %s = %s (%s)", method, param, v, hash)
		}
		return fmt.Sprintf("%s, %s = %s", method, param, v)
	}
	return Namer{Label: label, Value: value}
}
