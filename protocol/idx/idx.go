// Package idx reads the IDX files that MNIST and Fashion-MNIST are
// distributed in, gzip-compressed or raw, and validates their headers,
// counts and lengths before any pixel is used.
//
// The format is a big-endian header (magic number, item count, and for
// images the row and column counts) followed by one unsigned byte per
// pixel or label.
package idx

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Magic numbers of the two IDX variants used here: unsigned bytes with three
// dimensions (images) or one dimension (labels).
const (
	ImageMagic = 0x00000803
	LabelMagic = 0x00000801
)

// MaxItems bounds the item count a header may declare, so that a corrupt
// header cannot make the reader allocate gigabytes.
const MaxItems = 1 << 24

// MaxDecompressed bounds the decompressed size of a file, so that a corrupt
// or malicious gzip stream cannot exhaust memory.
const MaxDecompressed = 1 << 29

// ErrFormat is wrapped by every error caused by the file's content (as opposed
// to an I/O failure).
var ErrFormat = errors.New("not a valid IDX file")

// Images is a set of grey images stored row-major, one byte per pixel.
type Images struct {
	Count, Rows, Cols int
	Pixels            []byte // Count*Rows*Cols bytes
}

// Image returns the pixels of image i.
func (im *Images) Image(i int) []byte {
	n := im.Rows * im.Cols
	return im.Pixels[i*n : (i+1)*n]
}

// Decompress returns the raw IDX bytes of data, gunzipping it when it starts
// with the gzip magic bytes.
func Decompress(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: bad gzip header: %v", ErrFormat, err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(io.LimitReader(bufio.NewReaderSize(zr, 1<<20), MaxDecompressed+1))
	if err != nil {
		return nil, fmt.Errorf("%w: truncated or corrupt gzip stream: %v", ErrFormat, err)
	}
	if len(raw) > MaxDecompressed {
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes", ErrFormat, MaxDecompressed)
	}
	return raw, nil
}

// ParseImages parses raw (decompressed) IDX image bytes.
func ParseImages(raw []byte) (*Images, error) {
	if len(raw) < 16 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the 16-byte image header", ErrFormat, len(raw))
	}
	magic := binary.BigEndian.Uint32(raw[0:4])
	if magic != ImageMagic {
		return nil, fmt.Errorf("%w: magic number %#08x, want %#08x for images", ErrFormat, magic, ImageMagic)
	}
	count := binary.BigEndian.Uint32(raw[4:8])
	rows := binary.BigEndian.Uint32(raw[8:12])
	cols := binary.BigEndian.Uint32(raw[12:16])
	if count > MaxItems || rows == 0 || cols == 0 || rows > 1<<12 || cols > 1<<12 {
		return nil, fmt.Errorf("%w: implausible header: %d images of %d×%d", ErrFormat, count, rows, cols)
	}
	want := 16 + int64(count)*int64(rows)*int64(cols)
	if int64(len(raw)) != want {
		return nil, fmt.Errorf("%w: %d images of %d×%d need %d bytes, file has %d", ErrFormat, count, rows, cols, want, len(raw))
	}
	return &Images{Count: int(count), Rows: int(rows), Cols: int(cols), Pixels: raw[16:]}, nil
}

// ParseLabels parses raw (decompressed) IDX label bytes.
func ParseLabels(raw []byte) ([]byte, error) {
	if len(raw) < 8 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the 8-byte label header", ErrFormat, len(raw))
	}
	magic := binary.BigEndian.Uint32(raw[0:4])
	if magic != LabelMagic {
		return nil, fmt.Errorf("%w: magic number %#08x, want %#08x for labels", ErrFormat, magic, LabelMagic)
	}
	count := binary.BigEndian.Uint32(raw[4:8])
	if count > MaxItems {
		return nil, fmt.Errorf("%w: implausible header: %d labels", ErrFormat, count)
	}
	if want := 8 + int64(count); int64(len(raw)) != want {
		return nil, fmt.Errorf("%w: %d labels need %d bytes, file has %d", ErrFormat, count, want, len(raw))
	}
	return raw[8:], nil
}

// EncodeImages returns the raw IDX encoding of images; with ParseImages it
// round-trips. It exists for tests and for exporting data sets.
func EncodeImages(im *Images) []byte {
	out := make([]byte, 16, 16+len(im.Pixels))
	binary.BigEndian.PutUint32(out[0:], ImageMagic)
	binary.BigEndian.PutUint32(out[4:], uint32(im.Count))
	binary.BigEndian.PutUint32(out[8:], uint32(im.Rows))
	binary.BigEndian.PutUint32(out[12:], uint32(im.Cols))
	return append(out, im.Pixels...)
}

// EncodeLabels returns the raw IDX encoding of labels.
func EncodeLabels(labels []byte) []byte {
	out := make([]byte, 8, 8+len(labels))
	binary.BigEndian.PutUint32(out[0:], LabelMagic)
	binary.BigEndian.PutUint32(out[4:], uint32(len(labels)))
	return append(out, labels...)
}
