package datasets_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
)

// TestRealData checks the official files where they are installed; CI
// installs both and requires them.
func TestRealData(t *testing.T) {
	wantTrain := map[string][]int{
		"mnist":  {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
		"fmnist": {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000},
	}
	for _, spec := range datasets.Specs() {
		t.Run(spec.Name, func(t *testing.T) {
			ds := datasetstest.Load(t, spec)
			counts := make([]int, 10)
			for _, y := range ds.TrainLabels {
				counts[y]++
			}
			for c, n := range counts {
				if n != wantTrain[spec.Name][c] {
					t.Errorf("class %d: %d training images, want %d", c, n, wantTrain[spec.Name][c])
				}
			}
			if ds.TestImages.Count != 10000 || ds.TrainImages.Count != 60000 {
				t.Errorf("%d train / %d test images", ds.TrainImages.Count, ds.TestImages.Count)
			}
		})
	}
}

// TestNamedDataDirIsNeverSkipped is the bug a new user hit: with --data-dir
// naming a folder whose MNIST training images are truncated, loading
// silently fell back to the GoMNIST module's copy. A folder the user names
// is used or rejected with the file's name; a plain folder holding the
// official MNIST files is still skipped for Fashion-MNIST.
func TestNamedDataDirIsNeverSkipped(t *testing.T) {
	official := datasetstest.Load(t, datasets.MNIST()).Dir
	copyMNIST := func(t *testing.T) string {
		dir := t.TempDir()
		for _, f := range datasets.MNIST().Files {
			for _, name := range []string{f.Base + ".gz", f.Base} {
				b, err := os.ReadFile(filepath.Join(official, name))
				if err != nil {
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		return dir
	}
	t.Run("truncated", func(t *testing.T) {
		dir := copyMNIST(t)
		path := filepath.Join(dir, "train-images-idx3-ubyte.gz")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		ds, _, err := (&datasets.Locator{DataDir: dir}).Load(datasets.MNIST())
		if err == nil {
			t.Fatalf("loaded MNIST from %s, want an error naming %s", ds.Dir, path)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "fix:") {
			t.Errorf("error %q does not name %s and the fix", err, path)
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		dir := copyMNIST(t)
		os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
		_, _, err := (&datasets.Locator{DataDir: dir}).Load(datasets.MNIST())
		if err == nil || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte") {
			t.Errorf("error %v, want one naming the missing t10k-labels-idx1-ubyte", err)
		}
	})
	t.Run("other data set", func(t *testing.T) {
		dir := copyMNIST(t)
		ds, _, err := (&datasets.Locator{DataDir: dir}).Load(datasets.FashionMNIST())
		if errors.Is(err, datasets.ErrNotFound) && os.Getenv("NCAE_REQUIRE_DATA") != "1" {
			t.Skip("Fashion-MNIST not installed")
		}
		if err != nil {
			t.Fatal(err)
		}
		if ds.Dir == dir {
			t.Errorf("Fashion-MNIST loaded from the folder of MNIST files %s", dir)
		}
	})
}
