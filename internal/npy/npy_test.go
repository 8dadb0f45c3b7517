package npy

import (
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The bytes NumPy 1.24's np.save writes for the same arrays (printed with
// io.BytesIO and .hex() when this test was written).
const (
	numpyFloat32 = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000003f000080bf00000040000040400000803e000000be"
	numpyUint8   = "934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a010001"
	numpyInt64   = "934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0700000000000000feffffffffffffff"
)

func TestEncodeMatchesNumPy(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Array
		want string
	}{
		{"float32 2×3", Float32s([]float32{0.5, -1, 2, 3, 0.25, -0.125}, 2, 3), numpyFloat32},
		{"uint8 3", Uint8s([]byte{1, 0, 1}, 3), numpyUint8},
		{"int64 2", Int64s([]int{7, -2}, 2), numpyInt64},
	} {
		got, err := Encode(tc.a)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if hex.EncodeToString(got) != tc.want {
			t.Errorf("%s: bytes differ from NumPy's\n got %x\nwant %s", tc.name, got, tc.want)
		}
		back, err := Decode(got)
		if err != nil {
			t.Fatalf("%s: decode: %v", tc.name, err)
		}
		if back.Dtype != tc.a.Dtype || !slices.Equal(back.Shape, tc.a.Shape) || string(back.Data) != string(tc.a.Data) {
			t.Errorf("%s: round trip gave %s %v", tc.name, back.Dtype, back.Shape)
		}
	}
}

func TestWriteReadFloat64s(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npy")
	if err := Write(path, Float32s([]float32{1.5, -2}, 2)); err != nil {
		t.Fatal(err)
	}
	a, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Float64s()
	if err != nil || !slices.Equal(v, []float64{1.5, -2}) {
		t.Errorf("Float64s = %v, %v", v, err)
	}
	for _, a := range []Array{Uint8s([]byte{7, 255}, 2), Int64s([]int{7, -3}, 2)} {
		v, err := a.Float64s()
		want := []float64{7, 255}
		if a.Dtype == Int64 {
			want = []float64{7, -3}
		}
		if err != nil || !slices.Equal(v, want) {
			t.Errorf("%s Float64s = %v, %v; want %v", a.Dtype, v, err, want)
		}
	}
	if _, err := (Array{Dtype: "<U3", Shape: []int{1}}).Float64s(); err == nil {
		t.Error("Float64s of a string array: no error")
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(Float32s([]float32{1, 2}, 2))
	header := func(h string) []byte {
		b := []byte("\x93NUMPY\x01\x00")
		b = append(b, byte(len(h)), byte(len(h)>>8))
		return append(b, h...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"text", []byte("hello world, not npy"), "magic"},
		{"truncated data", good[:len(good)-1], "needs 8 bytes"},
		{"fortran", header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n"), "Fortran"},
		{"dtype", header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n"), "not supported"},
		{"no shape", header("{'descr': '<f4', 'fortran_order': False, }\n"), "lacks"},
		{"header past end", append([]byte("\x93NUMPY\x01\x00"), 0xff, 0x00), "past the end"},
		{"version", append([]byte("\x93NUMPY\x09\x00"), 0, 0), "version"},
	} {
		_, err := Decode(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := Encode(Array{Dtype: Float32, Shape: []int{3}, Data: make([]byte, 8)}); err == nil {
		t.Error("Encode with too little data: no error")
	}
}
