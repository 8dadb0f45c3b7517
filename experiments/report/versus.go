package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/ncae-repro/ncae/experiments/summary"
	"github.com/ncae-repro/ncae/protocol"
)

// Baseline is the method every other is compared with, experiment by
// experiment, in versus_cae.csv: the paper's question is whether NCAE
// improves the autoencoder it calibrates.
const Baseline = "cae"

// VersusCSV renders paired comparisons with the baseline, AUCs in percent:
// dataset, method, rho, config_hash, n, auc_mean, <baseline>_auc_mean,
// delta_mean, delta_std, wins (experiments where the method ≥ the baseline),
// <baseline>_config_hash.
func VersusCSV(cells []summary.VersusCell) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "method", "rho", "config_hash", "n", "auc_mean", Baseline + "_auc_mean", "delta_mean", "delta_std", "wins", Baseline + "_config_hash"})
	for _, c := range cells {
		w.Write([]string{c.Dataset, c.Method, protocol.FormatRho(c.Rho), c.ConfigHash, strconv.Itoa(c.N),
			pct(c.Mean), pct(c.Baseline), pct(c.Delta), pct(c.Std), strconv.Itoa(c.Wins), c.BaselineHash})
	}
	w.Flush()
	return buf.Bytes()
}

// VersusMarkdown renders the same as a Markdown table (one decimal).
func VersusMarkdown(cells []summary.VersusCell) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Each method against %s on the same experiments (paired; AUC %%):\n\n", Baseline)
	fmt.Fprintf(&buf, "| data set | method | ρ | config | n | AUC | %s | Δ mean ± std | ≥ %s in |\n", Baseline, Baseline)
	fmt.Fprintln(&buf, "|---|---|---|---|---|---|---|---|---|")
	for _, c := range cells {
		fmt.Fprintf(&buf, "| %s | %s | %s | %s | %d | %.1f | %.1f | %s | %d of %d |\n", c.Dataset, c.Method,
			protocol.FormatRho(c.Rho), c.ConfigHash, c.N, 100*c.Mean, 100*c.Baseline, signedPercent(c.Delta, c.Std), c.Wins, c.N)
	}
	return buf.Bytes()
}

// signedPercent formats a difference in [−1, 1] as signed points ± std.
func signedPercent(mean, std float64) string {
	if std != std { // NaN: one pair
		return fmt.Sprintf("%+.1f", 100*mean)
	}
	return fmt.Sprintf("%+.1f ± %.1f", 100*mean, 100*std)
}
