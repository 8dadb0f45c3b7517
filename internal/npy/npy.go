// Package npy writes and reads NumPy's .npy format (version 1.0, C order,
// little-endian), the one file format every Python detector can load with
// numpy.load: uint8, float32, float64 and int64 arrays of any shape.
package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/internal/atomicfile"
)

// Dtypes as NumPy writes them in the header.
const (
	Uint8   = "|u1"
	Float32 = "<f4"
	Float64 = "<f8"
	Int64   = "<i8"
)

// size is the number of bytes of one element of each dtype.
var size = map[string]int{Uint8: 1, Float32: 4, Float64: 8, Int64: 8}

// Array is a decoded .npy file: its dtype, shape and raw little-endian data.
type Array struct {
	Dtype string
	Shape []int
	Data  []byte
}

// Len is the number of elements its shape holds.
func (a Array) Len() int {
	n := 1
	for _, s := range a.Shape {
		n *= s
	}
	return n
}

// Encode returns the .npy bytes of an array.
func Encode(a Array) ([]byte, error) {
	es, ok := size[a.Dtype]
	if !ok {
		return nil, fmt.Errorf("npy: dtype %q not supported", a.Dtype)
	}
	if a.Len()*es != len(a.Data) {
		return nil, fmt.Errorf("npy: shape %v of %s needs %d bytes, have %d", a.Shape, a.Dtype, a.Len()*es, len(a.Data))
	}
	dims := make([]string, len(a.Shape))
	for i, s := range a.Shape {
		dims[i] = strconv.Itoa(s)
	}
	tuple := strings.Join(dims, ", ")
	if len(a.Shape) == 1 {
		tuple += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", a.Dtype, tuple)
	// Magic (6) + version (2) + length (2) + header + '\n' is padded to 64 bytes.
	header += strings.Repeat(" ", (64-(10+len(header)+1)%64)%64) + "\n"
	var buf bytes.Buffer
	buf.Grow(10 + len(header) + len(a.Data))
	buf.WriteString("\x93NUMPY\x01\x00")
	buf.WriteByte(byte(len(header)))
	buf.WriteByte(byte(len(header) >> 8))
	buf.WriteString(header)
	buf.Write(a.Data)
	return buf.Bytes(), nil
}

// Write writes an array to path atomically.
func Write(path string, a Array) error {
	b, err := Encode(a)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, b, 0o644)
}

// Float32s is an array of float32 values with a shape.
func Float32s(v []float32, shape ...int) Array {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Array{Dtype: Float32, Shape: shape, Data: b}
}

// Float64s is an array of float64 values with a shape (the method
// Array.Float64s goes the other way).
func Float64s(v []float64, shape ...int) Array {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return Array{Dtype: Float64, Shape: shape, Data: b}
}

// Uint8s is an array of bytes with a shape.
func Uint8s(v []byte, shape ...int) Array {
	return Array{Dtype: Uint8, Shape: shape, Data: v}
}

// Int64s is an array of int64 values with a shape.
func Int64s(v []int, shape ...int) Array {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(x)))
	}
	return Array{Dtype: Int64, Shape: shape, Data: b}
}

var (
	descrRe = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	orderRe = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	shapeRe = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// Decode parses .npy bytes (versions 1.0–3.0). It accepts the dtypes above
// in C order only, and "<f4"-compatible spellings NumPy may write ("<f4",
// "|u1", "<u1").
func Decode(b []byte) (Array, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return Array{}, fmt.Errorf("npy: not a .npy file (no \\x93NUMPY magic)")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return Array{}, fmt.Errorf("npy: truncated header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return Array{}, fmt.Errorf("npy: version %d.%d not supported", b[6], b[7])
	}
	if start+hlen > len(b) {
		return Array{}, fmt.Errorf("npy: header of %d bytes runs past the end of the file", hlen)
	}
	header := string(b[start : start+hlen])
	descr, order, shape := descrRe.FindStringSubmatch(header), orderRe.FindStringSubmatch(header), shapeRe.FindStringSubmatch(header)
	if descr == nil || order == nil || shape == nil {
		return Array{}, fmt.Errorf("npy: header %q lacks descr, fortran_order or shape", strings.TrimSpace(header))
	}
	dtype := descr[1]
	if dtype == "<u1" {
		dtype = Uint8
	}
	es, ok := size[dtype]
	if !ok {
		return Array{}, fmt.Errorf("npy: dtype %q not supported (want float32 %q, float64 %q, int64 %q or uint8 %q)", descr[1], Float32, Float64, Int64, Uint8)
	}
	if order[1] == "True" {
		return Array{}, fmt.Errorf("npy: Fortran-order arrays not supported (save with np.ascontiguousarray)")
	}
	a := Array{Dtype: dtype, Shape: []int{}}
	for _, f := range strings.Split(shape[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return Array{}, fmt.Errorf("npy: bad shape (%s)", shape[1])
		}
		a.Shape = append(a.Shape, n)
	}
	data := b[start+hlen:]
	if len(data) != a.Len()*es {
		return Array{}, fmt.Errorf("npy: shape %v of %s needs %d bytes of data, the file has %d", a.Shape, dtype, a.Len()*es, len(data))
	}
	a.Data = data
	return a, nil
}

// Read reads and decodes a .npy file.
func Read(path string) (Array, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Array{}, err
	}
	a, err := Decode(b)
	if err != nil {
		return Array{}, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Float64s returns the elements as float64 (from any of the dtypes above).
func (a Array) Float64s() ([]float64, error) {
	out := make([]float64, a.Len())
	switch a.Dtype {
	case Float32:
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(a.Data[4*i:])))
		}
	case Float64:
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(a.Data[8*i:]))
		}
	case Int64:
		for i := range out {
			out[i] = float64(int64(binary.LittleEndian.Uint64(a.Data[8*i:])))
		}
	case Uint8:
		for i := range out {
			out[i] = float64(a.Data[i])
		}
	default:
		return nil, fmt.Errorf("npy: %s array, want float32, float64, int64 or uint8", a.Dtype)
	}
	return out, nil
}
