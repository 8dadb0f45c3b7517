// Package paperref holds the numbers the paper reports, to compare ours with.
package paperref

// Cell is a mean ± standard deviation of AUC in percent.
type Cell struct{ Mean, Std float64 }

// Table1 returns the paper's Table 1 (Yu et al.): AUC % by data set, method
// and ρ, under the harness's method names.
// The baseline columns come from Deep SAD's polluted-data experiment; ssad,
// ssdgm, deepsad and classifier are its semi-supervised and supervised
// columns (γ_l = 0.05 labelled anomalies of one class).
func Table1() map[string]map[string]map[float64]Cell {
	rhos := []float64{0, 0.01, 0.05, 0.1, 0.2}
	cols := Methods()
	rows := map[string][5][10]Cell{
		"mnist": {
			{{96.0, 2.9}, {85.4, 8.7}, {95.0, 3.3}, {92.9, 5.7}, {92.8, 4.9}, {94.0, 4.2}, {97.9, 1.8}, {92.2, 5.6}, {96.7, 2.4}, {94.5, 4.6}},
			{{94.3, 3.9}, {85.2, 8.8}, {91.2, 4.9}, {91.3, 6.1}, {92.1, 5.1}, {97.2, 5.2}, {96.6, 2.4}, {92.0, 6.0}, {95.5, 3.3}, {91.5, 5.9}},
			{{91.4, 5.2}, {83.9, 9.2}, {85.5, 7.1}, {87.2, 7.1}, {89.4, 5.8}, {97.0, 7.1}, {93.4, 3.4}, {91.0, 6.9}, {93.5, 4.1}, {86.7, 7.4}},
			{{88.8, 6.0}, {82.3, 9.5}, {82.1, 8.5}, {83.7, 8.4}, {86.5, 6.8}, {92.6, 5.7}, {90.7, 4.4}, {89.7, 7.5}, {91.2, 4.9}, {83.6, 8.2}},
			{{84.1, 7.6}, {78.7, 10.5}, {77.4, 10.9}, {78.6, 10.3}, {81.5, 8.4}, {89.8, 7.4}, {87.4, 5.6}, {87.4, 8.6}, {86.6, 6.6}, {79.7, 9.4}},
		},
		"fmnist": {
			{{92.8, 4.7}, {91.6, 5.5}, {92.0, 4.9}, {90.2, 5.8}, {89.2, 6.2}, {91.5, 9.7}, {94.0, 4.4}, {71.4, 12.7}, {90.5, 6.5}, {76.8, 13.2}},
			{{91.7, 5.0}, {91.5, 5.5}, {89.4, 6.3}, {87.1, 7.3}, {86.3, 6.3}, {94.5, 4.7}, {92.2, 4.9}, {71.2, 14.3}, {87.2, 7.1}, {67.3, 8.1}},
			{{90.7, 5.5}, {90.9, 5.9}, {85.2, 9.1}, {81.6, 9.6}, {80.6, 7.1}, {92.4, 8.2}, {88.3, 6.2}, {71.9, 14.3}, {81.5, 8.5}, {59.8, 4.6}},
			{{89.5, 6.1}, {90.2, 6.3}, {81.8, 11.2}, {77.4, 11.1}, {76.2, 7.3}, {91.5, 5.7}, {85.6, 7.0}, {72.5, 15.5}, {78.2, 9.1}, {56.7, 4.1}},
			{{86.3, 7.7}, {88.4, 7.6}, {77.4, 13.6}, {72.5, 12.6}, {69.3, 6.3}, {88.9, 9.2}, {81.9, 8.1}, {70.8, 16.0}, {74.8, 9.4}, {53.9, 2.9}},
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

// Methods lists the paper's Table 1 columns in its order, under the
// harness's method names.
func Methods() []string {
	return []string{"ocsvm", "iforest", "kde", "cae", "deepsvdd", "ncae", "ssad", "ssdgm", "deepsad", "classifier"}
}

// Lookup returns the paper's cell, if it reports one.
func Lookup(dataset, method string, rho float64) (Cell, bool) {
	c, ok := Table1()[dataset][method][rho]
	return c, ok
}

// variants maps the harness's named variants of a paper method — the same
// method with a setting changed where the paper's value fails or is
// unstated — to the paper's column they stand in for. Ablations (a part of
// the method removed, such as ncae-noadv) are not here: they are not the
// paper's method under another setting, and have no paper value to meet.
func variants() map[string]string {
	return map[string]string{
		"ncae-ganlr":  "ncae",  // the GAN learning rate of the authors' code
		"ncae-code":   "ncae",  // the authors' released code's settings and step
		"ocsvm-nusel": "ocsvm", // ν chosen on the hold-out with γ
	}
}

// Counterpart returns the paper's column that method's numbers are
// compared with: its own name for one of the paper's columns (Methods),
// the paper's method for a named variant of it (variant true), and ok false
// for a method the paper has no column for.
func Counterpart(method string) (column string, variant, ok bool) {
	if c, ok := variants()[method]; ok {
		return c, true, true
	}
	for _, m := range Methods() {
		if m == method {
			return m, false, true
		}
	}
	return "", false, false
}

// LookupFor returns the paper's cell that method's cell is compared with
// (Counterpart), and the paper's column it came from.
func LookupFor(dataset, method string, rho float64) (c Cell, column string, ok bool) {
	column, _, ok = Counterpart(method)
	if !ok {
		return Cell{}, "", false
	}
	if c, ok = Lookup(dataset, column, rho); !ok {
		return Cell{}, "", false
	}
	return c, column, true
}
