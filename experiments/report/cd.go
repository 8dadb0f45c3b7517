package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// RanksCSV renders the Friedman families, one row per entry: dataset, rho,
// n (experiments), k (entries), friedman_chi2, friedman_p, nemenyi_cd,
// method, config_hash, mean_rank (1 = best).
func RanksCSV(families []summary.RankFamily) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "rho", "n", "k", "friedman_chi2", "friedman_p", "nemenyi_cd", "method", "config_hash", "mean_rank"})
	for _, f := range families {
		for i, m := range f.Methods {
			w.Write([]string{f.Dataset, protocol.FormatRho(f.Rho), strconv.Itoa(f.Friedman.N), strconv.Itoa(f.Friedman.K),
				strconv.FormatFloat(f.Friedman.Statistic, 'f', 3, 64), pval(f.Friedman.P), strconv.FormatFloat(f.CD, 'f', 3, 64),
				m, f.Hashes[i], strconv.FormatFloat(f.Friedman.MeanRanks[i], 'f', 3, 64)})
		}
	}
	w.Flush()
	return buf.Bytes()
}

// RanksMarkdown renders the families as a Markdown table: the Friedman test
// and the entries from best to worst mean rank.
func RanksMarkdown(families []summary.RankFamily, names Namer) []byte {
	var buf bytes.Buffer
	fmt.Fprintln(&buf, "All methods at once on the experiments every one of them ran: the Friedman test of the AUCs, and each method's mean rank "+
		"(1 = best; in brackets). Methods whose mean ranks differ by less than Nemenyi's critical difference (CD, α = 0.05) are not "+
		"significantly different; the CD diagrams are plots/cd_DATASET_rhoR.png.")
	fmt.Fprintln(&buf)
	fmt.Fprintln(&buf, "| data set | ρ | n | χ²_F | p | CD | mean ranks, best first |")
	fmt.Fprintln(&buf, "|---|---|---|---|---|---|---|")
	for _, f := range families {
		order := rankOrder(f)
		var list []byte
		for j, i := range order {
			if j > 0 {
				list = append(list, ", "...)
			}
			list = fmt.Appendf(list, "%s (%.2f)", entryName(f, i, names), f.Friedman.MeanRanks[i])
		}
		if len(f.Partial) > 0 {
			list = fmt.Appendf(list, "; left out, fewer runs: %s", strings.Join(f.Partial, ", "))
		}
		fmt.Fprintf(&buf, "| %s | %s | %d | %.2f | %s | %.2f | %s |\n", f.Dataset, protocol.FormatRho(f.Rho), f.Friedman.N,
			f.Friedman.Statistic, pval(f.Friedman.P), f.CD, list)
	}
	return buf.Bytes()
}

// rankOrder returns the entries' indices from best to worst mean rank.
func rankOrder(f summary.RankFamily) []int {
	order := make([]int, len(f.Methods))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmpFloat(f.Friedman.MeanRanks[a], f.Friedman.MeanRanks[b])
	})
	return order
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// entryName is the entry's label: its method, with its configuration when
// the runs hold the method under several.
func entryName(f summary.RankFamily, i int, names Namer) string {
	if names.Label == nil {
		return f.Methods[i]
	}
	return names.Label(f.Methods[i], f.Hashes[i])
}

// cliques returns the groups of entries (as positions in order) that a CD
// diagram joins with a bar: maximal runs of consecutive entries, by mean
// rank, whose first and last differ by less than the CD; runs inside
// another are dropped.
func cliques(f summary.RankFamily, order []int) [][2]int {
	var out [][2]int
	for start := range order {
		end := start
		for end+1 < len(order) && f.Friedman.MeanRanks[order[end+1]]-f.Friedman.MeanRanks[order[start]] < f.CD {
			end++
		}
		if end == start {
			continue
		}
		if len(out) > 0 && out[len(out)-1][1] >= end {
			continue // inside the previous group
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

// CDPlot draws Demšar's critical-difference diagram of a family: an axis
// of mean ranks (1, the best, on the left), each method hanging from its
// rank with its name at the side, bars joining methods not significantly
// different, and the CD drawn to scale above the axis. It returns PNG bytes.
func CDPlot(f summary.RankFamily, names Namer) ([]byte, error) {
	p := plot.New()
	title := datasets.Title(f.Dataset)
	if title == "" {
		title = f.Dataset
	}
	p.Title.Text = fmt.Sprintf("%s, ρ = %s: mean rank of AUC over %d experiments (Friedman p = %s, Nemenyi CD = %.2f)",
		title, protocol.FormatRho(f.Rho), f.Friedman.N, pval(f.Friedman.P), f.CD)
	p.HideAxes()
	k := len(f.Methods)
	p.X.Min, p.X.Max = 1, float64(k)
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(cdDiagram{f: f, names: names})
	return pngSized(p, 8*vg.Inch, (1.6+0.45*vg.Length((k+1)/2))*vg.Inch)
}

// cdDiagram is the plotter behind CDPlot.
type cdDiagram struct {
	f     summary.RankFamily
	names Namer
}

func (d cdDiagram) Plot(c draw.Canvas, p *plot.Plot) {
	f := d.f
	k := len(f.Methods)
	// Leave room at the sides for the names.
	c = draw.Crop(c, 1.6*vg.Inch, -1.6*vg.Inch, 0, 0)
	trX, _ := p.Transforms(&c)
	height := c.Max.Y - c.Min.Y
	y := func(frac float64) vg.Length { return c.Min.Y + vg.Length(frac)*height }
	black := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	thick := draw.LineStyle{Color: color.Black, Width: vg.Points(3)}
	font := p.X.Tick.Label
	font.Font.Size = vg.Points(10)

	axisY := y(0.85)
	c.StrokeLine2(black, trX(1), axisY, trX(float64(k)), axisY)
	for r := 1; r <= k; r++ {
		c.StrokeLine2(black, trX(float64(r)), axisY, trX(float64(r)), axisY+vg.Points(4))
		lab := font
		lab.XAlign, lab.YAlign = draw.XCenter, draw.YBottom
		c.FillText(lab, vg.Point{X: trX(float64(r)), Y: axisY + vg.Points(6)}, strconv.Itoa(r))
	}
	// The CD to scale, at the top left.
	cdY := y(0.96)
	if f.CD < float64(k-1) {
		c.StrokeLine2(black, trX(1), cdY, trX(1+f.CD), cdY)
		lab := font
		lab.XAlign, lab.YAlign = draw.XLeft, draw.YCenter
		c.FillText(lab, vg.Point{X: trX(1+f.CD) + vg.Points(4), Y: cdY}, fmt.Sprintf("CD = %.2f", f.CD))
	}
	order := rankOrder(f)
	half := (k + 1) / 2
	step := 0.0
	if half > 1 {
		step = 0.57 / float64(half-1)
	}
	for j, i := range order {
		x := trX(f.Friedman.MeanRanks[i])
		lab := font
		lab.YAlign = draw.YCenter
		var level vg.Length
		var end vg.Length
		if j < half { // the better half hangs to the left
			level = y(0.62 - step*float64(j))
			end = c.Min.X - vg.Points(4)
			lab.XAlign = draw.XRight
		} else {
			level = y(0.62 - step*float64(k-1-j))
			end = c.Max.X + vg.Points(4)
			lab.XAlign = draw.XLeft
		}
		c.StrokeLine2(black, x, axisY, x, level)
		c.StrokeLine2(black, x, level, end, level)
		name := fmt.Sprintf("%s %.2f", entryName(f, i, d.names), f.Friedman.MeanRanks[i])
		if j >= half {
			name = fmt.Sprintf("%.2f %s", f.Friedman.MeanRanks[i], entryName(f, i, d.names))
		}
		off := -vg.Points(4)
		if j >= half {
			off = vg.Points(4)
		}
		c.FillText(lab, vg.Point{X: end + off, Y: level}, name)
	}
	// Bars under the axis join the groups not significantly different.
	for g, cl := range cliques(f, order) {
		barY := y(0.78 - 0.035*float64(g))
		lo, hi := trX(f.Friedman.MeanRanks[order[cl[0]]]), trX(f.Friedman.MeanRanks[order[cl[1]]])
		c.StrokeLine2(thick, lo-vg.Points(3), barY, hi+vg.Points(3), barY)
	}
}

// cdFile is the CD diagram's file name of a family.
func cdFile(f summary.RankFamily) string {
	return "cd_" + f.Dataset + "_rho" + protocol.FormatRho(f.Rho) + ".png"
}
