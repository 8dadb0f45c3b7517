// Package nn is the small neural-network toolkit the NCAE models are built
// from: sequential layer lists whose parameters are plain, named float32
// tensors owned by the caller, layers that build GoMLX graph nodes, batch
// normalisation with PyTorch's semantics, and Adam.
//
// Parameters are explicit graph inputs and outputs rather than GoMLX context
// variables so that one compiled step can update several networks with
// several optimisers, and so that all randomness (initial weights, noise,
// shuffling) is drawn on the host from the experiment's seed: the same key
// gives the same weights on every backend.
package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Kind says how a tensor is initialised and whether it is trained.
type Kind int

const (
	// Weight is trained and initialised as PyTorch initialises conv and linear
	// weights: uniform in ±1/√fan_in.
	Weight Kind = iota
	// RunningMean is a batch-norm running mean (not trained), initially 0.
	RunningMean
	// RunningVar is a batch-norm running variance (not trained), initially 1.
	RunningVar
	// Slot is an optimiser slot, initially 0.
	Slot
)

// Spec describes one named tensor.
type Spec struct {
	Name  string
	Dims  []int
	Kind  Kind
	FanIn int // for Weight
	// TransposedFanIn, for the weight of a ConvTranspose, is the fan-in
	// PyTorch's ConvTranspose2d draws it with: its weight is in × out × k × k
	// and the fan-in comes from dimension 1, the output channels (× k²).
	// 0 for every other weight.
	TransposedFanIn int
}

// Size is the number of elements.
func (s Spec) Size() int {
	n := 1
	for _, d := range s.Dims {
		n *= d
	}
	return n
}

// Layout is an ordered set of named tensors: the order is the order of the
// graph inputs and outputs.
type Layout struct {
	specs []Spec
	index map[string]int
}

// Add appends s; names must be unique.
func (l *Layout) Add(s Spec) {
	if l.index == nil {
		l.index = map[string]int{}
	}
	if _, dup := l.index[s.Name]; dup {
		panic(fmt.Sprintf("nn: tensor %q declared twice", s.Name)) // a programming error in a network definition
	}
	l.index[s.Name] = len(l.specs)
	l.specs = append(l.specs, s)
}

// Specs returns the tensors in order.
func (l *Layout) Specs() []Spec { return l.specs }

// Len is the number of tensors.
func (l *Layout) Len() int { return len(l.specs) }

// Select returns the specs whose kind is k, in order.
func (l *Layout) Select(k Kind) []Spec {
	var out []Spec
	for _, s := range l.specs {
		if s.Kind == k {
			out = append(out, s)
		}
	}
	return out
}

// Names returns the names in order.
func (l *Layout) Names() []string {
	names := make([]string, len(l.specs))
	for i, s := range l.specs {
		names[i] = s.Name
	}
	return names
}

// Uniform is the random source weights are drawn from: a float64 in [0, 1).
type Uniform interface {
	Float64() float64
}

// Init returns the initial tensors of l, weights drawn from r in order.
// With transposedFanIn, a ConvTranspose weight is drawn with its
// TransposedFanIn (PyTorch's rule); otherwise with the fan-in of the
// equivalent convolution, its input channels × k².
func (l *Layout) Init(r Uniform, transposedFanIn bool) []*tensors.Tensor {
	out := make([]*tensors.Tensor, len(l.specs))
	for i, s := range l.specs {
		v := make([]float32, s.Size())
		switch s.Kind {
		case Weight:
			fanIn := s.FanIn
			if transposedFanIn && s.TransposedFanIn > 0 {
				fanIn = s.TransposedFanIn
			}
			bound := 1 / math.Sqrt(float64(fanIn))
			for j := range v {
				v[j] = float32((2*r.Float64() - 1) * bound)
			}
		case RunningVar:
			for j := range v {
				v[j] = 1
			}
		}
		out[i] = tensors.FromFlatDataAndDimensions(v, s.Dims...)
	}
	return out
}

// Prefixed returns the specs whose name starts with one of prefixes, in
// layout order.
func (l *Layout) Prefixed(k Kind, prefixes ...string) []Spec {
	var out []Spec
	for _, s := range l.specs {
		if s.Kind != k {
			continue
		}
		for _, p := range prefixes {
			if len(s.Name) >= len(p) && s.Name[:len(p)] == p {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// Renamed returns copies of specs with prefix prepended and kind k: the
// optimiser slots of a set of weights.
func Renamed(specs []Spec, prefix string, k Kind) []Spec {
	out := make([]Spec, len(specs))
	for i, s := range specs {
		out[i] = Spec{Name: prefix + s.Name, Dims: slices.Clone(s.Dims), Kind: k}
	}
	return out
}

// CountWeights returns the number of trained scalars.
func (l *Layout) CountWeights() int {
	n := 0
	for _, s := range l.Select(Weight) {
		n += s.Size()
	}
	return n
}
