package plan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
)

// SweepRho is the contamination ratio of a sweep that does not choose its
// own: the paper's Figure 2 is at ρ = 0.2.
const SweepRho = 0.2

// DefaultValues returns the paper's Figure 2 values of param (sigma, tau),
// or nil.
func DefaultValues(param string) []string {
	switch param {
	case "sigma":
		return []string{"0.01", "0.05", "0.1", "0.2", "0.5", "1"}
	case "tau":
		return []string{"0", "0.05", "0.1", "0.15", "0.2", "0.3"}
	}
	return nil
}

// SweepSpec says what a sweep varies.
type SweepSpec struct {
	Method string
	// Param is a key of the method's config section, or "rho".
	Param string
	// Values are numbers or words; nil means DefaultValues(Param).
	Values []string
	// KeepRhos keeps the configuration's grid.rhos (the user gave them);
	// otherwise a parameter sweep runs at SweepRho only.
	KeepRhos bool
}

// Sweep is one method over several values of one parameter: one validated
// configuration per value, all alike but for that value.
type Sweep struct {
	Method, Param string
	Values        []string         // as recorded in sweeps.csv (numbers in Go's shortest form)
	Configs       []*config.Config // Configs[i] has Values[i] set
}

// NewSweep builds the configuration of every value from base and validates
// them all before anything runs, so that a bad value is one error.
func NewSweep(base config.Layers, reg *registry.Registry, spec SweepSpec) (*Sweep, error) {
	if spec.Param == "" {
		return nil, errors.New("--param is required")
	}
	if spec.Param == "rho" && spec.KeepRhos {
		return nil, errors.New("--rhos with --param rho: give the ρ values with --values")
	}
	values := spec.Values
	if values == nil {
		values = DefaultValues(spec.Param)
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("--param %s: give --values (defaults exist for sigma and tau only)", spec.Param)
	}
	// Every value is read before any configuration is loaded.
	s := &Sweep{Method: spec.Method, Param: spec.Param}
	var overrides []config.Override
	for _, v := range values {
		text, value, err := SweepValue(v)
		if err != nil {
			return nil, err
		}
		o := config.Override{Key: spec.Method + "." + spec.Param, Value: value}
		if spec.Param == "rho" {
			rho, isNumber := value.(float64)
			if !isNumber {
				return nil, fmt.Errorf("--values: ρ %q is not a number", v)
			}
			o = config.Override{Key: "grid.rhos", Value: []float64{rho}}
		}
		s.Values, overrides = append(s.Values, text), append(overrides, o)
	}
	common := withOverrides(base, config.Override{Key: "grid.methods", Value: []string{spec.Method}})
	if spec.Param != "rho" && !spec.KeepRhos {
		common = withOverrides(common, config.Override{Key: "grid.rhos", Value: []float64{SweepRho}})
	}
	for _, o := range overrides {
		cfg, err := config.Load(withOverrides(common, o), reg)
		if err != nil {
			return nil, err
		}
		s.Configs = append(s.Configs, cfg)
	}
	return s, nil
}

// withOverrides returns l with more overrides after its own (l's slice is
// not shared).
func withOverrides(l config.Layers, more ...config.Override) config.Layers {
	l.Overrides = append(slices.Clip(l.Overrides), more...)
	return l
}

// SweepValue returns a swept value's text as recorded (numbers in Go's
// shortest form) and as a typed value (float64 or string), or an error for
// text that is neither a number nor a word.
func SweepValue(v string) (text string, value any, err error) {
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return strconv.FormatFloat(f, 'g', -1, 64), f, nil
	}
	if v == "" {
		return "", nil, errors.New("--values: an empty value")
	}
	for _, r := range v {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", nil, fmt.Errorf("--values: %q is neither a number nor a word of letters, digits, - and _", v)
		}
	}
	return v, v, nil
}

// Plan returns shard s of every value's runs, value after value, each
// task labelled "param=value". Each value's grid is sharded on its own, so
// a shard runs the same experiments at every value.
func (s *Sweep) Plan(shard Shard) Plan {
	var p Plan
	for i, cfg := range s.Configs {
		keys := shard.Keys(cfg.ProtocolGrid().Keys())
		p = append(p, Grid(cfg, keys, []string{s.Method}, s.Param+"="+s.Values[i])...)
	}
	return p
}

// Entries returns what sweeps.csv records of the sweep: which config hash
// means which value, per ρ.
func (s *Sweep) Entries() []store.SweepEntry {
	var entries []store.SweepEntry
	for i, cfg := range s.Configs {
		for _, rho := range cfg.Grid.Rhos {
			entries = append(entries, store.SweepEntry{Param: s.Param, Value: s.Values[i], Method: s.Method,
				ConfigHash: cfg.Hash(s.Method), Rho: rho})
		}
	}
	return entries
}

// Recorded keeps the sweep entries recorded under the configuration base
// describes: an entry (method, param = value, config hash) is kept when
// base with that value set hashes to the entry's hash, as the sweep that
// recorded it computed. A re-tuned preset thus leaves its earlier sweeps
// out of Figure 2 instead of averaging them with the new runs at the same
// value. It also returns how many entries it left out.
func Recorded(base config.Layers, reg *registry.Registry, entries []store.SweepEntry) (mine []store.SweepEntry, others int) {
	hashes := map[[3]string]string{}
	for _, e := range entries {
		k := [3]string{e.Method, e.Param, e.Value}
		h, ok := hashes[k]
		if !ok {
			h = entryHash(base, reg, e)
			hashes[k] = h
		}
		if h != "" && h == e.ConfigHash {
			mine = append(mine, e)
		} else {
			others++
		}
	}
	return mine, others
}

// entryHash is the config hash of e's method under base with e's value
// set, or "" when that configuration no longer loads (a key since renamed).
func entryHash(base config.Layers, reg *registry.Registry, e store.SweepEntry) string {
	l := withOverrides(base, config.Override{Key: "grid.methods", Value: []string{e.Method}})
	if e.Param != "rho" { // ρ is not part of a method's hash
		_, value, err := SweepValue(e.Value)
		if err != nil {
			return ""
		}
		l = withOverrides(l, config.Override{Key: e.Method + "." + e.Param, Value: value})
	}
	cfg, err := config.Load(l, reg)
	if err != nil {
		return ""
	}
	return cfg.Hash(e.Method)
}
