package paperref

import "testing"

func TestLookup(t *testing.T) {
	tests := []struct {
		ds, m string
		rho   float64
		want  Cell
	}{
		{"mnist", "ocsvm", 0, Cell{96.0, 2.9}},
		{"mnist", "ncae", 0.2, Cell{89.8, 7.4}},
		{"fmnist", "iforest", 0.1, Cell{90.2, 6.3}},
		{"fmnist", "deepsvdd", 0.05, Cell{80.6, 7.1}},
		{"fmnist", "kde", 0.2, Cell{77.4, 13.6}},
		{"mnist", "ssad", 0, Cell{97.9, 1.8}},
		{"mnist", "deepsad", 0.1, Cell{91.2, 4.9}},
		{"fmnist", "ssdgm", 0.05, Cell{71.9, 14.3}},
		{"fmnist", "classifier", 0.2, Cell{53.9, 2.9}},
	}
	for _, tt := range tests {
		if got, ok := Lookup(tt.ds, tt.m, tt.rho); !ok || got != tt.want {
			t.Errorf("%s %s ρ=%v: %v, want %v", tt.ds, tt.m, tt.rho, got, tt.want)
		}
	}
	if _, ok := Lookup("mnist", "ncae-code", 0.1); ok {
		t.Error("the paper has no ncae-code column")
	}
}

func TestCounterpart(t *testing.T) {
	tests := []struct {
		method, column string
		variant, ok    bool
	}{
		{"ncae", "ncae", false, true},
		{"ncae-ganlr", "ncae", true, true},
		{"ncae-code", "ncae", true, true},
		{"ocsvm-nusel", "ocsvm", true, true},
		{"ncae-noadv-euclid", "", false, false}, // an ablation, not the paper's method
		{"external:knn", "", false, false},
		{"classifier", "classifier", false, true},
	}
	for _, tt := range tests {
		column, variant, ok := Counterpart(tt.method)
		if column != tt.column || variant != tt.variant || ok != tt.ok {
			t.Errorf("Counterpart(%q) = %q, %v, %v; want %q, %v, %v", tt.method, column, variant, ok, tt.column, tt.variant, tt.ok)
		}
	}
	for v, c := range variants() {
		if _, variant, ok := Counterpart(c); !ok || variant {
			t.Errorf("variant %s stands in for %q, which is not one of the paper's columns", v, c)
		}
	}
	if c, col, ok := LookupFor("fmnist", "ncae-ganlr", 0.2); !ok || col != "ncae" || c != (Cell{88.9, 9.2}) {
		t.Errorf("LookupFor(fmnist, ncae-ganlr, 0.2) = %v, %q, %v", c, col, ok)
	}
	if _, _, ok := LookupFor("mnist", "ncae-noadv", 0.2); ok {
		t.Error("an ablation got the paper's value")
	}
	if _, col, ok := LookupFor("mnist", "ncae-ganlr", 0.3); ok || col != "" {
		t.Errorf("a ρ the paper lacks: column %q, ok %v", col, ok)
	}
}
