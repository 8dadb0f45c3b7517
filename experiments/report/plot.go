package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/ncae-repro/ncae/experiments/paperref"
	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// errorPoints are points with symmetric vertical error bars.
type errorPoints struct {
	plotter.XYs
	plotter.YErrors
}

// Plot draws AUC against ρ for the data set's cells: one solid line per
// method and configuration with ±1 std error bars, and the paper's value
// for the same method dashed in the same colour (the paper's own columns
// only: a variant's paper column, paperref.Counterpart, is in the tables,
// not drawn again here). It returns PNG bytes.
func Plot(cells []summary.Cell, dataset string) ([]byte, error) {
	type series struct {
		method, hash string
		pts          errorPoints
	}
	var all []*series
	index := map[store.MethodConfig]*series{}
	for _, c := range cells {
		if c.Dataset != dataset || c.N == 0 {
			continue
		}
		k := store.MethodConfig{Method: c.Method, ConfigHash: c.ConfigHash}
		s, ok := index[k]
		if !ok {
			s = &series{method: c.Method, hash: c.ConfigHash}
			index[k] = s
			all = append(all, s)
		}
		s.pts.add(c.Rho, c.Mean, c.Std)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].method < all[j].method })
	// A method run under several configurations gets its hash in the legend.
	perMethod := map[string]int{}
	for _, s := range all {
		perMethod[s.method]++
	}

	p := plot.New()
	title := datasets.Title(dataset)
	if title == "" {
		title = dataset
	}
	p.Title.Text = "Table 1, " + title + ": AUC under contamination (dashed: paper)"
	p.X.Label.Text = "contamination ratio ρ (fraction of anomalies in the training set)"
	p.Y.Label.Text = "AUC (%), mean ± std over experiments"
	p.Legend.Top = false
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	colours := map[string]int{}
	for i, s := range all {
		// Nudge each series sideways so that error bars at one ρ do not hide each other.
		shift := (float64(i) - float64(len(all)-1)/2) * 0.0015
		for j := range s.pts.XYs {
			s.pts.XYs[j].X += shift
		}
		if _, ok := colours[s.method]; !ok {
			colours[s.method] = len(colours)
		}
		line, points, err := addSeries(p, s.pts, plotutil.Color(colours[s.method]))
		if err != nil {
			return nil, err
		}
		label := s.method
		if perMethod[s.method] > 1 {
			label = fmt.Sprintf("%s (%s)", s.method, s.hash)
		}
		p.Legend.Add(label, line, points)
	}
	// The paper's values, dashed, for every method plotted.
	methods := make([]string, 0, len(colours))
	for m := range colours {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	for _, method := range methods {
		ci := colours[method]
		var ref plotter.XYs
		for _, rho := range []float64{0, 0.01, 0.05, 0.1, 0.2} {
			if c, ok := paperref.Lookup(dataset, method, rho); ok {
				ref = append(ref, plotter.XY{X: rho, Y: c.Mean})
			}
		}
		if len(ref) == 0 {
			continue
		}
		line, err := plotter.NewLine(ref)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(ci)
		line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(line)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no successful runs for %s", dataset)
	}
	return pngBytes(p)
}

// add appends a point of AUC mean ± std (in [0, 1]; NaN std draws no bar),
// plotted in percent.
func (e *errorPoints) add(x, mean, std float64) {
	if math.IsNaN(std) {
		std = 0
	}
	e.XYs = append(e.XYs, plotter.XY{X: x, Y: 100 * mean})
	e.YErrors = append(e.YErrors, struct{ Low, High float64 }{100 * std, 100 * std})
}

// addSeries draws pts on p as a solid line with points and error bars.
func addSeries(p *plot.Plot, pts errorPoints, c color.Color) (*plotter.Line, *plotter.Scatter, error) {
	line, points, err := plotter.NewLinePoints(pts.XYs)
	if err != nil {
		return nil, nil, err
	}
	line.Color, points.Color = c, c
	line.Width = vg.Points(1.5)
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, nil, err
	}
	bars.Color = c
	p.Add(line, points, bars)
	return line, points, nil
}

// pngBytes renders p as an 8×5.5 inch PNG.
func pngBytes(p *plot.Plot) ([]byte, error) { return pngSized(p, 8*vg.Inch, 5.5*vg.Inch) }

// pngSized renders p as a PNG of the given size.
func pngSized(p *plot.Plot, width, height vg.Length) ([]byte, error) {
	w, err := p.WriterTo(width, height, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
