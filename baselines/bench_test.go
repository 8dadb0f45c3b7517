package baselines_test

import (
	"context"
	"testing"

	"github.com/ncae-repro/ncae/baselines/iforest"
	"github.com/ncae-repro/ncae/baselines/kde"
	"github.com/ncae-repro/ncae/baselines/ocsvm"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/datasets"
	"github.com/ncae-repro/ncae/protocol/datasets/datasetstest"
)

// The speed setup: MNIST, normal class 0, ρ = 0.1 — 6,581 training
// images, 10,000 test images. Each operation is the whole method (selection,
// fit and score), as scikit-learn's side of experiments/crosscheck times it:
//
//	go test ./baselines -run '^$' -bench . -benchtime 1x
//	go test ./baselines -run '^$' -bench . -benchtime 1x -tags openblas
func benchmark(b *testing.B, newDetector func(key protocol.Key) protocol.Detector) {
	ds := datasetstest.Load(b, datasets.MNIST())
	key := protocol.Key{Dataset: "mnist", Normal: 0, Anomaly: 1, Rho: 0.1}
	exp, err := protocol.Build(ds, key, protocol.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var out protocol.Outcome
	for b.Loop() {
		if out, err = protocol.Evaluate(context.Background(), newDetector(key), exp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(out.AUC, "auc")
	b.ReportMetric(float64(exp.Train.N+exp.Test.N)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkOCSVM(b *testing.B) {
	benchmark(b, func(protocol.Key) protocol.Detector { return ocsvm.New(*ocsvm.DefaultParams()) })
}

func BenchmarkKDE(b *testing.B) {
	benchmark(b, func(protocol.Key) protocol.Detector { return kde.New(*kde.DefaultParams()) })
}

func BenchmarkIsolationForest(b *testing.B) {
	benchmark(b, func(k protocol.Key) protocol.Detector { return iforest.New(*iforest.DefaultParams(), k.MethodSeed()) })
}
