// Package pairwise computes squared Euclidean distances between the rows of
// two matrices with one matrix product (|a|² + |b|² − 2a·b) in float32 —
// the module's own (internal/gemm, AVX2/FMA) by default, OpenBLAS with
// -tags openblas — block by block, so that callers can consume them without holding the whole matrix
// and can be cancelled between blocks.
package pairwise

import (
	"context"

	"github.com/ncae-repro/ncae/protocol"
)

// Matrix is a dense row-major matrix of float32.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Row returns row i.
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// SubRows returns the rows at the given indices as a new matrix.
func (m Matrix) SubRows(indices []int) Matrix {
	out := Matrix{Rows: len(indices), Cols: m.Cols, Data: make([]float32, 0, len(indices)*m.Cols)}
	for _, i := range indices {
		out.Data = append(out.Data, m.Row(i)...)
	}
	return out
}

// SquaredNorms returns |row|² of every row, accumulated in float64.
func SquaredNorms(m Matrix) []float32 {
	out := make([]float32, m.Rows)
	for i := range out {
		var s float64
		for _, v := range m.Row(i) {
			s += float64(v) * float64(v)
		}
		out[i] = float32(s)
	}
	return out
}

// BlockRows is the number of rows of a computed per matrix product: large
// enough for BLAS efficiency, small enough to bound memory (512 × 10,000
// float32 = 20 MB) and to react to cancellation within a fraction of a second.
const BlockRows = 512

// Each calls fn for consecutive row blocks of the a.Rows × b.Rows matrix of
// squared distances between rows of a and rows of b: fn(first, block) where
// block holds rows first.. of that matrix, row-major with b.Rows columns. The
// block's memory is reused between calls. Negative values from rounding are
// clamped to 0. It returns ctx's error if cancelled, or fn's first error.
func Each(ctx context.Context, workers int, a, b Matrix, fn func(first int, block []float32) error) error {
	normA, normB := SquaredNorms(a), SquaredNorms(b)
	buf := make([]float32, min(BlockRows, a.Rows)*b.Rows)
	for first := 0; first < a.Rows; first += BlockRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows := min(BlockRows, a.Rows-first)
		block := buf[:rows*b.Rows]
		mulABt(workers, rows, b.Rows, a.Cols, a.Data[first*a.Cols:], a.Cols, b.Data, b.Cols, block)
		for r := 0; r < rows; r++ {
			na := normA[first+r]
			row := block[r*b.Rows : (r+1)*b.Rows]
			for j, v := range row {
				d := -2*v + na + normB[j]
				if d < 0 {
					d = 0
				}
				row[j] = d
			}
		}
		if err := fn(first, block); err != nil {
			return err
		}
	}
	return nil
}

// Symmetric returns the a.Rows × a.Rows matrix of squared distances between
// the rows of a. It computes only the blocks on and above the diagonal (half
// the arithmetic of Full(a, a)) and mirrors them.
func Symmetric(ctx context.Context, workers int, a Matrix) (Matrix, error) {
	n := a.Rows
	out := Matrix{Rows: n, Cols: n, Data: make([]float32, n*n)}
	norm := SquaredNorms(a)
	buf := make([]float32, min(BlockRows, n)*n)
	for first := 0; first < n; first += BlockRows {
		if err := ctx.Err(); err != nil {
			return Matrix{}, err
		}
		rows := min(BlockRows, n-first)
		// Rows first.. against columns first..n.
		cols := n - first
		block := buf[:rows*cols]
		mulABt(workers, rows, cols, a.Cols, a.Data[first*a.Cols:], a.Cols, a.Data[first*a.Cols:], a.Cols, block)
		for r := 0; r < rows; r++ {
			i := first + r
			row := out.Data[i*n : (i+1)*n]
			products := block[r*cols : (r+1)*cols]
			for j := first; j < n; j++ {
				d := -2*products[j-first] + norm[i] + norm[j]
				if d < 0 || j == i {
					d = 0
				}
				row[j] = d
			}
		}
	}
	// Mirror the upper triangle into the lower one, in tiles for the cache.
	const tile = 64
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 <= i0; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				for j := j0; j < min(j0+tile, i); j++ {
					out.Data[i*n+j] = out.Data[j*n+i]
				}
			}
		}
	}
	return out, nil
}

// Full returns the whole a.Rows × b.Rows matrix of squared distances.
func Full(ctx context.Context, workers int, a, b Matrix) (Matrix, error) {
	out := Matrix{Rows: a.Rows, Cols: b.Rows, Data: make([]float32, a.Rows*b.Rows)}
	err := Each(ctx, workers, a, b, func(first int, block []float32) error {
		copy(out.Data[first*b.Rows:], block)
		return nil
	})
	return out, err
}

// FromSamples returns the samples' pixels scaled to [0, 1].
func FromSamples(s protocol.Samples) Matrix {
	return Matrix{Rows: s.N, Cols: s.Dim(), Data: s.Float32()}
}
