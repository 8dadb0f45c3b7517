package protocol

// Samples is a set of grey images, row-major, one byte per pixel (0..255).
// Detectors see pixel values scaled to [0, 1] (x/255), the paper's only
// preprocessing; Float32 and Float64 give them in the precision a method needs.
type Samples struct {
	N          int
	Rows, Cols int
	Pixels     []byte // N*Rows*Cols
}

// Dim is the number of pixels per sample.
func (s Samples) Dim() int { return s.Rows * s.Cols }

// Row returns sample i's raw pixels.
func (s Samples) Row(i int) []byte { d := s.Dim(); return s.Pixels[i*d : (i+1)*d] }

// Float32 returns all pixels scaled to [0, 1], N×Dim row-major.
func (s Samples) Float32() []float32 {
	out := make([]float32, len(s.Pixels))
	for i, p := range s.Pixels {
		out[i] = float32(p) / 255
	}
	return out
}

// Float64 returns all pixels scaled to [0, 1], N×Dim row-major.
func (s Samples) Float64() []float64 {
	out := make([]float64, len(s.Pixels))
	for i, p := range s.Pixels {
		out[i] = float64(p) / 255
	}
	return out
}

// Subset returns the samples at the given indices, in that order.
func (s Samples) Subset(indices []int) Samples {
	d := s.Dim()
	out := Samples{N: len(indices), Rows: s.Rows, Cols: s.Cols, Pixels: make([]byte, 0, len(indices)*d)}
	for _, i := range indices {
		out.Pixels = append(out.Pixels, s.Row(i)...)
	}
	return out
}

// Labelled is a sample set with its anomaly labels.
type Labelled struct {
	Samples
	IsAnomaly []bool
}
