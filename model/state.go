package model

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/nn"
)

// Optimiser-slot prefixes: Adam's first and second moments of the weights
// each optimiser updates. The decoder has two optimisers in NCAE: the
// autoencoder's and the generator's.
const (
	aeSlot  = "opt.ae/"
	genSlot = "opt.gen/"
	dlSlot  = "opt.dl/"
	dsSlot  = "opt.ds/"
)

// state is every tensor a training step reads and writes: the networks'
// weights and batch-norm statistics, then the optimisers' moments.
type state struct {
	layout  nn.Layout
	tensors []*tensors.Tensor
	index   map[string]int
}

// newState declares arch's networks (with discriminators for NCAE) and
// their optimiser slots, and draws the initial weights from r (transposed
// convolutions with PyTorch's fan-in where transposedFanIn).
func newState(arch Arch, discriminators bool, r nn.Uniform, transposedFanIn bool) (*state, error) {
	st := &state{}
	if err := arch.declare(&st.layout, discriminators); err != nil {
		return nil, err
	}
	addSlots := func(prefix string, nets ...string) {
		w := st.layout.Prefixed(nn.Weight, nets...)
		for _, s := range nn.Renamed(w, prefix+"m/", nn.Slot) {
			st.layout.Add(s)
		}
		for _, s := range nn.Renamed(w, prefix+"v/", nn.Slot) {
			st.layout.Add(s)
		}
	}
	addSlots(aeSlot, encPrefix, decPrefix)
	if discriminators {
		addSlots(genSlot, decPrefix)
		addSlots(dlSlot, dlPrefix)
		addSlots(dsSlot, dsPrefix)
	}
	st.tensors = st.layout.Init(r, transposedFanIn)
	st.index = map[string]int{}
	for i, name := range st.layout.Names() {
		st.index[name] = i
	}
	return st, nil
}

// vars maps the state's names to the graph's first inputs.
func (st *state) vars(inputs []*graph.Node) nn.Vars {
	v := make(nn.Vars, len(inputs))
	for i, name := range st.layout.Names() {
		v[name] = inputs[i]
	}
	return v
}

// args returns the state tensors as Exec arguments.
func (st *state) args() []any {
	out := make([]any, len(st.tensors))
	for i, t := range st.tensors {
		out[i] = t
	}
	return out
}

// replace installs the step's new tensors, releasing the old ones.
func (st *state) replace(names []string, values []*tensors.Tensor) {
	for i, name := range names {
		j := st.index[name]
		st.tensors[j].FinalizeAll()
		st.tensors[j] = values[i]
	}
}

// weights returns the names of the weights of the networks with prefixes.
func (st *state) weights(prefixes ...string) []string {
	var out []string
	for _, s := range st.layout.Prefixed(nn.Weight, prefixes...) {
		out = append(out, s.Name)
	}
	return out
}

// close releases every tensor.
func (st *state) close() {
	for _, t := range st.tensors {
		t.FinalizeAll()
	}
}

// slots returns the names of optimiser prefix's moments of the weights of
// the networks with prefixes.
func (st *state) slots(prefix string, nets ...string) []string {
	var out []string
	for _, w := range st.weights(nets...) {
		out = append(out, prefix+"m/"+w, prefix+"v/"+w)
	}
	return out
}

// zero sets the named tensors to zeros (a fresh optimiser's moments).
func (st *state) zero(names []string) {
	for _, name := range names {
		j := st.index[name]
		old := st.tensors[j]
		st.tensors[j] = tensors.FromShape(old.Shape())
		old.FinalizeAll()
	}
}
