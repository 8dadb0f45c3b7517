package model

import (
	"context"
	"testing"

	"github.com/ncae-repro/ncae/model/backend"
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
				b.ReportMetric(res.CAEStep.SamplesPerSecond, "cae-step-samples/s")
				b.ReportMetric(res.NCAEStep.SamplesPerSecond, "ncae-step-samples/s")
				b.ReportMetric(res.Inference.SamplesPerSecond, "inference-samples/s")
			})
		}
	}
}

// BenchmarkNCAEStep times the NCAE training step alone on the default
// backend (batch 128), per data set's networks: the target of a CPU profile,
//
//	go test ./model -run '^$' -bench NCAEStep/fmnist -cpuprofile ncae.prof
func BenchmarkNCAEStep(b *testing.B) {
	for _, dataset := range []string{"mnist", "fmnist"} {
		b.Run(dataset, func(b *testing.B) {
			be, err := backend.Open(backend.Default)
			if err != nil {
				b.Fatal(err)
			}
			defer be.Finalize()
			_, st, t, err := benchTrainer(dataset, be, 128, true)
			if err != nil {
				b.Fatal(err)
			}
			defer st.close()
			defer t.close()
			pixels := make([]float32, 128*784)
			for i := range pixels {
				pixels[i] = float32(i%97) / 97
			}
			step := 1
			for b.Loop() {
				if _, _, err := t.trainStep(pixels, 28, 28, 0, step); err != nil {
					b.Fatal(err)
				}
				step++
			}
			b.ReportMetric(128*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
