// Package registry lists the anomaly detection methods the harness can run
// and builds their detectors. Adding a detector means adding one Method here:
// a name, a parameter struct with defaults (decoded from the config section of
// the same name) and a constructor returning a protocol.Detector.
package registry

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ncae-repro/ncae/baselines/iforest"
	"github.com/ncae-repro/ncae/baselines/kde"
	"github.com/ncae-repro/ncae/baselines/ocsvm"
	"github.com/ncae-repro/ncae/external"
	"github.com/ncae-repro/ncae/model"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
)

// Params is a method's parameter struct. Its exported fields, with toml
// tags, form the method's config section; Validate reports a bad value with
// the key's name (e.g. "sigma: must be ≥ 0").
type Params interface {
	Validate() error
}

// Unhashed is implemented by parameter structs with keys that cannot change
// a run's outcome (a timeout). Those keys are left out of the config hash
// and named here, so that a test can tell a key left out on purpose from one
// forgotten: every other key of a method's section is hashed.
type Unhashed interface {
	UnhashedKeys() []string
}

// Env is what a detector may know about the experiment it runs in, beside
// its parameters.
type Env struct {
	Key     protocol.Key
	Seed    uint64 // the experiment's method seed; all randomness must derive from it
	Backend string // GoMLX backend spec for deep models ("go", "xla:cuda", …)
	// Backends shares open backends between the runs of a sweep; may be nil.
	Backends *backend.Pool
	// Epoch, when set, is told after every training epoch of a deep model.
	Epoch func(model.EpochReport)
	// Protocol is how the experiment was drawn (for what a detector records).
	Protocol protocol.Options
	// External says where external detectors' folders go and whether they
	// stay.
	External external.Options
}

// modelEnv is the deep models' view of env.
func modelEnv(env Env) model.Env {
	me := model.Env{Dataset: env.Key.Dataset, Seed: env.Seed, Backend: env.Backend, Backends: env.Backends}
	me.Progress = env.Epoch
	return me
}

// Method describes one detector.
type Method struct {
	Name    string
	Summary string
	// NewParams returns a fresh parameter struct holding the defaults.
	NewParams func() Params
	// New builds a detector for one experiment.
	New func(p Params, env Env) (protocol.Detector, error)
	// Pending, when New is nil, says where the missing implementation is tracked.
	Pending string
	// UsesBackend marks GoMLX models, whose results depend on the backend;
	// shallow methods run in plain Go and record backend "cpu".
	UsesBackend bool
}

// Implemented reports whether the method can run.
func (m Method) Implemented() bool { return m.New != nil }

// Registry is a set of methods by name.
type Registry struct {
	methods map[string]Method
}

// New returns a registry holding ms.
func New(ms ...Method) (*Registry, error) {
	r := &Registry{methods: map[string]Method{}}
	for _, m := range ms {
		if m.Name == "" || strings.ContainsAny(m.Name, " .,=/") {
			return nil, fmt.Errorf("registry: bad method name %q", m.Name)
		}
		if _, dup := r.methods[m.Name]; dup {
			return nil, fmt.Errorf("registry: method %q registered twice", m.Name)
		}
		if m.New != nil && m.NewParams == nil {
			return nil, fmt.Errorf("registry: method %q has a constructor but no parameters", m.Name)
		}
		r.methods[m.Name] = m
	}
	return r, nil
}

// Default returns the registry of the project's methods.
func Default() *Registry {
	r := &Registry{methods: map[string]Method{}}
	for _, m := range defaultMethods() {
		r.methods[m.Name] = m
	}
	return r
}

// ncaeMethod is a member of the NCAE family: one model, its defaults from
// defaults.
func ncaeMethod(name, summary string, defaults func() *model.NCAEParams) Method {
	return Method{Name: name, UsesBackend: true, Summary: summary,
		NewParams: func() Params { return defaults() },
		New: func(p Params, env Env) (protocol.Detector, error) {
			return model.NewNCAE(p.(*model.NCAEParams), modelEnv(env))
		}}
}

// defaultMethods lists the project's methods; TestDefaultMethods checks the
// list with New's rules.
func defaultMethods() []Method {
	return []Method{
		ncaeMethod("ncae", "Normality-Calibrated Autoencoder (the paper's method, GoMLX)", model.DefaultNCAEParams),
		ncaeMethod("ncae-code", "NCAE as the authors' released code runs it (τ = 0, its rates, slope, loss weights and step)", model.DefaultNCAECodeParams),
		ncaeMethod("ncae-ganlr", "the paper's NCAE with the released code's GAN learning rate 5e-4 (the paper's 0.01 collapses it): a variant, not the paper's method", model.DefaultNCAEGANLRParams),
		ncaeMethod("ncae-noadv", "NCAE without the latent adversary (adv_weight = 0): a variant, not the paper's method", model.DefaultNCAENoAdvParams),
		ncaeMethod("ncae-noadv-euclid", "ncae-noadv with Euclidean mining (mining_similarity = euclidean): a variant, not the paper's method", model.DefaultNCAENoAdvEuclidParams),
		{Name: "cae", UsesBackend: true, Summary: "convolutional autoencoder trained with plain MSE (GoMLX)",
			NewParams: func() Params { return model.DefaultCAEParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return model.NewCAE(p.(*model.CAEParams), modelEnv(env))
			}},
		{Name: "deepsvdd", UsesBackend: true, Summary: "One-Class Deep SVDD as Deep SAD's code runs it: AE pretraining, centre c, encoder trained to ‖f(x) − c‖² (GoMLX)",
			NewParams: func() Params { return model.DefaultDeepSVDDParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return model.NewDeepSVDD(p.(*model.DeepSVDDParams), modelEnv(env))
			}},
		{Name: "deepsad", UsesBackend: true, Summary: "Deep SAD (η = 1): Deep SVDD that also pushes the labelled anomalies (protocol.labelled_anomalies) away from the centre (GoMLX)",
			NewParams: func() Params { return model.DefaultDeepSADParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return model.NewDeepSAD(p.(*model.DeepSADParams), modelEnv(env))
			}},
		{Name: "classifier", UsesBackend: true, Summary: "supervised classifier of Deep SAD's experiment: the encoder with a logistic output, labelled anomalies against the rest (GoMLX)",
			NewParams: func() Params { return model.DefaultClassifierParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return model.NewClassifier(p.(*model.ClassifierParams), modelEnv(env))
			}},
		{Name: "ocsvm", Summary: "one-class SVM, RBF kernel, ν = 0.1, γ chosen on a labelled hold-out",
			NewParams: func() Params { return ocsvm.DefaultParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return ocsvm.New(*p.(*ocsvm.Params)), nil
			}},
		{Name: "ocsvm-nusel", Summary: "OC-SVM with ν ∈ {0.01, 0.05, 0.1, 0.2, 0.5} chosen with γ on the hold-out: a variant, not Deep SAD's stated ν = 0.1",
			NewParams: func() Params { return ocsvm.NuSelectParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return ocsvm.New(*p.(*ocsvm.Params)), nil
			}},
		{Name: "ssad", Summary: "SSAD (Görnitz et al. 2013) as Deep SAD runs it: RBF kernel, κ = 1, C = 1, γ chosen on the labelled hold-out; takes the labelled anomalies",
			NewParams: func() Params { return ocsvm.DefaultSSADParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return ocsvm.NewSSAD(*p.(*ocsvm.SSADParams)), nil
			}},
		{Name: "iforest", Summary: "isolation forest, 100 trees, sub-sample 256",
			NewParams: func() Params { return iforest.DefaultParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return iforest.New(*p.(*iforest.Params), env.Seed), nil
			}},
		{Name: "kde", Summary: "Gaussian kernel density, bandwidth by 5-fold CV",
			NewParams: func() Params { return kde.DefaultParams() },
			New: func(p Params, env Env) (protocol.Detector, error) {
				return kde.New(*p.(*kde.Params)), nil
			}},
	}
}

// Lookup returns the method called name. Every "external:NAME" is a method
// (external.IsMethod): its parameters come from the config section
// [external.NAME].
func (r *Registry) Lookup(name string) (Method, bool) {
	if external.IsMethod(name) {
		return externalMethod(name), true
	}
	m, ok := r.methods[name]
	return m, ok
}

// externalMethod is the method of one external detector.
func externalMethod(name string) Method {
	return Method{Name: name, Summary: "a detector run as a command under the protocol ([" + external.Section(name) + "])",
		NewParams: func() Params { return external.DefaultParams() },
		New: func(p Params, env Env) (protocol.Detector, error) {
			return external.New(*p.(*external.Params), env.Key, env.Protocol.ExtraOutliers, env.External)
		}}
}

// Names returns all method names, sorted; external detectors, which are
// named by the configuration, are not among them.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.methods))
	for n := range r.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Runnable returns the method called name if it is implemented, or an error
// that says why not.
func (r *Registry) Runnable(name string) (Method, error) {
	m, ok := r.Lookup(name)
	switch {
	case !ok:
		return m, fmt.Errorf("unknown method %q (known: %s, or external:NAME with an [external.NAME] config section)", name, strings.Join(r.Names(), ", "))
	case !m.Implemented():
		return m, fmt.Errorf("method %q is not implemented yet (%s)", name, m.Pending)
	}
	return m, nil
}
