package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ncae-repro/ncae/protocol/idx"
)

// fakeSet writes a tiny 28×28 data set into dir and returns a Spec whose
// checksums match it.
func fakeSet(t *testing.T, dir string, compress bool) Spec {
	t.Helper()
	mk := func(n int) (*idx.Images, []byte) {
		im := &idx.Images{Count: n, Rows: 28, Cols: 28, Pixels: make([]byte, n*784)}
		labels := make([]byte, n)
		for i := range labels {
			labels[i] = byte(i % 10)
			im.Pixels[i*784] = byte(i)
		}
		return im, labels
	}
	trIm, trLb := mk(20)
	teIm, teLb := mk(10)
	raws := [4][]byte{idx.EncodeImages(trIm), idx.EncodeLabels(trLb), idx.EncodeImages(teIm), idx.EncodeLabels(teLb)}
	spec := Spec{Name: "fake", Title: "Fake", Fix: "regenerate the fake", SubDirs: []string{"FAKE/raw"}}
	bases := []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, raw := range raws {
		sum := sha256.Sum256(raw)
		spec.Files[i] = File{Base: bases[i], Size: int64(len(raw)), SHA256: hex.EncodeToString(sum[:])}
		name, data := bases[i], raw
		if compress {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(raw)
			zw.Close()
			name, data = name+".gz", buf.Bytes()
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return spec
}

func TestLoadLayouts(t *testing.T) {
	tests := []struct {
		name     string
		sub      string // where the files go under the data dir
		compress bool
	}{
		{"plain raw", "", false},
		{"plain gzip", "", true},
		{"torchvision raw layout", "FAKE/raw", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			spec := fakeSet(t, filepath.Join(root, tt.sub), tt.compress)
			l := &Locator{DataDir: root, CacheFile: filepath.Join(t.TempDir(), "v.json")}
			ds, reps, err := l.Load(spec)
			if err != nil {
				t.Fatal(err)
			}
			if ds.TrainImages.Count != 20 || ds.TestImages.Count != 10 || len(ds.TrainLabels) != 20 {
				t.Errorf("loaded %d/%d images", ds.TrainImages.Count, ds.TestImages.Count)
			}
			if reps[0].Cached || reps[0].SHA256 != spec.Files[0].SHA256 {
				t.Errorf("first load report %+v", reps[0])
			}
			// The second load takes the verdict from the cache.
			if _, reps, err = l.Load(spec); err != nil || !reps[0].Cached {
				t.Errorf("second load: cached=%v err=%v", reps[0].Cached, err)
			}
		})
	}
}

func TestLoadBadInput(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		spec := fakeSet(t, t.TempDir(), true)
		_, _, err := (&Locator{DataDir: t.TempDir()}).Load(spec)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "fix: regenerate the fake") ||
			!strings.Contains(err.Error(), "train-images-idx3-ubyte") {
			t.Errorf("error %q should wrap ErrNotFound and name the file and the fix", err)
		}
	})
	t.Run("data folder missing", func(t *testing.T) {
		spec := fakeSet(t, t.TempDir(), true)
		file := filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{filepath.Join(t.TempDir(), "typo"), file} {
			_, _, err := (&Locator{DataDir: dir}).Load(spec)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "does not exist") {
				t.Errorf("DataDir %s: error %q should wrap ErrNotFound and name the folder", dir, err)
			}
		}
	})
	t.Run("changed content", func(t *testing.T) {
		dir := t.TempDir()
		spec := fakeSet(t, dir, false)
		cache := filepath.Join(t.TempDir(), "v.json")
		l := &Locator{DataDir: dir, CacheFile: cache}
		if _, _, err := l.Load(spec); err != nil {
			t.Fatal(err)
		}
		// An edit changes the modification time, which invalidates the cached verdict.
		p := filepath.Join(dir, "t10k-labels-idx1-ubyte")
		b, _ := os.ReadFile(p)
		b[len(b)-1] ^= 1
		os.WriteFile(p, b, 0o644)
		os.Chtimes(p, time1, time1)
		_, _, err := l.Load(spec)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
			t.Errorf("error %q should wrap ErrCorrupt and name %s", err, p)
		}
		// A user's own data passes with the checksum off, but labels are still checked.
		l.SkipChecksum = true
		if _, _, err := l.Load(spec); err != nil {
			t.Errorf("skip checksum: %v", err)
		}
	})
	t.Run("truncated gzip", func(t *testing.T) {
		dir := t.TempDir()
		spec := fakeSet(t, dir, true)
		p := filepath.Join(dir, "train-images-idx3-ubyte.gz")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, b[:len(b)/2], 0o644)
		_, _, err := (&Locator{DataDir: dir}).Load(spec)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
			t.Errorf("error %q should wrap ErrCorrupt and name %s", err, p)
		}
	})
	t.Run("label out of range", func(t *testing.T) {
		dir := t.TempDir()
		spec := fakeSet(t, dir, false)
		p := filepath.Join(dir, "train-labels-idx1-ubyte")
		b, _ := os.ReadFile(p)
		b[9] = 11
		os.WriteFile(p, b, 0o644)
		_, _, err := (&Locator{DataDir: dir, SkipChecksum: true}).Load(spec)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "label 11") {
			t.Errorf("error %q should report label 11", err)
		}
	})
}

func TestEscapeModulePath(t *testing.T) {
	got, err := escapeModulePath(GoMNISTModule)
	if err != nil || got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escape = %q, %v", got, err)
	}
}

func TestGoMNISTVersionPinned(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), GoMNISTModule+" "+GoMNISTVersion) {
		t.Errorf("go.mod does not pin %s %s; update GoMNISTVersion with it", GoMNISTModule, GoMNISTVersion)
	}
}

var time1 = mustTime("2001-02-03T04:05:06Z")

func mustTime(s string) (t time.Time) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRehashIgnoresCache(t *testing.T) {
	dir := t.TempDir()
	spec := fakeSet(t, dir, true)
	l := &Locator{DataDir: dir, CacheFile: filepath.Join(t.TempDir(), "v.json")}
	if _, _, err := l.Load(spec); err != nil {
		t.Fatal(err)
	}
	l.Rehash = true
	if _, reps, err := l.Load(spec); err != nil || reps[0].Cached || reps[0].SHA256 == "" {
		t.Errorf("rehash: %+v, %v", reps[0], err)
	}
}

func TestLoadFallsThroughToMatchingDir(t *testing.T) {
	root := t.TempDir()
	// The plain data dir holds another data set's files; the right ones are
	// in the sub-folder.
	other := fakeSet(t, root, true)
	spec := fakeSet(t, filepath.Join(root, "FAKE", "raw"), false)
	if other.Files[0].SHA256 != spec.Files[0].SHA256 {
		t.Fatal("fixture: the two fake sets should differ only in compression")
	}
	b, _ := os.ReadFile(filepath.Join(root, "FAKE", "raw", "t10k-labels-idx1-ubyte"))
	b[len(b)-1] ^= 1
	os.WriteFile(filepath.Join(root, "FAKE", "raw", "t10k-labels-idx1-ubyte"), b, 0o644)
	spec.Files[3].SHA256 = sha(b)
	ds, _, err := (&Locator{DataDir: root}).Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Dir != filepath.Join(root, "FAKE", "raw") {
		t.Errorf("loaded from %s, want the sub-folder whose files match", ds.Dir)
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
