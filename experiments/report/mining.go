package report

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// MiningCSV is mining.csv: NCAE's contamination-mining precision and recall
// per data set, method, configuration, ρ and epoch, with chance precision
// (ρ: a random pick of the batch) beside it.
func MiningCSV(cells []summary.MiningCell) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "method", "config_hash", "rho", "epoch", "n", "precision_mean", "precision_std", "recall_mean", "chance_precision"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, c := range cells {
		std := ""
		if c.N > 1 {
			std = f(c.Std)
		}
		recall := ""
		if c.Recall == c.Recall { // not NaN
			recall = f(c.Recall)
		}
		w.Write([]string{c.Dataset, c.Method, c.ConfigHash, strconv.FormatFloat(c.Rho, 'g', -1, 64),
			strconv.Itoa(c.Epoch), strconv.Itoa(c.N), f(c.Precision), std, recall, strconv.FormatFloat(c.Rho, 'g', -1, 64)})
	}
	w.Flush()
	return buf.Bytes()
}

// Namer names the plotted series — a method under one configuration —
// and orders them: by method, then Value (a swept value, compared as
// numbers where both are), then config hash. Value may be nil.
type Namer struct {
	Label func(method, hash string) string
	Value func(method, hash string) string
}

func (n Namer) compare(m1, h1, m2, h2 string) int {
	c := strings.Compare(m1, m2)
	if c == 0 && n.Value != nil {
		c = store.CompareValues(n.Value(m1, h1), n.Value(m2, h2))
	}
	return cmp.Or(c, strings.Compare(h1, h2))
}

// MiningPlot draws, for one data set, mining precision against epoch: one
// panel per ρ, one line per method and configuration (named by names), the
// chance precision ρ dashed grey. It returns PNG bytes.
func MiningPlot(cells []summary.MiningCell, dataset string, names Namer) ([]byte, error) {
	type seriesKey struct {
		method, hash string
		rho          float64
	}
	series := map[seriesKey]plotter.XYs{}
	var rhos []float64
	var configs [][2]string // distinct (method, hash), for colours and order
	for _, c := range cells {
		if c.Dataset != dataset {
			continue
		}
		if !slices.Contains(rhos, c.Rho) {
			rhos = append(rhos, c.Rho)
		}
		if cfg := [2]string{c.Method, c.ConfigHash}; !slices.Contains(configs, cfg) {
			configs = append(configs, cfg)
		}
		k := seriesKey{c.Method, c.ConfigHash, c.Rho}
		series[k] = append(series[k], plotter.XY{X: float64(c.Epoch), Y: c.Precision})
	}
	if len(rhos) == 0 {
		return nil, fmt.Errorf("no mining diagnostics for %s", dataset)
	}
	slices.Sort(rhos)
	slices.SortFunc(configs, func(a, b [2]string) int { return names.compare(a[0], a[1], b[0], b[1]) })
	title := datasets.Title(dataset)
	if title == "" {
		title = dataset
	}

	row := make([]*plot.Plot, len(rhos))
	for i, rho := range rhos {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s, ρ = %g", title, rho)
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = "mining precision (mean over runs)"
		p.Y.Min, p.Y.Max = 0, 1
		p.Add(plotter.NewGrid())
		p.Legend.Top = true
		maxEpoch := 1.0
		for ci, cfg := range configs {
			pts, ok := series[seriesKey{cfg[0], cfg[1], rho}]
			if !ok {
				continue
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			c := plotutil.Color(ci)
			line.Color, points.Color = c, c
			line.Width = vg.Points(1.5)
			p.Add(line, points)
			p.Legend.Add(names.Label(cfg[0], cfg[1]), line, points)
			maxEpoch = max(maxEpoch, pts[len(pts)-1].X)
		}
		chance, err := plotter.NewLine(plotter.XYs{{X: 1, Y: rho}, {X: maxEpoch, Y: rho}})
		if err != nil {
			return nil, err
		}
		chance.Color = color.Gray{Y: 90}
		chance.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(chance)
		p.Legend.Add("chance (ρ)", chance)
		row[i] = p
	}
	width := vg.Length(len(rhos)) * 5 * vg.Inch
	img := vgimg.New(width, 5*vg.Inch)
	dc := draw.New(img)
	canvases := plot.Align([][]*plot.Plot{row}, draw.Tiles{Rows: 1, Cols: len(rhos), PadX: vg.Points(12), PadY: vg.Points(6),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6)}, dc)
	for i, p := range row {
		p.Draw(canvases[0][i])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteMining writes <stem>.csv and <stem>_<dataset>.png when rows hold
// mining diagnostics (NCAE runs at ρ > 0), naming series with names; it
// removes those files, left by an earlier report, otherwise.
func WriteMining(rows []store.Row, stem, resultsDir, plotsDir string, names Namer) (Files, error) {
	cells := summary.Mining(rows)
	if len(cells) == 0 {
		stale := []string{filepath.Join(resultsDir, stem+".csv")}
		for _, spec := range datasets.Specs() {
			stale = append(stale, filepath.Join(plotsDir, stem+"_"+spec.Name+".png"))
		}
		return nil, removeStale(stale...)
	}
	var written Files
	path := filepath.Join(resultsDir, stem+".csv")
	if err := atomicWrite(path, MiningCSV(cells)); err != nil {
		return written, err
	}
	written = append(written, path)
	var sets []string
	for _, c := range cells {
		if !slices.Contains(sets, c.Dataset) {
			sets = append(sets, c.Dataset)
		}
	}
	for _, ds := range sets {
		png, err := MiningPlot(cells, ds, names)
		if err != nil {
			return written, fmt.Errorf("mining plot %s: %w", ds, err)
		}
		path := filepath.Join(plotsDir, stem+"_"+ds+".png")
		if err := atomicWrite(path, png); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// MethodLabel names a series by its method, adding the config hash when
// the method was run under several configurations in rows.
func MethodLabel(rows []store.Row) Namer { return ConfigNamer(rows, nil) }

// ConfigNamer names a series by its method where rows hold one
// configuration of it; where they hold several, by what a sweep recorded
// for the configuration ("ncae, ncr_reduction = sum") or else by its hash.
func ConfigNamer(rows []store.Row, sweeps []store.SweepEntry) Namer {
	hashes := map[string]map[string]bool{}
	for _, r := range rows {
		if hashes[r.Method] == nil {
			hashes[r.Method] = map[string]bool{}
		}
		hashes[r.Method][r.ConfigHash] = true
	}
	swept := map[store.MethodConfig][]string{} // "param = value", in sweep order
	for _, e := range sweeps {
		k, v := e.MethodConfig(), e.Param+" = "+e.Value
		if !slices.Contains(swept[k], v) {
			swept[k] = append(swept[k], v)
		}
	}
	return Namer{Label: func(method, hash string) string {
		switch {
		case len(hashes[method]) <= 1:
			return method
		case len(swept[store.MethodConfig{Method: method, ConfigHash: hash}]) > 0:
			return method + ", " + strings.Join(swept[store.MethodConfig{Method: method, ConfigHash: hash}], ", ")
		}
		return method + " (" + hash + ")"
	}}
}

// removeStale removes files an earlier report wrote that the current runs
// no longer produce; a file that does not exist is fine.
func removeStale(paths ...string) error {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
