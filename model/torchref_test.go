package model

import (
	"context"
	"encoding/json"
	"math"
	"os"
	execpkg "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/protocol"
	"github.com/ncae-repro/ncae/protocol/export"
)

// torchPython returns Debian's python3 when it has PyTorch, or skips.
func torchPython(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := execpkg.Command(py, "-c", "import torch, sklearn").Run(); err != nil {
		if os.Getenv("NCAE_REQUIRE_TORCH") == "1" {
			t.Fatalf("%s cannot import torch and sklearn: %v", py, err)
		}
		t.Skipf("PyTorch not installed (apt-get install python3-torch python3-sklearn): %v", err)
	}
	return py
}

// TestCAEStepsMatchPyTorch trains our CAE for three steps from its initial
// weights on three batches, hands the same weights and batches to
// model/torchref/check_steps.py, which loads them into the PyTorch networks
// of model/torchref (Deep SAD's layers, layouts converted) and takes the
// same steps with torch.optim.Adam, and compares: the losses, every weight
// and batch-norm statistic after the steps, and the inference scores. Any
// difference in a layer, in batch norm's training or inference statistics,
// in the loss or in Adam shows here, free of the randomness that makes two
// training runs differ.
func TestCAEStepsMatchPyTorch(t *testing.T) {
	py := torchPython(t)
	for _, dataset := range []string{"mnist", "fmnist"} {
		t.Run(dataset, func(t *testing.T) {
			dir := t.TempDir()
			p := DefaultAEParams()
			p.BatchSize, p.LR, p.WeightDecay, p.LeakySlope = 16, 1e-3, 1e-6, 0.01
			d, err := NewCAE(&CAEParams{p}, Env{Dataset: dataset, Seed: 7, Backend: "cpu"})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.open(); err != nil {
				t.Fatal(err)
			}
			st, err := newState(d.arch, false, protocol.NewRand(7, "model/init"), true)
			if err != nil {
				t.Fatal(err)
			}
			save := func(sub string) { saveStateTensors(t, st, filepath.Join(dir, sub)) }
			save("init")
			tr, err := newTrainer(d, st)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.close()
			const steps, m = 3, 16
			pixels := darkPixels((steps + 1) * m * 784)
			var losses []float32
			for s := range steps {
				l, _, err := tr.trainStep(pixels[s*m*784:(s+1)*m*784], 28, 28, 0, s+1)
				if err != nil {
					t.Fatal(err)
				}
				losses = append(losses, l[0])
			}
			save("after")
			d.state = st
			// Score takes uint8 pixels: both sides score the quantised batch.
			bytes, sc := scoreQuantised(t, d, pixels[steps*m*784:], m)
			for name, a := range map[string]npy.Array{
				"batches.npy":   npy.Float32s(pixels[:steps*m*784], steps, m, 1, 28, 28),
				"test.npy":      npy.Uint8s(bytes, m, 1, 28, 28),
				"go_losses.npy": npy.Float32s(losses, steps),
				"go_scores.npy": npy.Float32s(sc, m),
			} {
				if err := npy.Write(filepath.Join(dir, name), a); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"model/torchref/check_steps.py", dir, "--dataset", dataset, "--lr", "1e-3", "--weight-decay", "1e-6", "--slope", "0.01"}
			cmd := execpkg.Command(py, args...)
			cmd.Dir = ".."
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("check_steps.py: %v\n%s", err, out)
			}
			var res struct {
				Loss    float64            `json:"loss_rel"`
				Weights map[string]float64 `json:"weights_rel"`
				Scores  float64            `json:"scores_rel"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			t.Logf("relative differences Go vs PyTorch: %s", out)
			if res.Loss > 1e-4 {
				t.Errorf("losses differ by %.2g (relative)", res.Loss)
			}
			// Weights get a looser bound than losses: Adam's first steps move
			// each weight by about ±lr whatever the gradient's size, so a
			// near-zero gradient whose sign the two sides round differently
			// moves that weight 2·lr apart (seen on F-MNIST's 400- and
			// 1,568-long sums: 1e-3 of the weights' RMS after 3 steps, while
			// the losses agree to 1e-6). A wrong layout or layer is O(1).
			for name, rel := range res.Weights {
				if rel > 1e-2 {
					t.Errorf("%s after %d steps differs by %.2g (relative RMS)", name, steps, rel)
				}
			}
			if res.Scores > 1e-4 {
				t.Errorf("inference scores differ by %.2g (relative)", res.Scores)
			}
			if len(res.Weights) == 0 {
				t.Error("no tensors compared")
			}
		})
	}
}

// TestFitFromStartMatchesPyTorch trains our CAE for two epochs with Fit,
// then train_ref.py from our StartingPoint (same weights, same batch order)
// on the same images: the per-epoch mean losses and the AUC must agree, so
// the Start is the one Fit uses and the whole loop (batches, schedule,
// steps, scoring) matches the reference's, not only single steps.
func TestFitFromStartMatchesPyTorch(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	exp := fitFromStartExperiment()
	p := DefaultAEParams()
	p.Epochs, p.BatchSize, p.LR, p.WeightDecay, p.LeakySlope = 2, 32, 1e-3, 1e-6, 0.01
	var losses []float64
	d, err := NewCAE(&CAEParams{p}, Env{Dataset: "mnist", Seed: 3, Backend: "cpu",
		Progress: func(e EpochReport) { losses = append(losses, e.Loss) }})
	if err != nil {
		t.Fatal(err)
	}
	auc := fitAndExportStart(t, d, exp, dir)
	compareFitWithTrainRef(t, py, auc, losses, dir, "--epochs", "2", "--batch", "32", "--lr", "1e-3",
		"--weight-decay", "1e-6", "--slope", "0.01", "--init-from", filepath.Join(dir, "start"),
		"--order-from", filepath.Join(dir, "start", "order.npy"))
}

// fitFromStartExperiment is a small MNIST-shaped experiment (320 training,
// 200 test images) whose anomalous test images carry extra white pixels,
// so an AUC is not chance.
func fitFromStartExperiment() *protocol.Experiment {
	const n, nTest = 320, 200
	r := protocol.NewRand(5, "images")
	images := func(k int) []byte {
		b := make([]byte, k*784)
		for i := range b {
			if r.Float64() < 0.2 {
				b[i] = byte(r.IntN(256))
			}
		}
		return b
	}
	exp := &protocol.Experiment{Key: protocol.Key{Dataset: "mnist", Normal: 0, Anomaly: 1},
		Train: protocol.Samples{N: n, Rows: 28, Cols: 28, Pixels: images(n)},
		Test:  protocol.Samples{N: nTest, Rows: 28, Cols: 28, Pixels: images(nTest)}}
	for i := range nTest {
		exp.TestIsAnomaly = append(exp.TestIsAnomaly, i%3 == 0)
	}
	// Anomalous test images get extra white pixels, so the AUC is not chance.
	for i := range nTest {
		if exp.TestIsAnomaly[i] {
			for j := i * 784; j < (i+1)*784; j++ {
				if r.Float64() < 0.01 {
					exp.Test.Pixels[j] = 255
				}
			}
		}
	}
	return exp
}

// compareFitWithTrainRef runs model/torchref/train_ref.py on the exported
// experiment dir with args and checks that its epoch losses (to 1e-3,
// relative) and AUC (to 2e-3) are those of our Fit (auc, losses), and that
// the AUC is above chance (0.6), so a broken setup cannot agree by accident.
func compareFitWithTrainRef(t *testing.T, py string, auc float64, losses []float64, dir string, args ...string) {
	t.Helper()
	cmd := execpkg.Command(py, append([]string{"model/torchref/train_ref.py", dir}, args...)...)
	cmd.Dir = ".."
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("train_ref.py: %v\n%s", err, b)
	}
	var ref struct {
		AUC    float64   `json:"auc"`
		Losses []float64 `json:"losses"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	t.Logf("Go: AUC %.5f, losses %v; PyTorch: AUC %.5f, losses %v", auc, losses, ref.AUC, ref.Losses)
	if len(losses) == 0 || len(losses) != len(ref.Losses) {
		t.Fatalf("epoch losses: Go %v, PyTorch %v", losses, ref.Losses)
	}
	for i := range losses {
		if rel := math.Abs(losses[i]-ref.Losses[i]) / ref.Losses[i]; rel > 1e-3 {
			t.Errorf("epoch %d: loss %.6f here, %.6f in PyTorch", i+1, losses[i], ref.Losses[i])
		}
	}
	if math.Abs(auc-ref.AUC) > 2e-3 || auc < 0.6 {
		t.Errorf("AUC %.5f here, %.5f in PyTorch (want equal, above 0.6)", auc, ref.AUC)
	}
}

// fitAndExportStart writes d's StartingPoint for exp and exp itself into
// dir (as `experiments export --start` does), then fits and scores d on
// exp and returns the AUC.
func fitAndExportStart(t *testing.T, d *Detector, exp *protocol.Experiment, dir string) float64 {
	t.Helper()
	start, err := d.StartingPoint(exp.Train.N)
	if err != nil {
		t.Fatal(err)
	}
	out, err := protocol.Evaluate(context.Background(), d, exp)
	if err != nil {
		t.Fatal(err)
	}
	if err := export.Write(dir, exp, protocol.Options{}, export.Options{TestLabels: true}); err != nil {
		t.Fatal(err)
	}
	if err := start.Write(filepath.Join(dir, "start")); err != nil {
		t.Fatal(err)
	}
	return out.AUC
}

// saveStateTensors writes st's tensors but the optimiser slots into dir,
// one .npy per tensor named as model/torchref reads them.
func saveStateTensors(t *testing.T, st *state, dir string) {
	t.Helper()
	for i, name := range st.layout.Names() {
		if strings.HasPrefix(name, "opt.") {
			continue
		}
		spec := st.layout.Specs()[i]
		v := tensors.MustCopyFlatData[float32](st.tensors[i])
		if err := npy.Write(filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".npy"), npy.Float32s(v, spec.Dims...)); err != nil {
			t.Fatal(err)
		}
	}
}

// darkPixels returns n pixels in [0, 1), skewed to dark like digits.
func darkPixels(n int) []float32 {
	r := protocol.NewRand(11, "batches")
	pixels := make([]float32, n)
	for i := range pixels {
		pixels[i] = float32(r.Float64()) * float32(r.Float64())
	}
	return pixels
}

// scoreQuantised scores the m 28×28 images of pixels with d, quantised to
// uint8 as Score takes them (both sides score the quantised images), and
// returns the bytes and the scores.
func scoreQuantised(t *testing.T, d *Detector, pixels []float32, m int) ([]byte, []float32) {
	t.Helper()
	bytes := make([]byte, m*784)
	for i, v := range pixels[:m*784] {
		bytes[i] = byte(v * 255)
	}
	scores, err := d.Score(context.Background(), protocol.Samples{N: m, Rows: 28, Cols: 28, Pixels: bytes})
	if err != nil {
		t.Fatal(err)
	}
	sc := make([]float32, len(scores))
	for i, s := range scores {
		sc[i] = float32(s)
	}
	return bytes, sc
}
