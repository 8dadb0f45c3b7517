package runner

import (
	"fmt"
	"sync"

	"github.com/ncae-repro/ncae/protocol/datasets"
)

// Data loads each data set once and shares it between experiments.
type Data struct {
	loc  *datasets.Locator
	mu   sync.Mutex
	sets map[string]*datasets.Dataset
}

// NewData returns a loader using loc.
func NewData(loc *datasets.Locator) *Data {
	return &Data{loc: loc, sets: map[string]*datasets.Dataset{}}
}

// Get returns the named data set, loading and verifying it on first use.
func (d *Data) Get(name string) (*datasets.Dataset, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ds, ok := d.sets[name]; ok {
		return ds, nil
	}
	spec, ok := datasets.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown data set %q", name)
	}
	ds, _, err := d.loc.Load(spec)
	if err != nil {
		return nil, err
	}
	d.sets[name] = ds
	return ds, nil
}
