package model

import (
	"context"
	"fmt"
	"time"

	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
)

// benchTrainer returns a detector, its initial state and a trainer for
// timing one CAE (or, with ncae, NCAE) step at batch size batch on b.
func benchTrainer(dataset string, b *backend.Backend, batch int, ncae bool) (*Detector, *state, *trainer, error) {
	ae := DefaultAEParams()
	ae.BatchSize = batch
	var p *NCAEParams
	if ncae {
		p = DefaultNCAEParams()
		p.AEParams = ae
	}
	d, err := newDetector(ae, p, Env{Dataset: dataset, Seed: 1, Backend: b.Spec})
	if err != nil {
		return nil, nil, nil, err
	}
	d.b = b
	st, err := newState(d.arch, ncae, protocol.NewRand(1, "init"), d.ae.DeconvFanIn == FanInOutput)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := newTrainer(d, st)
	if err != nil {
		st.close()
		return nil, nil, nil, err
	}
	if ncae {
		t.mu = make([]float32, d.arch.Latent)
	}
	return d, st, t, nil
}

// BenchTiming is the measured speed of one operation.
type BenchTiming struct {
	CompileSeconds   float64 // graph build + compile + first call
	SamplesPerSecond float64 // after the first call
}

// BenchResult is the measured speed of one network on one backend.
type BenchResult struct {
	Dataset, Backend string
	Batch            int
	CAEStep          BenchTiming // one CAE training step
	NCAEStep         BenchTiming // one full NCAE training step
	Inference        BenchTiming // scoring
}

// Bench times steps of CAE training, full NCAE training and inference on
// random images at the given batch size, after one warm-up call each.
func Bench(ctx context.Context, dataset, backendSpec string, batch, steps int) (BenchResult, error) {
	res := BenchResult{Dataset: dataset, Backend: backendSpec, Batch: batch}
	b, err := backend.Open(backendSpec)
	if err != nil {
		return res, err
	}
	defer b.Finalize()
	r := protocol.NewRand(1, "bench")
	pixels := make([]float32, batch*784)
	for i := range pixels {
		pixels[i] = float32(r.Float64())
	}
	for _, ncae := range []bool{false, true} {
		variant, timing := "cae step", &res.CAEStep
		if ncae {
			variant, timing = "ncae step", &res.NCAEStep
		}
		d, st, t, err := benchTrainer(dataset, b, batch, ncae)
		if err != nil {
			return res, err
		}
		one := func(step int) error {
			_, _, err := t.trainStep(pixels, 28, 28, 0, step)
			return err
		}
		start := time.Now()
		if err := one(1); err != nil {
			return res, fmt.Errorf("%s: %w", variant, err)
		}
		timing.CompileSeconds = time.Since(start).Seconds()
		start = time.Now()
		for s := range steps {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if err := one(s + 2); err != nil {
				return res, err
			}
		}
		timing.SamplesPerSecond = float64(steps*batch) / time.Since(start).Seconds()
		t.close()
		if !ncae {
			// Inference with the trained state.
			d.state = st
			test := protocol.Samples{N: steps * scoreBatch, Rows: 28, Cols: 28, Pixels: make([]byte, steps*scoreBatch*784)}
			warm := protocol.Samples{N: scoreBatch, Rows: 28, Cols: 28, Pixels: make([]byte, scoreBatch*784)}
			start = time.Now()
			if _, err := d.Score(ctx, warm); err != nil {
				return res, err
			}
			res.Inference.CompileSeconds = time.Since(start).Seconds()
			start = time.Now()
			if _, err := d.Score(ctx, test); err != nil {
				return res, err
			}
			res.Inference.SamplesPerSecond = float64(test.N) / time.Since(start).Seconds()
			d.closeScorer()
		}
		st.close()
	}
	return res, nil
}
