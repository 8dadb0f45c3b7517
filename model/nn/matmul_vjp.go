package nn

import (
	"regexp"
	"strconv"
	"sync"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26.0 differentiates DotGeneral by broadcasting both operands to
// the full [i, j, k] product, multiplying and reducing: correct, but on
// SimpleGo the gradient of the convolutions' patch matrix product alone
// then costs ~100× its forward pass. For the case every matrix product here
// has — two matrices, one contracted axis each, no batch axes — the
// gradients are themselves two matrix products, which we register in
// GoMLX's public VJP table in place of the generic rule (kept for every
// other case). The values are identical (TestMatmulGradient), and
// TestMatmulGradientIsFast fails if a real DotGeneral stops taking this path.
//
// InstallMatmulGradient installs it; it is called by the model before any
// graph is built, and is safe to call more than once and concurrently.
func InstallMatmulGradient() { installOnce() }

var installOnce = sync.OnceFunc(func() {
	generic := VJPRegistration[NodeTypeDotGeneral]
	VJPRegistration[NodeTypeDotGeneral] = func(node *Node, vjps []*Node, outputShape shapes.Shape) []*Node {
		if grads := matrixProductVJP(node, vjps[0]); grads != nil {
			return grads
		}
		return generic(node, vjps, outputShape)
	}
})

// dotGeneralAxes reads the contracting and batch axes from the node's
// description: v0.26.0 has no accessor for them.
var dotGeneralAxes = regexp.MustCompile(`lhsContractingAxes=\[(\d)\], lhsBatchAxes=\[\], rhs=\[#\d+\], rhsContractingAxes=\[(\d)\], rhsBatchAxes=\[\]`)

// matrixProductVJP returns the gradients of a rank-2 × rank-2 DotGeneral
// with one contracted axis, or nil for any other DotGeneral.
func matrixProductVJP(node, v *Node) []*Node {
	in := node.Inputs()
	if len(in) != 2 || in[0].Rank() != 2 || in[1].Rank() != 2 || v.Rank() != 2 {
		return nil
	}
	m := dotGeneralAxes.FindStringSubmatch(node.String())
	if m == nil {
		return nil
	}
	ca, _ := strconv.Atoi(m[1])
	cb, _ := strconv.Atoi(m[2])
	a, b := in[0], in[1]
	dot := func(x *Node, xc int, y *Node, yc int) *Node { return DotGeneral(x, []int{xc}, nil, y, []int{yc}, nil) }
	// out[i,k] = Σ_j a[.., j ..] b[.., j ..]; v is ∂/∂out.
	var da, db *Node
	if ca == 1 { // a[i,j]: da[i,j] = Σ_k v[i,k] b[j,k]
		da = dot(v, 1, b, 1-cb)
	} else { // a[j,i]: da[j,i] = Σ_k b[j,k] v[i,k]
		da = dot(b, 1-cb, v, 1)
	}
	if cb == 0 { // b[j,k]: db[j,k] = Σ_i a[i,j] v[i,k]
		db = dot(a, 1-ca, v, 0)
	} else { // b[k,j]: db[k,j] = Σ_i v[i,k] a[i,j]
		db = dot(v, 0, a, 1-ca)
	}
	return []*Node{da, db}
}
