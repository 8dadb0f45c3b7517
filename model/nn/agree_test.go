package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/ncae-repro/ncae/model/backend"
)

// TestLayersAgreeAcrossBackends runs every layer and its gradient on
// SimpleGo ("go", the reference) and on the cpu backend and compares.
func TestLayersAgreeAcrossBackends(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	cases := []struct {
		name  string
		dims  []int
		layer func(f *Frame, x *Node) *Node
	}{
		{"leaky", []int{16, 14, 14, 32}, func(f *Frame, x *Node) *Node { return LeakyReLU2(x, 0.1) }},
		{"maxpool", []int{16, 14, 14, 32}, func(f *Frame, x *Node) *Node { return MaxPool2x2(x) }},
		{"upsample", []int{16, 4, 4, 8}, func(f *Frame, x *Node) *Node { return Upsample2x2(x) }},
		{"colmean", []int{200, 32}, func(f *Frame, x *Node) *Node { return ColumnMean(x) }},
		{"rowmean", []int{16, 784}, func(f *Frame, x *Node) *Node { return RowMean(x) }},
		{"bn4d", []int{16, 14, 14, 32}, func(f *Frame, x *Node) *Node {
			return Seq{BatchNorm}.Apply(f, "bn/", x)
		}},
		{"bn2d", []int{16, 128}, func(f *Frame, x *Node) *Node { return Seq{BatchNorm}.Apply(f, "bn/", x) }},
		{"sigmoid", []int{16, 784}, func(f *Frame, x *Node) *Node { return Sigmoid(x) }},
		{"flatten-dense", []int{16, 7, 7, 32}, func(f *Frame, x *Node) *Node {
			return Matmul(Reshape(x, 16, -1), f.Vars["w"])
		}},
	}
	for _, c := range cases {
		x := randTensor32(r, c.dims...)
		c0 := c.dims[len(c.dims)-1]
		w := randTensor32(r, 7*7*32, 128)
		var results [2][][]float32
		for i, spec := range []string{"go", "cpu"} {
			b, err := backend.Open(spec)
			if err != nil {
				t.Fatal(err)
			}
			e, err := NewExec(b, func(in []*Node) []*Node {
				f := &Frame{Vars: Vars{"bn/0.bn.mean": in[1], "bn/0.bn.var": in[2], "w": in[3]}, Train: true, Slope: 0.1}
				y := c.layer(f, in[0])
				weights := Sin(MulScalar(IotaFull(y.Graph(), y.Shape()), 0.37)) // fixed, varied loss weights
				loss := ReduceAllSum(Mul(y, StopGradient(weights)))
				return append([]*Node{y}, Gradient(loss, in[0])...)
			})
			if err != nil {
				t.Fatal(err)
			}
			xc, _ := x.LocalClone()
			wc, _ := w.LocalClone()
			res, err := e.Exec(xc, make([]float32, c0), ones(c0), wc)
			if err != nil {
				t.Fatalf("%s on %s: %v", c.name, spec, err)
			}
			for _, o := range res {
				results[i] = append(results[i], tensors.MustCopyFlatData[float32](o))
			}
			b.Finalize()
		}
		for k := range results[0] {
			want, got := results[0][k], results[1][k]
			var s float64
			for _, v := range want {
				s += float64(v * v)
			}
			scale := math.Sqrt(s / float64(len(want)))
			worst, at := 0.0, ""
			for i := range want {
				if d := math.Abs(float64(got[i]-want[i])) / scale; d > worst {
					worst, at = d, fmt.Sprintf("[%d] cpu %g go %g", i, got[i], want[i])
				}
			}
			if worst > 1e-5 {
				t.Errorf("%s output %d: |Δ|/rms %.3g at %s", c.name, k, worst, at)
			}
		}
	}
}

// randTensor32 is randTensor in float32, the models' type.
func randTensor32(r *rand.Rand, dims ...int) *tensors.Tensor {
	t := randTensor(r, dims...)
	v := make([]float32, t.Size())
	for i, x := range tensors.MustCopyFlatData[float64](t) {
		v[i] = float32(x)
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
