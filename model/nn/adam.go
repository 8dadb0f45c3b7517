package nn

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Adam is PyTorch's Adam (L2 weight decay added to the gradient, bias
// correction, ε outside the square root).
type Adam struct {
	Beta1, Beta2, Eps, WeightDecay float64
}

// Schedule returns the per-step scalars the graph needs, as a [3]float32
// tensor: the learning rate and the two bias corrections at step t ≥ 1.
// Computing them on the host keeps one compiled graph for every step and
// learning rate.
func (a Adam) Schedule(lr float64, t int) *tensors.Tensor {
	return tensors.FromValue([]float32{
		float32(lr),
		float32(1 - math.Pow(a.Beta1, float64(t))),
		float32(1 - math.Pow(a.Beta2, float64(t))),
	})
}

// Update returns the new parameter and moment estimates for one step with
// gradient g; sched is the node of a Schedule tensor.
func (a Adam) Update(p, g, m, v, sched *Node) (p2, m2, v2 *Node) {
	if a.WeightDecay != 0 {
		g = Add(g, MulScalar(p, a.WeightDecay))
	}
	lr, bc1, bc2 := Slice(sched, AxisElem(0)), Slice(sched, AxisElem(1)), Slice(sched, AxisElem(2))
	lr, bc1, bc2 = Reshape(lr), Reshape(bc1), Reshape(bc2)
	m2 = Add(MulScalar(m, a.Beta1), MulScalar(g, 1-a.Beta1))
	v2 = Add(MulScalar(v, a.Beta2), MulScalar(Square(g), 1-a.Beta2))
	denom := AddScalar(Div(Sqrt(v2), Sqrt(bc2)), a.Eps)
	p2 = Sub(p, Mul(Div(m2, denom), Div(lr, bc1))) // scalar on the right: SimpleGo's fast path
	return p2, m2, v2
}
