package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"

	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/protocol"
)

// Baseline is the method every other is compared with, experiment by
// experiment, in versus_cae.csv: the paper's question is whether NCAE
// improves the autoencoder it calibrates. report --versus adds others.
const Baseline = "cae"

// VersusCSV renders paired comparisons with baseline, AUCs in percent:
// dataset, method, rho, config_hash, n, auc_mean, <baseline>_auc_mean,
// delta_mean, delta_std, wins (experiments where the method ≥ the baseline),
// <baseline>_config_hash, hl_shift (Hodges–Lehmann, percent), wilcoxon_p
// (two-sided signed-rank), wilcoxon_exact, holm_p (Holm over the methods of
// the data set and ρ).
func VersusCSV(baseline string, cells []summary.VersusCell) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "method", "rho", "config_hash", "n", "auc_mean", baseline + "_auc_mean", "delta_mean", "delta_std", "wins", baseline + "_config_hash",
		"hl_shift", "wilcoxon_p", "wilcoxon_exact", "holm_p"})
	for _, c := range cells {
		w.Write([]string{c.Dataset, c.Method, protocol.FormatRho(c.Rho), c.ConfigHash, strconv.Itoa(c.N),
			pct(c.Mean), pct(c.Baseline), pct(c.Delta), pct(c.Std), strconv.Itoa(c.Wins), c.BaselineHash,
			pct(c.Shift), pval(c.P), strconv.FormatBool(c.Exact), pval(c.PHolm)})
	}
	w.Flush()
	return buf.Bytes()
}

// VersusMarkdown renders the same as a Markdown table (one decimal).
func VersusMarkdown(baseline string, cells []summary.VersusCell) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Each method against %s on the same experiments (paired; AUC %%). HL: the Hodges–Lehmann shift; "+
		"p: the two-sided Wilcoxon signed-rank test (exact up to 50 pairs without zeros or ties), Holm-corrected over the methods of the data set and ρ. "+
		"With n pairs the smallest exact p is 2/2ⁿ: a cell of 5 experiments (the quick preset) cannot reach 0.05.\n\n", baseline)
	fmt.Fprintf(&buf, "| data set | method | ρ | config | n | AUC | %s | Δ mean ± std | HL | ≥ %s in | p | p (Holm) |\n", baseline, baseline)
	fmt.Fprintln(&buf, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, c := range cells {
		fmt.Fprintf(&buf, "| %s | %s | %s | %s | %d | %.1f | %.1f | %s | %+.1f | %d of %d | %s | %s |\n", c.Dataset, c.Method,
			protocol.FormatRho(c.Rho), c.ConfigHash, c.N, 100*c.Mean, 100*c.Baseline, signedPercent(c.Delta, c.Std), 100*c.Shift, c.Wins, c.N,
			pval(c.P), pval(c.PHolm))
	}
	return buf.Bytes()
}

// pval formats a p-value with three significant digits ("" when NaN).
func pval(p float64) string {
	if math.IsNaN(p) {
		return ""
	}
	return strconv.FormatFloat(p, 'g', 3, 64)
}

// signedPercent formats a difference in [−1, 1] as signed points ± std.
func signedPercent(mean, std float64) string {
	if std != std { // NaN: one pair
		return fmt.Sprintf("%+.1f", 100*mean)
	}
	return fmt.Sprintf("%+.1f ± %.1f", 100*mean, 100*std)
}
