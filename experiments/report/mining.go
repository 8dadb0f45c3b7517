package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"strconv"

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

// MiningPlot draws, for one data set, mining precision against epoch: one
// panel per ρ, one line per method and configuration (label names it), the
// chance precision ρ dashed grey. It returns PNG bytes.
func MiningPlot(cells []summary.MiningCell, dataset string, label func(method, hash string) string) ([]byte, error) {
	var rhos []float64
	type seriesKey struct {
		method, hash string
		rho          float64
	}
	series := map[seriesKey]plotter.XYs{}
	var names []string
	colour := map[string]int{}
	for _, c := range cells {
		if c.Dataset != dataset {
			continue
		}
		if !slices.Contains(rhos, c.Rho) {
			rhos = append(rhos, c.Rho)
		}
		name := label(c.Method, c.ConfigHash)
		if _, ok := colour[name]; !ok {
			colour[name] = len(colour)
			names = append(names, name)
		}
		k := seriesKey{c.Method, c.ConfigHash, c.Rho}
		series[k] = append(series[k], plotter.XY{X: float64(c.Epoch), Y: c.Precision})
	}
	if len(rhos) == 0 {
		return nil, fmt.Errorf("no mining diagnostics for %s", dataset)
	}
	slices.Sort(rhos)
	title := datasets.Title(dataset)
	if title == "" {
		title = dataset
	}
	keys := make([]seriesKey, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int { return colour[label(a.method, a.hash)] - colour[label(b.method, b.hash)] })

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
		for _, k := range keys {
			if k.rho != rho {
				continue
			}
			pts := series[k]
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			c := plotutil.Color(colour[label(k.method, k.hash)])
			line.Color, points.Color = c, c
			line.Width = vg.Points(1.5)
			p.Add(line, points)
			p.Legend.Add(label(k.method, k.hash), line, points)
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
// mining diagnostics (NCAE runs at ρ > 0), naming series with label; it
// writes nothing otherwise.
func WriteMining(rows []store.Row, stem, resultsDir, plotsDir string, label func(method, hash string) string) (Files, error) {
	cells := summary.Mining(rows)
	if len(cells) == 0 {
		return nil, nil
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
		png, err := MiningPlot(cells, ds, label)
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
func MethodLabel(rows []store.Row) func(method, hash string) string {
	hashes := map[string]map[string]bool{}
	for _, r := range rows {
		if hashes[r.Method] == nil {
			hashes[r.Method] = map[string]bool{}
		}
		hashes[r.Method][r.ConfigHash] = true
	}
	return func(method, hash string) string {
		if len(hashes[method]) > 1 {
			return method + " (" + hash + ")"
		}
		return method
	}
}
