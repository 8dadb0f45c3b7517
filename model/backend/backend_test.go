package backend

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/ncae-repro/ncae/internal/gemm"
)

func TestCheckAndOpen(t *testing.T) {
	tests := []struct {
		spec, err string // err: a fragment of the error, "" for none
	}{
		{"cpu", ""},
		{"cpu:workers=1", ""},
		{"cpu:workers=2,portable", ""},
		{"go", ""},
		{"cpu:workers=0", "workers"},
		{"go:dotgeneral_small,parallelism=2", "parallelism option is not supported"},
		{"cpu:turbo", `unknown option "turbo"`},
		{"cpu:kernel=portable", ""},
		{"cpu:nofuse,workers=1", ""},
		{"cpu:nofuse=1", `unknown option "nofuse=1"`},
		{"cpu:kernel=avx512", avx512Err()},
		{"cpu:kernel=sse", `kernel="sse": unknown kernel; kernels this CPU can run: `},
		{"xla", "name the PJRT plugin"},
		{"tpu", "unknown; use cpu"},
		{avx2Spec(), avx2Err()},
		{"cpu:portable,kernel=portable", ""},
		{"cpu:portable," + strings.TrimPrefix(avx2Spec(), "cpu:"), conflictErr()},
		{"", "unknown; use cpu"},
	}
	for _, tc := range tests {
		err := Check(tc.spec)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Check(%q) = %v, want error containing %q", tc.spec, err, tc.err)
		}
		if tc.err != "" {
			if _, err := Open(tc.spec); err == nil {
				t.Errorf("Open(%q) succeeded", tc.spec)
			}
		}
	}
	b, err := Open(Default)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if !b.NativeConv || !strings.Contains(b.Description(), "kernel") {
		t.Errorf("default backend %q: NativeConv %v, description %q", b.Spec, b.NativeConv, b.Description())
	}
}

func TestCPURegisteredWithGoMLX(t *testing.T) {
	b, err := Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	b.Finalize()
	g, err := backends.NewWithConfig("cpu:workers=1")
	if err != nil {
		t.Fatalf("GoMLX's registry does not open cpu: %v", err)
	}
	defer g.Finalize()
	if g.Name() != "cpu" {
		t.Errorf("opened %q", g.Name())
	}
}

func TestLabel(t *testing.T) {
	kernel := gemm.Kernels()[0].String()
	avx2Label := "cpu:kernel=avx2" // refused without AVX2/FMA: Label keeps the spec
	if gemm.Accelerated() {
		avx2Label = "cpu/avx2"
	}
	avx512Label := "cpu:kernel=avx512"
	if gemm.KernelAVX512.Runs() {
		avx512Label = "cpu/avx512"
	}
	for spec, want := range map[string]string{
		"cpu":                    "cpu/" + kernel,
		"cpu:portable":           "cpu/portable",
		"cpu:workers=1":          "cpu/" + kernel + ":workers=1",
		"cpu:portable,workers=2": "cpu/portable:workers=2",
		"cpu:kernel=portable":    "cpu/portable",
		"cpu:kernel=avx2":        avx2Label,
		"cpu:kernel=avx512":      avx512Label,
		"go":                     "go",
		"xla:cuda":               "xla:cuda",
		"cpu:bogus":              "cpu:bogus",
	} {
		if got := Label(spec); got != want {
			t.Errorf("Label(%q) = %q, want %q", spec, got, want)
		}
	}
}

func TestWithWorkers(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "")
	tests := []struct {
		spec string
		n    int
		want string
	}{
		{"cpu", 1, "cpu:workers=1"},
		{"cpu:portable", 2, "cpu:portable,workers=2"},
		{"cpu:workers=4", 1, "cpu:workers=4"}, // the user's choice stays
		{"cpu", 0, "cpu"},
		{"", 1, "cpu:workers=1"}, // the default backend
		{"go", 1, "go"},
		{"xla:cuda", 1, "xla:cuda"},
	}
	for _, tt := range tests {
		if got := WithWorkers(tt.spec, tt.n); got != tt.want {
			t.Errorf("WithWorkers(%q, %d) = %q, want %q", tt.spec, tt.n, got, tt.want)
		}
	}
}

// avx2Spec and avx2Err: kernel=avx2 opens where the CPU has AVX2/FMA and
// is refused, naming the CPU's features, where it has not.
func avx2Spec() string { return "cpu:kernel=avx2" }

// conflictErr is the error of portable with kernel=avx2: the conflict
// where the CPU has AVX2, else the missing AVX2.
func conflictErr() string {
	if gemm.Accelerated() {
		return `cpu backend options "portable" and "kernel=avx2" choose different kernels; give one`
	}
	return avx2Err()
}

func avx2Err() string {
	if gemm.Accelerated() {
		return ""
	}
	return "this CPU lacks AVX2/FMA (it has: "
}

func avx512Err() string {
	if gemm.KernelAVX512.Runs() {
		return ""
	}
	return "this CPU lacks AVX-512F (it has: "
}
