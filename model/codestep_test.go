package model

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// codeStep sets every key of the released code's step on p (ncae-code's
// defaults).
func codeStep(p *NCAEParams) {
	c := DefaultNCAECodeParams()
	p.BNStats, p.MuInit, p.DsFake = c.BNStats, c.MuInit, c.DsFake
	p.MuLatent, p.MuSteps, p.DiscLogits = c.MuLatent, c.MuSteps, c.DiscLogits
}

// ourStep sets every such key to ours (the other methods' defaults).
func ourStep(p *NCAEParams) {
	p.BNStats, p.MuInit, p.DsFake = BNStatsReconstruction, MuInitTrain, DsFakeBeforeUpdate
	p.MuLatent, p.MuSteps, p.DiscLogits = MuLatentReconstruction, 1, 1
}

// fitNCAE trains an NCAE with p on the synthetic set and returns its info
// and its scores of the training set.
func fitNCAE(t *testing.T, p *NCAEParams, backend string) (map[string]string, []float64) {
	t.Helper()
	train, _ := synthetic(96, 4, 11)
	d, err := NewNCAE(p, Env{Dataset: "mnist", Seed: 3, Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	return d.Info(), fitScore(t, d, train, train)
}

// TestCodeStepKeys checks the keys that switch our NCAE step to the
// released code's, each by what it must and must not change.
func TestCodeStepKeys(t *testing.T) {
	base := DefaultNCAECodeParams()
	ourStep(base)
	base.AEParams = smallAE()
	info0, scores0 := fitNCAE(t, base, "cpu")
	tests := []struct {
		name string
		edit func(*NCAEParams)
		// sameTraining: the key may move only the batch-norm running
		// statistics, so every training loss is unchanged and the scores
		// (which use those statistics) differ.
		sameTraining bool
	}{
		{"bn_stats", func(p *NCAEParams) { p.BNStats = BNStatsEveryPass }, true},
		{"mu_init", func(p *NCAEParams) { p.MuInit = MuInitEval }, false},
		{"ds_fake", func(p *NCAEParams) { p.DsFake = DsFakeRegenerated }, false},
		{"mu_latent", func(p *NCAEParams) { p.MuLatent = MuLatentUpdated }, false},
		{"mu_steps", func(p *NCAEParams) { p.MuSteps = 2 }, false},
		{"disc_logits", func(p *NCAEParams) { p.DiscLogits = 2 }, false},
		{"all", codeStep, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := *base
			tt.edit(&p)
			info, scores := fitNCAE(t, &p, "cpu")
			if slices.Equal(scores, scores0) {
				t.Fatalf("%s changed no score", tt.name)
			}
			// The losses (epoch means, four digits) are all the same, or
			// (a key that changes training) not all.
			same := true
			for _, key := range []string{"loss_gen", "loss_ds", "loss_ncr", "loss"} {
				same = same && info[key] == info0[key]
			}
			if same != tt.sameTraining {
				t.Errorf("%s: losses %v, default %v: want the same = %v", tt.name, info, info0, tt.sameTraining)
			}
		})
	}
}

// TestCodeStepKeysLeaveHashes checks that the keys are out of the
// configuration hash at our values (runs recorded before them keep their
// hashes) and in it at the code's.
func TestCodeStepKeysLeaveHashes(t *testing.T) {
	js := func(p *NCAEParams) string {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ours := js(DefaultNCAEParams())
	for _, key := range []string{"bn_stats", "mu_init", "ds_fake", "mu_latent", "mu_steps", "disc_logits"} {
		if strings.Contains(ours, key) {
			t.Errorf("%s is in the hash at our value: %s", key, ours)
		}
	}
	code := js(DefaultNCAECodeParams())
	for _, want := range []string{`"bn_stats":"every_pass"`, `"mu_init":"eval"`, `"ds_fake":"regenerated"`, `"mu_latent":"updated"`, `"mu_steps":2`, `"disc_logits":2`} {
		if !strings.Contains(code, want) {
			t.Errorf("%s missing from %s", want, code)
		}
	}
}

// TestTwoLogitDiscriminators checks the layout of disc_logits = 2: D_l and
// D_s end in two logits, everything else as with one.
func TestTwoLogitDiscriminators(t *testing.T) {
	count := func(logits int) map[string][]int {
		p := DefaultNCAEParams()
		p.DiscLogits = logits
		d, err := NewNCAE(p, Env{Dataset: "mnist", Seed: 1, Backend: "cpu"})
		if err != nil {
			t.Fatal(err)
		}
		start, err := d.StartingPoint(64)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]int{}
		for _, tensor := range start.Tensors {
			out[tensor.Name] = tensor.Dims
		}
		return out
	}
	one, two := count(1), count(2)
	if len(one) != len(two) {
		t.Fatalf("%d tensors with one logit, %d with two", len(one), len(two))
	}
	changed := 0
	for name, dims := range one {
		if !slices.Equal(dims, two[name]) {
			changed++
			if last := two[name][len(two[name])-1]; last != 2 || !(strings.Contains(name, dlPrefix) || strings.Contains(name, dsPrefix)) {
				t.Errorf("%s: %v with one logit, %v with two", name, dims, two[name])
			}
		}
	}
	if changed != 2 { // the last dense layer of D_l and of D_s
		t.Errorf("%d tensors changed, want 2", changed)
	}
}

func TestPushFromZero(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	v := []float32{0.05, -0.05, 0, negZero, 0.2, -0.2, 0.1, -0.1, 0.0999}
	want := []float32{0.1, -0.1, 0, negZero, 0.2, -0.2, 0.1, -0.1, 0.1}
	pushFromZero(v, 0.1)
	for i := range v {
		if v[i] != want[i] || math.Signbit(float64(v[i])) != math.Signbit(float64(want[i])) {
			t.Errorf("v[%d] = %v, want %v", i, v[i], want[i])
		}
	}
}
