package idx

import (
	"bytes"
	"compress/gzip"
	"errors"
	"testing"
)

func sampleImages() *Images {
	im := &Images{Count: 3, Rows: 2, Cols: 2}
	for i := 0; i < 12; i++ {
		im.Pixels = append(im.Pixels, byte(i*20))
	}
	return im
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	im := sampleImages()
	labels := []byte{1, 7, 3}
	for _, compress := range []bool{false, true} {
		imgBytes, lblBytes := EncodeImages(im), EncodeLabels(labels)
		if compress {
			imgBytes, lblBytes = gz(t, imgBytes), gz(t, lblBytes)
		}
		raw, err := Decompress(imgBytes)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseImages(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got.Count != 3 || got.Rows != 2 || got.Cols != 2 || !bytes.Equal(got.Pixels, im.Pixels) {
			t.Errorf("compress=%v: images %+v, want %+v", compress, got, im)
		}
		if !bytes.Equal(got.Image(1), im.Pixels[4:8]) {
			t.Errorf("Image(1) = %v", got.Image(1))
		}
		raw, err = Decompress(lblBytes)
		if err != nil {
			t.Fatal(err)
		}
		gotLabels, err := ParseLabels(raw)
		if err != nil || !bytes.Equal(gotLabels, labels) {
			t.Errorf("compress=%v: labels %v, %v", compress, gotLabels, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	good := EncodeImages(sampleImages())
	goodLabels := EncodeLabels([]byte{1, 2, 3})
	mutate := func(b []byte, f func([]byte)) []byte { c := append([]byte(nil), b...); f(c); return c }
	imageCases := []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"short header", good[:10]},
		{"truncated pixels", good[:len(good)-1]},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"label magic", mutate(good, func(b []byte) { b[3] = 0x01 })},
		{"huge count", mutate(good, func(b []byte) { b[4] = 0xff })},
		{"zero rows", mutate(good, func(b []byte) { b[8], b[9], b[10], b[11] = 0, 0, 0, 0 })},
	}
	for _, tt := range imageCases {
		if _, err := ParseImages(tt.raw); !errors.Is(err, ErrFormat) {
			t.Errorf("images %s: error %v, want ErrFormat", tt.name, err)
		}
	}
	labelCases := []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"image magic", mutate(goodLabels, func(b []byte) { b[3] = 0x03 })},
		{"truncated", goodLabels[:len(goodLabels)-1]},
		{"count too large", mutate(goodLabels, func(b []byte) { b[7] = 9 })},
	}
	for _, tt := range labelCases {
		if _, err := ParseLabels(tt.raw); !errors.Is(err, ErrFormat) {
			t.Errorf("labels %s: error %v, want ErrFormat", tt.name, err)
		}
	}
	zipped := gz(t, good)
	if _, err := Decompress(zipped[:len(zipped)/2]); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated gzip: error %v, want ErrFormat", err)
	}
	if _, err := Decompress(mutate(zipped, func(b []byte) { b[3] = 0xff })); !errors.Is(err, ErrFormat) {
		t.Errorf("bad gzip flags: error %v, want ErrFormat", err)
	}
}

// FuzzParse checks that no input makes the reader panic or accept a file
// whose length disagrees with its header.
func FuzzParse(f *testing.F) {
	f.Add(EncodeImages(sampleImages()))
	f.Add(EncodeLabels([]byte{1, 2, 3}))
	f.Add(gz(f, EncodeImages(sampleImages())))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := Decompress(data)
		if err != nil {
			return
		}
		if im, err := ParseImages(raw); err == nil {
			if len(im.Pixels) != im.Count*im.Rows*im.Cols {
				t.Fatalf("accepted %d pixels for %d×%d×%d", len(im.Pixels), im.Count, im.Rows, im.Cols)
			}
		}
		if l, err := ParseLabels(raw); err == nil && len(l) != len(raw)-8 {
			t.Fatalf("accepted %d labels from %d bytes", len(l), len(raw))
		}
	})
}
