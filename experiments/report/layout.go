package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/ncae-repro/ncae/experiments/paperref"
	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// PaperLayout renders cells (sorted as summary.Table1 sorts them) the way
// the paper prints Table 1: one table per data set, a row per method and
// configuration (named and ordered by names), a column per ρ, each cell
// "ours / paper (Δ)" in AUC %, rounded as Markdown rounds them. A cell whose
// run count differs from the data set's usual one says ", n = k"; failed or
// diverged runs add ", k not ok". A named variant of a paper method
// (paperref.Counterpart) is set beside that method's values, its row
// label saying so ("ncae-ganlr (paper: ncae)"). With paperColumns, the paper's columns
// with no cells here follow as "— / paper" rows, so that every column of
// the paper's table is there.
func PaperLayout(cells []summary.Cell, names Namer, paperColumns bool) []byte {
	type rowKey struct{ method, hash string }
	var buf bytes.Buffer
	for _, ds := range datasetsIn(cells) {
		var rows []rowKey
		var rhos []float64
		byKey := map[rowKey]map[float64]summary.Cell{}
		counts := map[int]int{}
		for _, c := range cells {
			if c.Dataset != ds {
				continue
			}
			k := rowKey{c.Method, c.ConfigHash}
			if byKey[k] == nil {
				byKey[k] = map[float64]summary.Cell{}
				rows = append(rows, k)
			}
			byKey[k][c.Rho] = c
			if !slices.Contains(rhos, c.Rho) {
				rhos = append(rhos, c.Rho)
			}
			if c.N > 0 {
				counts[c.N]++
			}
		}
		slices.Sort(rhos)
		slices.SortStableFunc(rows, func(a, b rowKey) int { return names.compare(a.method, a.hash, b.method, b.hash) })
		usual := usualCount(counts)

		title := datasets.Title(ds)
		if title == "" {
			title = ds
		}
		fmt.Fprintf(&buf, "**%s** (AUC %%, ours / the paper's (Δ)", title)
		if usual > 0 {
			fmt.Fprintf(&buf, "; runs per cell: n = %d unless given", usual)
		}
		buf.WriteString(")\n\n| method |")
		for _, rho := range rhos {
			fmt.Fprintf(&buf, " ρ = %s |", protocol.FormatRho(rho))
		}
		buf.WriteString("\n|---|" + strings.Repeat("---|", len(rhos)) + "\n")
		for _, k := range rows {
			label := k.method
			if names.Label != nil {
				label = names.Label(k.method, k.hash)
			}
			if column, variant, _ := paperref.Counterpart(k.method); variant {
				label += " (paper: " + column + ")"
			}
			fmt.Fprintf(&buf, "| %s |", label)
			for _, rho := range rhos {
				c, ok := byKey[k][rho]
				text := ""
				if ok {
					text = layoutCell(c, usual)
				}
				fmt.Fprintf(&buf, " %s |", text)
			}
			buf.WriteString("\n")
		}
		// The paper's columns without a run here, so the table has all of them.
		ours := map[string]bool{}
		if !paperColumns {
			buf.WriteString("\n")
			continue
		}
		for _, k := range rows {
			ours[k.method] = true
		}
		for _, m := range paperref.Methods() {
			if ours[m] {
				continue
			}
			fmt.Fprintf(&buf, "| %s (no runs here) |", m)
			for _, rho := range rhos {
				text := ""
				if p, ok := paperref.Lookup(ds, m, rho); ok {
					text = fmt.Sprintf("— / %.1f", p.Mean)
				}
				fmt.Fprintf(&buf, " %s |", text)
			}
			buf.WriteString("\n")
		}
		buf.WriteString("\n")
	}
	return buf.Bytes()
}

// layoutCell is one cell of PaperLayout.
func layoutCell(c summary.Cell, usual int) string {
	var parts []string
	if c.N == 0 {
		parts = append(parts, "—")
	} else {
		s := fmt.Sprintf("%.1f", 100*c.Mean)
		if p, _, ok := paperref.LookupFor(c.Dataset, c.Method, c.Rho); ok {
			s += fmt.Sprintf(" / %.1f (%+.1f)", p.Mean, 100*c.Mean-p.Mean)
		}
		parts = append(parts, s)
		if c.N != usual {
			parts = append(parts, fmt.Sprintf("n = %d", c.N))
		}
	}
	if c.NotOK > 0 {
		parts = append(parts, fmt.Sprintf("%d not ok", c.NotOK))
	}
	return strings.Join(parts, ", ")
}

// usualCount is the most frequent run count, the larger one on a tie; 0
// when there is none.
func usualCount(counts map[int]int) int {
	best, bestFreq := 0, 0
	for n, f := range counts {
		if f > bestFreq || (f == bestFreq && n > best) {
			best, bestFreq = n, f
		}
	}
	return best
}

// datasetsIn lists the data sets of cells in the order they first appear.
func datasetsIn(cells []summary.Cell) []string {
	var out []string
	for _, c := range cells {
		if !slices.Contains(out, c.Dataset) {
			out = append(out, c.Dataset)
		}
	}
	return out
}
