package registry

import (
	"context"
	"strings"
	"testing"

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
