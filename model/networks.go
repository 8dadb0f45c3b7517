package model

import (
	"fmt"

	"github.com/ncae-repro/ncae/model/nn"
)

// Arch is the set of networks for one data set: Deep SAD's LeNet
// autoencoder (the decoder is NCAE's generator g), the latent discriminator
// D_l and the sample discriminator D_s. All layers are bias-free; batch norm
// has no affine parameters; stride-1 transposed convolutions are written as
// the equivalent convolutions (padding k−1−p).
type Arch struct {
	Latent     int
	Encoder    nn.Seq
	Decoder    nn.Seq
	LatentDisc nn.Seq
	SampleDisc nn.Seq
	Rows, Cols int
}

// ArchFor returns the networks of dataset ("mnist" or "fmnist").
func ArchFor(dataset string) (Arch, error) {
	switch dataset {
	case "mnist":
		trunk := nn.Seq{nn.Conv(8, 5, 2), nn.BatchNorm, nn.LeakyReLU, nn.MaxPool2,
			nn.Conv(4, 5, 2), nn.BatchNorm, nn.LeakyReLU, nn.MaxPool2, nn.Flatten}
		return Arch{
			Latent:  32,
			Rows:    28,
			Cols:    28,
			Encoder: append(trunk.Clone(), nn.Dense(32)),
			Decoder: nn.Seq{nn.ReshapeTo(4, 4, 2), nn.LeakyReLU, nn.Upsample2,
				nn.ConvTranspose(4, 5, 2), nn.BatchNorm, nn.LeakyReLU, nn.Upsample2,
				nn.ConvTranspose(8, 5, 3), nn.BatchNorm, nn.LeakyReLU, nn.Upsample2,
				nn.ConvTranspose(1, 5, 2), nn.SigmoidOut},
			LatentDisc: latentDisc(),
			SampleDisc: append(trunk.Clone(), nn.Dense(32), nn.LeakyReLU, nn.Dense(1)),
		}, nil
	case "fmnist":
		trunk := nn.Seq{nn.Conv(16, 5, 2), nn.BatchNorm, nn.LeakyReLU, nn.MaxPool2,
			nn.Conv(32, 5, 2), nn.BatchNorm, nn.LeakyReLU, nn.MaxPool2, nn.Flatten}
		return Arch{
			Latent:  64,
			Rows:    28,
			Cols:    28,
			Encoder: append(trunk.Clone(), nn.Dense(128), nn.BatchNorm, nn.LeakyReLU, nn.Dense(64)),
			Decoder: nn.Seq{nn.Dense(128), nn.BatchNorm, nn.ReshapeTo(4, 4, 8), nn.LeakyReLU, nn.Upsample2,
				nn.ConvTranspose(32, 5, 2), nn.BatchNorm, nn.LeakyReLU, nn.Upsample2,
				nn.ConvTranspose(16, 5, 3), nn.BatchNorm, nn.LeakyReLU, nn.Upsample2,
				nn.ConvTranspose(1, 5, 2), nn.SigmoidOut},
			LatentDisc: latentDisc(),
			SampleDisc: append(trunk.Clone(), nn.Dense(32), nn.LeakyReLU, nn.Dense(1)),
		}, nil
	}
	return Arch{}, fmt.Errorf("no network for data set %q (want mnist or fmnist)", dataset)
}

func latentDisc() nn.Seq {
	return nn.Seq{nn.Dense(128), nn.BatchNorm, nn.LeakyReLU,
		nn.Dense(64), nn.BatchNorm, nn.LeakyReLU,
		nn.Dense(64), nn.BatchNorm, nn.LeakyReLU,
		nn.Dense(1)}
}

// WithDiscLogits returns a with n logits out of D_l and D_s (the released
// code's two-logit discriminators for n = 2); the other networks are shared.
func (a Arch) WithDiscLogits(n int) Arch {
	withOut := func(s nn.Seq) nn.Seq {
		s = s.Clone()
		s[len(s)-1] = nn.Dense(n)
		return s
	}
	a.LatentDisc, a.SampleDisc = withOut(a.LatentDisc), withOut(a.SampleDisc)
	return a
}

// Tensor-name prefixes of the networks in a layout.
const (
	encPrefix = "enc/"
	decPrefix = "dec/"
	dlPrefix  = "dl/"
	dsPrefix  = "ds/"
)

// declare adds the autoencoder (and, with discriminators, D_l and D_s) to l.
func (a Arch) declare(l *nn.Layout, discriminators bool) error {
	img := []int{a.Rows, a.Cols, 1}
	z, err := a.Encoder.Declare(l, encPrefix, img)
	if err != nil {
		return err
	}
	if len(z) != 1 || z[0] != a.Latent {
		return fmt.Errorf("encoder output %v, want [%d]", z, a.Latent)
	}
	out, err := a.Decoder.Declare(l, decPrefix, z)
	if err != nil {
		return err
	}
	if fmt.Sprint(out) != fmt.Sprint(img) {
		return fmt.Errorf("decoder output %v, want %v", out, img)
	}
	if !discriminators {
		return nil
	}
	if out, err = a.LatentDisc.Declare(l, dlPrefix, z); err != nil {
		return err
	} else if len(out) != 1 || out[0] < 1 || out[0] > 2 {
		return fmt.Errorf("D_l output %v, want one or two logits", out)
	}
	logits := out[0]
	if out, err = a.SampleDisc.Declare(l, dsPrefix, img); err != nil {
		return err
	} else if len(out) != 1 || out[0] != logits {
		return fmt.Errorf("D_s output %v, want %d logits as D_l", out, logits)
	}
	return nil
}
