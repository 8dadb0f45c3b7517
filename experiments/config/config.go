// Package config holds the harness configuration: the experiment grid, the
// protocol settings, where data and results live, and each method's
// parameters. A configuration is built in layers — an embedded preset
// (smoke, quick, paper), then an optional TOML file, then command-line
// settings — each layer overriding the keys it names. Unknown keys and
// out-of-range values are rejected with the key's name.
package config

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/external"
	"github.com/ncae-repro/ncae/protocol"
)

//go:embed presets/*.toml
var presetFiles embed.FS

// Presets lists the embedded preset names.
func Presets() []string { return []string{"smoke", "quick", "paper"} }

// PresetText returns the TOML of the named preset.
func PresetText(name string) (string, error) {
	b, err := presetFiles.ReadFile("presets/" + name + ".toml")
	if err != nil {
		return "", fmt.Errorf("unknown preset %q (known: %s)", name, strings.Join(Presets(), ", "))
	}
	return string(b), nil
}

// Grid is the [grid] section: which experiments and methods to run.
type Grid struct {
	Datasets           []string  `toml:"datasets" json:"datasets"`
	Methods            []string  `toml:"methods" json:"methods"`
	Rhos               []float64 `toml:"rhos" json:"rhos"`
	NormalClasses      []int     `toml:"normal_classes" json:"normal_classes"`
	AnomalyClasses     []int     `toml:"anomaly_classes" json:"anomaly_classes"`
	AnomaliesPerNormal int       `toml:"anomalies_per_normal" json:"anomalies_per_normal"`
	Seeds              []int     `toml:"seeds" json:"seeds"`
}

// Protocol is the [protocol] section: how each experiment's data is drawn.
// Every key here changes results, so it is part of the config hash.
type Protocol struct {
	Contamination      string  `toml:"contamination" json:"contamination"`
	MaxTrainNormal     int     `toml:"max_train_normal" json:"max_train_normal"`
	TestSize           int     `toml:"test_size" json:"test_size"`
	ValidationFraction float64 `toml:"validation_fraction" json:"validation_fraction"`
	// ExtraOutliers adds an unlabelled block of the anomaly class a, this
	// fraction of the training set, as the released NCAE code's defaults do
	// (protocol.Options.ExtraOutliers). Out of the hash at 0.
	ExtraOutliers float64 `toml:"extra_outliers" json:"extra_outliers,omitempty"`
	// LabelledAnomalies γ_l draws labelled anomalies of class a for the
	// methods that take labels (protocol.Options.LabelledAnomalies). In the
	// hash of those methods only: the others never see them.
	LabelledAnomalies float64 `toml:"labelled_anomalies" json:"labelled_anomalies,omitempty"`
}

// LabelTaker is implemented by the parameters of methods that learn from
// labelled anomalies (protocol.LabelledDetector).
type LabelTaker interface {
	TakesLabels() bool
}

// Data is the [data] section.
type Data struct {
	Dir          string `toml:"dir"`           // searched before the default locations
	SkipChecksum bool   `toml:"skip_checksum"` // for a user's own files
}

// Run is the [run] section: how to execute, not what to compute.
type Run struct {
	Backend    string `toml:"backend"`     // GoMLX backend; empty: $GOMLX_BACKEND, else "cpu"
	Jobs       int    `toml:"jobs"`        // parallel experiments; 0 = one per CPU core
	ResultsDir string `toml:"results_dir"` // where runs.csv and the tables go
	PlotsDir   string `toml:"plots_dir"`
}

// Config is a complete, validated configuration.
type Config struct {
	Grid     Grid
	Protocol Protocol
	Data     Data
	Run      Run
	// Methods holds the parameters of every implemented method, by name.
	Methods map[string]registry.Params

	sources []string // the layers applied, for messages
}

// Sources names the layers the configuration was built from.
func (c *Config) Sources() []string { return c.sources }

// Layers says where a configuration comes from.
type Layers struct {
	Preset string   // embedded preset name; empty means "quick"
	File   string   // optional TOML file
	Sets   []string // "key=value" settings in TOML syntax, e.g. "grid.rhos=[0.1]"
	// Overrides are typed settings applied after Sets (command-line flags,
	// a sweep's value): no TOML text involved.
	Overrides []Override
}

// Load builds and validates the configuration described by layers, with the
// method sections known to reg.
func Load(layers Layers, reg *registry.Registry) (*Config, error) {
	preset := layers.Preset
	if preset == "" {
		preset = "quick"
	}
	cfg := &Config{
		Run:     Run{ResultsDir: "results", PlotsDir: "plots"},
		Methods: map[string]registry.Params{},
	}
	for _, name := range reg.Names() {
		if m, _ := reg.Lookup(name); m.NewParams != nil {
			cfg.Methods[name] = m.NewParams()
		}
	}
	text, err := PresetText(preset)
	if err != nil {
		return nil, fmt.Errorf("config: --preset: %w", err)
	}
	if err := cfg.apply(text, "preset "+preset, reg); err != nil {
		return nil, err
	}
	if layers.File != "" {
		b, err := os.ReadFile(layers.File)
		if err != nil {
			return nil, fmt.Errorf("config: --config: %w", err)
		}
		if err := cfg.apply(string(b), layers.File, reg); err != nil {
			return nil, err
		}
	}
	for _, set := range layers.Sets {
		if err := cfg.applySet(set, reg); err != nil {
			return nil, err
		}
	}
	for _, o := range layers.Overrides {
		if err := cfg.With(o.Key, o.Value, reg); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(reg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applySet applies one "key=value" setting. A value that is not valid TOML
// is taken as a string, so that backend=xla:cuda needs no quotes.
func (c *Config) applySet(set string, reg *registry.Registry) error {
	key, value, ok := strings.Cut(set, "=")
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if !ok || key == "" || !strings.Contains(key, ".") {
		return fmt.Errorf("config: setting %q: want section.key=value, e.g. grid.rhos=[0.1,0.2]", set)
	}
	doc := key + " = " + value
	var probe map[string]any
	if _, err := toml.Decode(doc, &probe); err != nil {
		quoted, _ := json.Marshal(value) // a JSON string is a valid TOML basic string
		doc = key + " = " + string(quoted)
	}
	return c.apply(doc, "setting "+set, reg)
}

// apply decodes one TOML layer over c.
func (c *Config) apply(text, source string, reg *registry.Registry) error {
	var sections map[string]toml.Primitive
	md, err := toml.Decode(text, &sections)
	if err != nil {
		return fmt.Errorf("config: %s: %w", source, err)
	}
	names := make([]string, 0, len(sections))
	for name := range sections {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		target := c.fixedSection(name)
		switch {
		case target != nil:
		case name == "external":
			if err := c.applyExternal(md, sections[name], source, reg); err != nil {
				return err
			}
			continue
		default:
			p, ok := c.Methods[name]
			if !ok {
				if _, known := reg.Lookup(name); known {
					return fmt.Errorf("config: %s: section [%s]: method %q is not implemented yet, it has no parameters", source, name, name)
				}
				return fmt.Errorf("config: %s: unknown section [%s] (sections: grid, protocol, data, run, external.NAME, or a method: %s)",
					source, name, strings.Join(reg.Names(), ", "))
			}
			target = p
		}
		if err := md.PrimitiveDecode(sections[name], target); err != nil {
			return fmt.Errorf("config: %s: [%s]: %w", source, name, err)
		}
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("config: %s: unknown key %s", source, strings.Join(keys, ", "))
	}
	c.sources = append(c.sources, source)
	return nil
}

// applyExternal decodes the [external.NAME] sections, each the parameters of
// the method "external:NAME".
func (c *Config) applyExternal(md toml.MetaData, prim toml.Primitive, source string, reg *registry.Registry) error {
	var subs map[string]toml.Primitive
	if err := md.PrimitiveDecode(prim, &subs); err != nil {
		return fmt.Errorf("config: %s: [external]: want one table per detector, [external.NAME]: %w", source, err)
	}
	names := make([]string, 0, len(subs))
	for name := range subs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !external.ValidName(name) {
			return fmt.Errorf("config: %s: [external.%s]: a detector's name is letters, digits, '-' and '_'", source, name)
		}
		if err := md.PrimitiveDecode(subs[name], c.externalParams(name, reg)); err != nil {
			return fmt.Errorf("config: %s: [external.%s]: %w", source, name, err)
		}
	}
	return nil
}

// fixedSection returns the struct of section name when it is one of grid,
// protocol, data and run, else nil.
func (c *Config) fixedSection(name string) any {
	switch name {
	case "grid":
		return &c.Grid
	case "protocol":
		return &c.Protocol
	case "data":
		return &c.Data
	case "run":
		return &c.Run
	}
	return nil
}

// externalParams returns the parameters of external detector name,
// creating them with their defaults on first use.
func (c *Config) externalParams(name string, reg *registry.Registry) registry.Params {
	method := external.Prefix + name
	p, ok := c.Methods[method]
	if !ok {
		m, _ := reg.Lookup(method)
		p = m.NewParams()
		c.Methods[method] = p
	}
	return p
}

// Hash identifies what a method's results depend on: the protocol settings
// and the method's parameters (not the grid, which is in each run's key, nor
// where or how fast it runs). Rows with the same key and hash are the same
// computation, so a rerun skips them.
func (c *Config) Hash(method string) string {
	var params any
	proto := c.Protocol
	if p, ok := c.Methods[method]; ok {
		params = p
		if lt, ok := p.(LabelTaker); !ok || !lt.TakesLabels() {
			proto.LabelledAnomalies = 0 // not seen, so not in the hash
		}
	}
	b, err := json.Marshal(struct {
		Method   string   `json:"method"`
		Protocol Protocol `json:"protocol"`
		Params   any      `json:"params"`
	}{method, proto, params})
	if err != nil {
		// Params are plain structs of numbers and strings.
		b = []byte(fmt.Sprint(method, c.Protocol, params))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// ProtocolGrid returns the experiment grid.
func (c *Config) ProtocolGrid() protocol.Grid {
	g := c.Grid
	return protocol.Grid{Datasets: g.Datasets, Rhos: g.Rhos, NormalClasses: g.NormalClasses,
		AnomalyClasses: g.AnomalyClasses, AnomaliesPerNormal: g.AnomaliesPerNormal, Seeds: g.Seeds}
}

// ProtocolOptions returns the settings for protocol.Build. The labelled
// anomalies are drawn only when a method of the grid takes labels.
func (c *Config) ProtocolOptions() protocol.Options {
	p := c.Protocol
	o := protocol.Options{Mode: p.Contamination, MaxTrainNormal: p.MaxTrainNormal,
		TestSize: p.TestSize, ValidationFraction: p.ValidationFraction, ExtraOutliers: p.ExtraOutliers}
	if c.gridTakesLabels() {
		o.LabelledAnomalies = p.LabelledAnomalies
	}
	return o
}

// gridTakesLabels reports whether a method of the grid learns from
// labelled anomalies.
func (c *Config) gridTakesLabels() bool {
	for _, m := range c.Grid.Methods {
		if lt, ok := c.Methods[m].(LabelTaker); ok && lt.TakesLabels() {
			return true
		}
	}
	return false
}

// TOML renders the effective configuration as a TOML file that Load accepts.
func (c *Config) TOML() (string, error) {
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf)
	doc := map[string]any{"grid": c.Grid, "protocol": c.Protocol, "data": c.Data, "run": c.Run}
	ext := map[string]any{}
	for name, p := range c.Methods {
		if external.IsMethod(name) {
			ext[strings.TrimPrefix(name, external.Prefix)] = p
		} else {
			doc[name] = p
		}
	}
	if len(ext) > 0 {
		doc["external"] = ext
	}
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	return buf.String(), nil
}
