package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/external"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

// Validate checks every key and names the first bad one.
func (c *Config) Validate(reg *registry.Registry) error {
	for _, check := range []func(*registry.Registry) error{c.validateGrid, c.validateProtocol, c.validateRun} {
		if err := check(reg); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	for _, name := range sortedKeys(c.Methods) {
		section := name
		if external.IsMethod(name) {
			section = external.Section(name)
		}
		if err := c.Methods[name].Validate(); err != nil {
			return fmt.Errorf("config: %s.%w", section, err)
		}
	}
	return nil
}

func (c *Config) validateGrid(reg *registry.Registry) error {
	g := c.Grid
	if len(g.Datasets) == 0 {
		return fmt.Errorf("grid.datasets is empty (choose from %s)", strings.Join(datasets.Names(), ", "))
	}
	for i, d := range g.Datasets {
		if _, ok := datasets.Lookup(d); !ok {
			return fmt.Errorf("grid.datasets[%d] = %q: unknown data set (choose from %s)", i, d, strings.Join(datasets.Names(), ", "))
		}
	}
	if err := noDuplicates("grid.datasets", g.Datasets); err != nil {
		return err
	}
	if len(g.Methods) == 0 {
		return fmt.Errorf("grid.methods is empty (choose from %s)", strings.Join(reg.Names(), ", "))
	}
	for i, m := range g.Methods {
		if _, ok := reg.Lookup(m); !ok {
			return fmt.Errorf("grid.methods[%d] = %q: unknown method (choose from %s, or external:NAME)", i, m, strings.Join(reg.Names(), ", "))
		}
		if _, ok := c.Methods[m]; !ok && external.IsMethod(m) {
			return fmt.Errorf("grid.methods[%d] = %q: no [%s] section; give its command there, e.g. command = [\"python3\", \"detectors/knn.py\"]", i, m, external.Section(m))
		}
	}
	if err := noDuplicates("grid.methods", g.Methods); err != nil {
		return err
	}
	if len(g.Rhos) == 0 {
		return fmt.Errorf("grid.rhos is empty")
	}
	for i, r := range g.Rhos {
		if !(r >= 0 && r < 1) {
			return fmt.Errorf("grid.rhos[%d] = %g: ρ must be in [0, 1)", i, r)
		}
	}
	if err := noDuplicates("grid.rhos", g.Rhos); err != nil {
		return err
	}
	if err := classList("grid.normal_classes", g.NormalClasses); err != nil {
		return err
	}
	if err := classList("grid.anomaly_classes", g.AnomalyClasses); err != nil {
		return err
	}
	for _, c := range g.NormalClasses {
		if len(g.AnomalyClasses) == 1 && g.AnomalyClasses[0] == c {
			return fmt.Errorf("grid.anomaly_classes = [%d] leaves no anomaly class for normal class %d", c, c)
		}
	}
	if g.AnomaliesPerNormal < 0 || g.AnomaliesPerNormal > 9 {
		return fmt.Errorf("grid.anomalies_per_normal = %d: must be in 0..9 (0 = all)", g.AnomaliesPerNormal)
	}
	if len(g.Seeds) == 0 {
		return fmt.Errorf("grid.seeds is empty (the paper's protocol uses [0])")
	}
	for i, s := range g.Seeds {
		if s < 0 {
			return fmt.Errorf("grid.seeds[%d] = %d: must be ≥ 0", i, s)
		}
	}
	return noDuplicates("grid.seeds", g.Seeds)
}

func (c *Config) validateProtocol(*registry.Registry) error {
	p := c.Protocol
	switch {
	case p.Contamination != protocol.Pooled && p.Contamination != protocol.Single:
		return fmt.Errorf("protocol.contamination = %q: must be %q or %q", p.Contamination, protocol.Pooled, protocol.Single)
	case p.MaxTrainNormal < 0:
		return fmt.Errorf("protocol.max_train_normal = %d: must be ≥ 0 (0 = all)", p.MaxTrainNormal)
	case p.TestSize < 0 || (p.TestSize > 0 && p.TestSize < 20):
		return fmt.Errorf("protocol.test_size = %d: must be 0 (all) or at least 20", p.TestSize)
	case !(p.ValidationFraction > 0 && p.ValidationFraction < 1):
		return fmt.Errorf("protocol.validation_fraction = %g: must be in (0, 1)", p.ValidationFraction)
	case !(p.ExtraOutliers >= 0 && p.ExtraOutliers < 0.5):
		return fmt.Errorf("protocol.extra_outliers = %g: must be in [0, 0.5) (0 = off; the released NCAE code's default is 0.01)", p.ExtraOutliers)
	case !(p.LabelledAnomalies >= 0 && p.LabelledAnomalies < 0.5):
		return fmt.Errorf("protocol.labelled_anomalies = %g: must be in [0, 0.5) (0 = none; Deep SAD's experiment uses 0.05)", p.LabelledAnomalies)
	case p.LabelledAnomalies > 0 && p.Contamination == protocol.Single && c.gridTakesLabels():
		return fmt.Errorf("protocol.labelled_anomalies = %g with contamination = %q: class a would be both the labelled and the contaminating class of the methods that take labels; use %q or labelled_anomalies = 0", p.LabelledAnomalies, protocol.Single, protocol.Pooled)
	}
	return nil
}

func (c *Config) validateRun(*registry.Registry) error {
	r := c.Run
	if r.Backend != "" {
		if err := backend.Check(r.Backend); err != nil {
			return fmt.Errorf("run.backend: %w", err)
		}
	}
	switch {
	case r.Jobs < 0:
		return fmt.Errorf("run.jobs = %d: must be ≥ 0 (0 = one per CPU core)", r.Jobs)
	case r.ResultsDir == "":
		return fmt.Errorf("run.results_dir is empty")
	case r.PlotsDir == "":
		return fmt.Errorf("run.plots_dir is empty")
	}
	return nil
}

func classList(key string, classes []int) error {
	if len(classes) == 0 {
		return fmt.Errorf("%s is empty (classes are 0..9)", key)
	}
	for i, c := range classes {
		if c < 0 || c > 9 {
			return fmt.Errorf("%s[%d] = %d: classes are 0..9", key, i, c)
		}
	}
	return noDuplicates(key, classes)
}

func noDuplicates[T comparable](key string, xs []T) error {
	seen := map[T]bool{}
	for i, x := range xs {
		if seen[x] {
			return fmt.Errorf("%s[%d] = %v appears twice", key, i, x)
		}
		seen[x] = true
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
