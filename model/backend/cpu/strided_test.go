package cpu

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveCopy is stridedCopy element by element, the definition.
func naiveCopy(dst []float32, dims, ds []int, doff int, src []float32, ss []int, soff int) {
	idx := make([]int, len(dims))
	total := 1
	for _, d := range dims {
		total *= d
	}
	for range total {
		d, s := doff, soff
		for a, i := range idx {
			d += i * ds[a]
			s += i * ss[a]
		}
		dst[d] = src[s]
		for a := len(idx) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < dims[a] {
				break
			}
			idx[a] = 0
		}
	}
}

// TestTransposesMatchDefinition checks permutations of random shapes of up
// to four axes, some axes read backwards, against the element-by-element
// definition.
func TestTransposesMatchDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	// the shapes of the networks' transposes first (tiled, rows of whole
	// and partial tiles), then random ones
	fixed := [][]int{{128, 256, 32}, {13, 9, 17}, {8, 8}, {9, 7}, {16, 28, 28, 16}, {16, 14, 14, 4}}
	for trial := range 300 + len(fixed) {
		rank := 1 + r.IntN(4)
		dims := make([]int, rank)
		size := 1
		for a := range dims {
			dims[a] = 1 + r.IntN(40)
			if rank == 4 {
				dims[a] = 1 + r.IntN(12)
			}
		}
		if trial >= 300 {
			dims = fixed[trial-300]
			rank = len(dims)
		}
		for _, d := range dims {
			size *= d
		}
		src := make([]float32, size) // exact integers: every element distinct
		for i := range src {
			src[i] = float32(i + 1)
		}
		perm := r.Perm(rank)
		inStrides := rowStrides(dims)
		outDims := make([]int, rank)
		ss := make([]int, rank)
		soff := 0
		for i, p := range perm {
			outDims[i], ss[i] = dims[p], inStrides[p]
			if trial%5 == 0 && r.IntN(2) == 0 { // read this axis backwards
				soff += (dims[p] - 1) * ss[i]
				ss[i] = -ss[i]
			}
		}
		ds := rowStrides(outDims)
		got, want := make([]float32, size), make([]float32, size)
		stridedCopy(got, outDims, ds, 0, src, ss, soff)
		naiveCopy(want, outDims, ds, 0, src, ss, soff)
		if !slices.Equal(got, want) {
			t.Fatalf("dims %v perm %v strides %v: copy differs from the definition", dims, perm, ss)
		}
	}
}

// TestCopyStridedSplitsExactly checks copies large enough to be split among
// workers — a transpose, a slice, a broadcast and a reversed axis —
// against the element-by-element definition.
func TestCopyStridedSplitsExactly(t *testing.T) {
	b, err := New("workers=3")
	if err != nil {
		t.Fatal(err)
	}
	src := make([]float32, 128*28*28*4)
	for i := range src {
		src[i] = float32(i + 1)
	}
	for _, tc := range []struct {
		name     string
		dims, ss []int
		soff     int
	}{
		{"transpose", []int{28, 28, 128, 4}, []int{112, 4, 3136, 1}, 0},
		{"slice", []int{128, 28, 28, 3}, []int{3136, 112, 4, 1}, 1},
		{"broadcast", []int{3, 128, 28, 28}, []int{0, 784, 28, 1}, 0},
		{"reversed", []int{128, 28, 28, 4}, []int{-3136, 112, 4, 1}, 127 * 3136},
		{"odd split", []int{7, 5, 9000}, []int{9000, 63000, 1}, 0},
	} {
		n := 1
		for _, d := range tc.dims {
			n *= d
		}
		if n < parallelCopy {
			t.Fatalf("%s: %d elements, below the split threshold %d", tc.name, n, parallelCopy)
		}
		got, want := make([]float32, n), make([]float32, n)
		b.copyStrided(got, tc.dims, rowStrides(tc.dims), 0, src, tc.ss, tc.soff)
		naiveCopy(want, tc.dims, rowStrides(tc.dims), 0, src, tc.ss, tc.soff)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: split copy differs from the definition", tc.name)
		}
	}
}
