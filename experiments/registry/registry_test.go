package registry

import (
	"context"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/experiments/paperref"
	"github.com/ncae-repro/ncae/protocol"
)

func TestDefaultMethods(t *testing.T) {
	if _, err := New(defaultMethods()...); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ncae", "ncae-ganlr", "ncae-code", "ncae-noadv", "ncae-noadv-euclid", "cae", "ocsvm", "ocsvm-nusel", "iforest", "kde"} {
		if _, ok := Default().Lookup(name); !ok {
			t.Errorf("method %s missing", name)
		}
	}
}

// TestEveryMethodHasAPlaceInTable1 makes a new method say where its numbers
// stand against the paper: one of the paper's columns, a named variant of
// one (paperref.Counterpart), or an ablation listed here, with no paper
// value to meet.
func TestEveryMethodHasAPlaceInTable1(t *testing.T) {
	ablations := map[string]bool{"ncae-noadv": true, "ncae-noadv-euclid": true}
	for _, m := range defaultMethods() {
		_, _, ok := paperref.Counterpart(m.Name)
		if ok == ablations[m.Name] {
			t.Errorf("method %s: paper counterpart %v, listed as an ablation %v: give it one or the other (experiments/paperref)", m.Name, ok, ablations[m.Name])
		}
	}
}

type noParams struct{}

func (noParams) Validate() error { return nil }

type nopDetector struct{}

func (nopDetector) Fit(context.Context, protocol.Samples) error { return nil }
func (nopDetector) Score(_ context.Context, s protocol.Samples) ([]float64, error) {
	return make([]float64, s.N), nil
}

func TestRunnable(t *testing.T) {
	r, err := New(
		Method{Name: "ready", NewParams: func() Params { return noParams{} },
			New: func(Params, Env) (protocol.Detector, error) { return nopDetector{}, nil }},
		Method{Name: "later", Pending: "issue #9"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Runnable("ready"); err != nil {
		t.Error(err)
	}
	if _, err := r.Runnable("later"); err == nil || !strings.Contains(err.Error(), "issue #9") {
		t.Errorf("pending method: %v", err)
	}
	if _, err := r.Runnable("nope"); err == nil || !strings.Contains(err.Error(), "known: later, ready") {
		t.Errorf("unknown method: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	bad := [][]Method{
		{{Name: ""}},
		{{Name: "a.b"}},
		{{Name: "x"}, {Name: "x"}},
		{{Name: "x", New: func(Params, Env) (protocol.Detector, error) { return nil, nil }}},
	}
	for _, ms := range bad {
		if _, err := New(ms...); err == nil {
			t.Errorf("New accepted %+v", ms)
		}
	}
}
