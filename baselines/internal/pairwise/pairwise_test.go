package pairwise

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func random(r *rand.Rand, rows, cols int) Matrix {
	m := Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(r.IntN(256)) / 255
	}
	return m
}

func TestFullMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// More rows than BlockRows, so several blocks are stitched together.
	a, b := random(r, BlockRows+37, 50), random(r, 90, 50)
	d, err := Full(context.Background(), 0, a, b)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < b.Rows; j++ {
			var want float64
			for k := 0; k < a.Cols; k++ {
				diff := float64(a.Row(i)[k]) - float64(b.Row(j)[k])
				want += diff * diff
			}
			if got := float64(d.Row(i)[j]); math.Abs(got-want) > 1e-4*(1+want) {
				t.Fatalf("d[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	// A row's distance to itself is 0, never negative.
	self, _ := Full(context.Background(), 0, a, a)
	for i := 0; i < a.Rows; i++ {
		if v := self.Row(i)[i]; v < 0 || v > 1e-4 {
			t.Fatalf("d[%d][%d] = %v", i, i, v)
		}
	}
}

func TestEachCancels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := random(r, 3*BlockRows, 10)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := Each(ctx, 0, a, a, func(int, []float32) error { calls++; cancel(); return nil })
	if err != context.Canceled || calls != 1 {
		t.Errorf("err %v after %d blocks, want context.Canceled after 1", err, calls)
	}
}

func TestSymmetricMatchesFull(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a := random(r, 2*BlockRows+21, 30)
	full, _ := Full(context.Background(), 0, a, a)
	sym, err := Symmetric(context.Background(), 0, a)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < a.Rows; j++ {
			got, want := sym.Row(i)[j], full.Row(i)[j]
			if i == j {
				want = 0
			}
			if math.Abs(float64(got-want)) > 1e-4*(1+float64(want)) || got != sym.Row(j)[i] {
				t.Fatalf("sym[%d][%d] = %v (mirror %v), full %v", i, j, got, sym.Row(j)[i], want)
			}
		}
	}
}

// BenchmarkSymmetric is the training-set distance matrix of the speed setup
// (6,581 × 784); GFLOP/s counts the half that Symmetric computes.
func BenchmarkSymmetric(b *testing.B) {
	a := random(rand.New(rand.NewPCG(1, 2)), 6581, 784)
	for b.Loop() {
		if _, err := Symmetric(context.Background(), 0, a); err != nil {
			b.Fatal(err)
		}
	}
	flops := float64(a.Rows) * float64(a.Rows) * float64(a.Cols) // ≈ 2·n²·d / 2
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.Logf("backend %s", Backend)
}
