package model

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkSteps reports train samples/s of one CAE step and one full NCAE
// step and inference samples/s, batch 128, on the cpu backend and on
// SimpleGo side by side; `go run ./experiments bench --torch` adds PyTorch.
func BenchmarkSteps(b *testing.B) {
	for _, spec := range []string{"cpu", "go"} {
		for _, dataset := range []string{"mnist", "fmnist"} {
			b.Run(spec+"/"+dataset, func(b *testing.B) {
				var res BenchResult
				var err error
				for range b.N {
					if res, err = Bench(context.Background(), dataset, spec, 128, 5); err != nil {
						b.Fatal(err)
					}
				}
				for k, v := range res.SamplesPerSecond {
					b.ReportMetric(v, strings.ReplaceAll(k, " ", "-")+"-samples/s")
				}
			})
		}
	}
}
