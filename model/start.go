package model

import (
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/protocol"
)

// Start is where Fit begins on a training set of a given size: the initial
// weights and batch-norm statistics, and the order in which every epoch
// visits the images. Handed to another implementation (model/torchref),
// it lets that one train from exactly our starting point, so the two differ
// only in their training code.
type Start struct {
	// Tensors are the networks' tensors by name (no optimiser slots), in
	// our layouts: conv kernels k×k×in×out (a ConvTranspose as its
	// equivalent convolution), dense in×out, NHWC activations.
	Tensors []StartTensor
	// Order holds one permutation of 0..n−1 per epoch; an epoch's batches
	// are its consecutive runs of batch_size, the last partial one dropped.
	Order [][]int
	// EpsGen holds, for NCAE, the N(0, 1) draws of the generator's prior
	// ω' = μ + σ·ε of every step (epochs × batches × batch_size × latent,
	// flat, in our latent order), the draws Fit makes; nil for other methods.
	EpsGen []float32
	// EpsGenDims are EpsGen's dimensions.
	EpsGenDims []int
}

// StartTensor is one named tensor of a Start.
type StartTensor struct {
	Name   string
	Dims   []int
	Values []float32
}

// StartingPoint returns the Start of a Fit on n training images: the same
// draws Fit makes, from the same seed streams.
func (d *Detector) StartingPoint(n int) (*Start, error) {
	st, err := newState(d.arch, d.ncae != nil, protocol.NewRand(d.env.Seed, "model/init"), d.ae.DeconvFanIn == FanInOutput)
	if err != nil {
		return nil, err
	}
	defer st.close()
	s := &Start{}
	for i, spec := range st.layout.Specs() {
		if strings.HasPrefix(spec.Name, "opt.") {
			continue
		}
		s.Tensors = append(s.Tensors, StartTensor{Name: spec.Name, Dims: spec.Dims, Values: tensors.MustCopyFlatData[float32](st.tensors[i])})
	}
	order := protocol.NewRand(d.env.Seed, "model/order")
	for range d.ae.Epochs {
		s.Order = append(s.Order, permutation(order, n))
	}
	if d.ncae != nil {
		// The trainer's noise stream, drawn in its order: per step ε for
		// the generator, then ε for D_l's prior (drawn, not kept).
		m, lat := d.ae.BatchSize, d.arch.Latent
		batches := n / m
		t := &trainer{noise: protocol.NewRand(d.env.Seed, "model/noise")}
		for range d.ae.Epochs * batches {
			eps := t.normals(m, lat)
			s.EpsGen = append(s.EpsGen, tensors.MustCopyFlatData[float32](eps)...)
			eps.FinalizeAll()
			t.normals(m, lat).FinalizeAll()
		}
		s.EpsGenDims = []int{d.ae.Epochs, batches, m, lat}
	}
	return s, nil
}

// Write writes s into dir as model/torchref reads it: one .npy per tensor,
// named after it with "/" → "_", order.npy (epochs × n, int64) and, for
// NCAE, eps_gen.npy.
func (s *Start) Write(dir string) error {
	for _, t := range s.Tensors {
		if err := npy.Write(filepath.Join(dir, strings.ReplaceAll(t.Name, "/", "_")+".npy"), npy.Float32s(t.Values, t.Dims...)); err != nil {
			return err
		}
	}
	var order []int
	n := 0
	for _, p := range s.Order {
		order, n = append(order, p...), len(p)
	}
	if err := npy.Write(filepath.Join(dir, "order.npy"), npy.Int64s(order, len(s.Order), n)); err != nil {
		return err
	}
	if s.EpsGen == nil {
		return nil
	}
	return npy.Write(filepath.Join(dir, "eps_gen.npy"), npy.Float32s(s.EpsGen, s.EpsGenDims...))
}
