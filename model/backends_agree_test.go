package model

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/internal/gemm"
	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
)

// stepResult is every value one training step (or inference) produced,
// by name.
type stepResult map[string][]float32

// runOnBackend runs, on the backend named spec, one CAE step, one NCAE step or
// inference, at
// batch 16 from the seed's initial state and fixed random images.
func runOnBackend(t *testing.T, dataset, graph, spec string) stepResult {
	t.Helper()
	b, err := backend.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	const batch = 16
	r := protocol.NewRand(5, "agree")
	pixels := make([]float32, batch*784)
	for i := range pixels {
		pixels[i] = float32(r.Float64())
	}
	ae := DefaultAEParams()
	ae.BatchSize = batch
	var ncae *NCAEParams
	if graph == "ncae step" {
		p := DefaultNCAEParams()
		p.AEParams = ae
		p.GANLR = 5e-4
		ncae = p
	}
	d, err := newDetector(ae, ncae, Env{Dataset: dataset, Seed: 1, Backend: spec})
	if err != nil {
		t.Fatal(err)
	}
	d.b = b
	st, err := newState(d.arch, ncae != nil, protocol.NewRand(1, "init"), d.ae.DeconvFanIn == FanInOutput)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	res := stepResult{}
	if graph == "inference" {
		d.state = st
		test := protocol.Samples{N: 40, Rows: 28, Cols: 28, Pixels: make([]byte, 40*784)}
		for i := range test.Pixels {
			test.Pixels[i] = byte(r.IntN(256))
		}
		scores, err := d.Score(context.Background(), test)
		if err != nil {
			t.Fatal(err)
		}
		d.closeScorer()
		for _, s := range scores {
			res["scores"] = append(res["scores"], float32(s))
		}
		return res
	}
	tr, err := newTrainer(d, st)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	if ncae != nil {
		tr.mu = make([]float32, d.arch.Latent)
		for i := range tr.mu {
			tr.mu[i] = float32(2*r.Float64() - 1)
		}
	}
	for s := range 1 {
		losses, mask, err := tr.trainStep(pixels, 28, 28, 0, s+1)
		if err != nil {
			t.Fatal(err)
		}
		res[fmt.Sprintf("losses@%d", s)] = losses
		res[fmt.Sprintf("mined@%d", s)] = mask
	}
	res["mu"] = tr.mu
	for i, name := range st.layout.Names() {
		res[name] = tensors.MustCopyFlatData[float32](st.tensors[i])
	}
	return res
}

// TestCPUBackendAgreesWithSimpleGo is the differential test of the cpu
// backend: for each graph the models run (CAE step, NCAE step, inference,
// on both data sets' networks), every output — losses, the mining mask,
// μ, batch-norm statistics, gradients (as Adam's moments), scores — equals
// SimpleGo's within 1e-4 of the tensor's RMS, and updated weights within
// 1e-3 (see below).
//
// The input seed matters: with some seeds one max-pool or LeakyReLU
// decision (or, in the NCAE step, a mining or nearest-sample choice) falls
// within float32 rounding of its threshold, so the two backends route one
// channel's gradient differently (both correctly). With the input fan-in
// of the decoder's transposed convolutions (deconv_fan_in = "input") seeds
// 3 and 6 did so on F-MNIST and 2 on MNIST; with PyTorch's (the default
// since issue #20) seeds 1 and 2 on MNIST's and 4 on F-MNIST's NCAE step,
// by 0.9–10 % of a moment's RMS in one element. Seed 5 hits none.
// model/nn's and model/backend/cpu's op-level tests cover every layer and
// the convolutions at 1e-5 without that hazard.
func TestCPUBackendAgreesWithSimpleGo(t *testing.T) {
	for _, dataset := range []string{"mnist", "fmnist"} {
		for _, graph := range []string{"cae step", "ncae step", "inference"} {
			t.Run(dataset+"/"+graph, func(t *testing.T) {
				if testing.Short() && dataset == "fmnist" {
					t.Skip("short: MNIST networks only")
				}
				want := runOnBackend(t, dataset, graph, "go")
				got := runOnBackend(t, dataset, graph, "cpu")
				if len(got) != len(want) {
					t.Fatalf("%d outputs, want %d", len(got), len(want))
				}
				worst, worstName, exempt, weights := 0.0, "", 0, 0
				for name, w := range want {
					g := got[name]
					if len(g) != len(w) {
						t.Fatalf("%s: %d values, want %d", name, len(g), len(w))
					}
					if strings.Contains(name, "/v/") { // Adam's second moment is ≈ g²: compare |g|
						w, g = sqrtAll(w), sqrtAll(g)
					}
					scale := rms(w)
					// Adam moves a weight by lr·m/√v: its error is the gradient's
					// relative error, which float32 sums make large where the gradient
					// is small. So weights are held to 1e-3 of their scale, and those
					// whose gradient is within 1% of zero (their step is noise on
					// either backend) are exempt and counted; gradients themselves are
					// compared through the moments at 1e-4.
					moment, isWeight := want[adamMoment(name)]
					tol := 1e-4
					if isWeight {
						tol = 1e-3
					}
					momentScale := rms(moment)
					for i := range w {
						if isWeight {
							weights++
							if math.Abs(float64(moment[i])) < 1e-2*momentScale {
								exempt++
								continue
							}
						}
						d := math.Abs(float64(g[i]-w[i])) / max(scale, 1e-30) * 1e-4 / tol
						if d > worst {
							worst, worstName = d, fmt.Sprintf("%s[%d] = %g, SimpleGo %g", name, i, g[i], w[i])
						}
					}
				}
				t.Logf("%d tensors; largest difference %.2g of the tolerance's 1e-4 (%s); %d of %d weights exempt", len(want), worst, worstName, exempt, weights)
				if worst > 1e-4 {
					t.Errorf("largest difference, relative to the tensor's RMS and scaled to a 1e-4 tolerance, %.3g > 1e-4: %s", worst, worstName)
				}
				if exempt*20 > weights {
					t.Errorf("%d of %d weights have gradients within noise of zero: too many to compare", exempt, weights)
				}
			})
		}
	}
}

// adamMoment returns the name of the autoencoder's (or a discriminator's)
// first Adam moment of weight name.
func adamMoment(name string) string {
	switch {
	case strings.HasPrefix(name, encPrefix), strings.HasPrefix(name, decPrefix):
		return aeSlot + "m/" + name
	case strings.HasPrefix(name, dlPrefix):
		return dlSlot + "m/" + name
	case strings.HasPrefix(name, dsPrefix):
		return dsSlot + "m/" + name
	}
	return ""
}

func sqrtAll(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(math.Sqrt(float64(x)))
	}
	return out
}

func rms(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s / float64(max(len(v), 1)))
}

// TestAVX512StepsSameAsAVX2 runs the six graphs with the AVX-512 and the
// AVX2 kernels and wants every output bit for bit the same: the wide kernel
// computes each element as the same chain of fused multiply-adds, so a run
// does not depend on which of the two the CPU has.
func TestAVX512StepsSameAsAVX2(t *testing.T) {
	if !gemm.KernelAVX512.Runs() {
		t.Skipf("this CPU has no AVX-512F (it has: %s)", gemm.Features())
	}
	sameSteps(t, "cpu:kernel=avx2", "cpu:kernel=avx512")
}

// TestGraphRewritesSameSteps runs the six graphs with and without the cpu
// backend's graph rewrites (comparison masks, row broadcasts: option
// nofuse) and wants every output bit for bit the same.
func TestGraphRewritesSameSteps(t *testing.T) {
	sameSteps(t, "cpu:nofuse", "cpu")
}

// sameSteps runs the six graphs on the backends wantSpec and gotSpec and
// fails unless every output is the same bit for bit.
func sameSteps(t *testing.T, wantSpec, gotSpec string) {
	t.Helper()
	for _, dataset := range []string{"mnist", "fmnist"} {
		for _, graph := range []string{"cae step", "ncae step", "inference"} {
			t.Run(dataset+"/"+graph, func(t *testing.T) {
				want := runOnBackend(t, dataset, graph, wantSpec)
				got := runOnBackend(t, dataset, graph, gotSpec)
				if len(got) != len(want) {
					t.Fatalf("%d outputs, want %d", len(got), len(want))
				}
				for name, w := range want {
					g := got[name]
					if len(g) != len(w) {
						t.Fatalf("%s: %d values, want %d", name, len(g), len(w))
					}
					for i := range w {
						if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
							t.Fatalf("%s[%d] = %g on %s, %g on %s", name, i, g[i], gotSpec, w[i], wantSpec)
						}
					}
				}
			})
		}
	}
}
