package model

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkSteps reports train samples/s of one CAE step and one full NCAE
// step and inference samples/s, batch 128, on the pure-Go backend; `go run
// ./experiments bench` prints the same for any backend.
func BenchmarkSteps(b *testing.B) {
	for _, dataset := range []string{"mnist", "fmnist"} {
		b.Run(dataset, func(b *testing.B) {
			var res BenchResult
			var err error
			for range b.N {
				if res, err = Bench(context.Background(), dataset, "go", 128, 5); err != nil {
					b.Fatal(err)
				}
			}
			for k, v := range res.SamplesPerSecond {
				b.ReportMetric(v, strings.ReplaceAll(k, " ", "-")+"-samples/s")
			}
		})
	}
}
