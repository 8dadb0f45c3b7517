package report

import (
	"math"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/store"
	"github.com/ncae-repro/ncae/experiments/summary"
)

func TestVersusCSV(t *testing.T) {
	row := func(method string, normal int, auc float64, status store.Status) store.Row {
		return store.Row{Dataset: "mnist", Method: method, Rho: 0.2, NormalClass: normal, AnomalyClass: (normal + 1) % 10,
			ConfigHash: "h-" + method, AUC: auc, Status: status}
	}
	rows := []store.Row{
		row("cae", 0, 0.70, store.OK),
		row("cae", 2, 0.80, store.OK),
		row("cae", 4, math.NaN(), store.Failed), // class 4 has no baseline: not paired
		row("ncae", 0, 0.90, store.OK),          // +20
		row("ncae", 2, 0.75, store.OK),          // −5
		row("ncae", 4, 0.99, store.OK),
		row("ncae", 6, 0.99, store.OK), // no CAE run at all
		row("kde", 0, math.NaN(), store.Diverged),
	}
	got := string(VersusCSV(Baseline, summary.Versus(rows, Baseline)))
	// HL: the median of the Walsh averages 20, 7.5, −5; Wilcoxon: W+ = 2 of
	// 3 with 2 pairs, p = 2·P(W+ ≥ 2) = 2·2/4 = 1.
	want := `dataset,method,rho,config_hash,n,auc_mean,cae_auc_mean,delta_mean,delta_std,wins,cae_config_hash,hl_shift,wilcoxon_p,wilcoxon_exact,holm_p
mnist,ncae,0.2,h-ncae,2,82.50,75.00,7.50,17.68,1,h-cae,7.50,1,true,1
`
	if got != want {
		t.Errorf("versus_cae.csv:\n%s\nwant:\n%s", got, want)
	}
	md := string(VersusMarkdown(Baseline, summary.Versus(rows, Baseline)))
	if !strings.Contains(md, "| mnist | ncae | 0.2 | h-ncae | 2 | 82.5 | 75.0 | +7.5 ± 17.7 | +7.5 | 1 of 2 | 1 | 1 |") {
		t.Errorf("Markdown:\n%s", md)
	}
}
