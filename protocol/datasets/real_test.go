package datasets_test

import (
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
