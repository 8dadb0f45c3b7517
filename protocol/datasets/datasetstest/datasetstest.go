// Package datasetstest loads the real data sets in tests: a test skips, with
// the command that installs the data, when they are absent — unless
// NCAE_REQUIRE_DATA=1 (as CI sets it), when it fails instead.
package datasetstest

import (
	"errors"
	"os"
	"testing"

	"github.com/ncae-repro/ncae/protocol/datasets"
)

// Load returns the named data set, or skips (fails under NCAE_REQUIRE_DATA=1).
func Load(t testing.TB, spec datasets.Spec) *datasets.Dataset {
	t.Helper()
	l := &datasets.Locator{DataDir: os.Getenv("NCAE_DATA_DIR"), CacheFile: datasets.DefaultCacheFile()}
	ds, _, err := l.Load(spec)
	if errors.Is(err, datasets.ErrNotFound) && os.Getenv("NCAE_REQUIRE_DATA") != "1" {
		t.Skipf("%s not installed, skipping: %v", spec.Title, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
