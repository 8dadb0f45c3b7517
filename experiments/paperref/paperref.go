// Package paperref holds the numbers the paper reports, to compare ours with.
package paperref

// Cell is a mean ± standard deviation of AUC in percent.
type Cell struct{ Mean, Std float64 }

// Table1 returns the paper's Table 1 (Yu et al.): AUC % by data set, method
// and ρ, under the harness's method names.
// The baseline columns come from Deep SAD's polluted-data experiment.
func Table1() map[string]map[string]map[float64]Cell {
	rhos := []float64{0, 0.01, 0.05, 0.1, 0.2}
	cols := []string{"ocsvm", "iforest", "kde", "cae", "deepsvdd", "ncae"}
	rows := map[string][5][6]Cell{
		"mnist": {
			{{96.0, 2.9}, {85.4, 8.7}, {95.0, 3.3}, {92.9, 5.7}, {92.8, 4.9}, {94.0, 4.2}},
			{{94.3, 3.9}, {85.2, 8.8}, {91.2, 4.9}, {91.3, 6.1}, {92.1, 5.1}, {97.2, 5.2}},
			{{91.4, 5.2}, {83.9, 9.2}, {85.5, 7.1}, {87.2, 7.1}, {89.4, 5.8}, {97.0, 7.1}},
			{{88.8, 6.0}, {82.3, 9.5}, {82.1, 8.5}, {83.7, 8.4}, {86.5, 6.8}, {92.6, 5.7}},
			{{84.1, 7.6}, {78.7, 10.5}, {77.4, 10.9}, {78.6, 10.3}, {81.5, 8.4}, {89.8, 7.4}},
		},
		"fmnist": {
			{{92.8, 4.7}, {91.6, 5.5}, {92.0, 4.9}, {90.2, 5.8}, {89.2, 6.2}, {91.5, 9.7}},
			{{91.7, 5.0}, {91.5, 5.5}, {89.4, 6.3}, {87.1, 7.3}, {86.3, 6.3}, {94.5, 4.7}},
			{{90.7, 5.5}, {90.9, 5.9}, {85.2, 9.1}, {81.6, 9.6}, {80.6, 7.1}, {92.4, 8.2}},
			{{89.5, 6.1}, {90.2, 6.3}, {81.8, 11.2}, {77.4, 11.1}, {76.2, 7.3}, {91.5, 5.7}},
			{{86.3, 7.7}, {88.4, 7.6}, {77.4, 13.6}, {72.5, 12.6}, {69.3, 6.3}, {88.9, 9.2}},
		},
	}
	out := map[string]map[string]map[float64]Cell{}
	for ds, table := range rows {
		out[ds] = map[string]map[float64]Cell{}
		for c, m := range cols {
			out[ds][m] = map[float64]Cell{}
			for r, rho := range rhos {
				out[ds][m][rho] = table[r][c]
			}
		}
	}
	return out
}

// Lookup returns the paper's cell, if it reports one.
func Lookup(dataset, method string, rho float64) (Cell, bool) {
	c, ok := Table1()[dataset][method][rho]
	return c, ok
}
