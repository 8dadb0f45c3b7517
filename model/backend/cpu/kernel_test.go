package cpu

import (
	"strings"
	"testing"

	"github.com/ncae-repro/ncae/internal/gemm"
)

// TestChooseKernelOn checks kernel=NAME on three CPUs: one with AVX-512,
// one with AVX2/FMA only and one with neither, whatever this one has.
func TestChooseKernelOn(t *testing.T) {
	all := []gemm.Kernel{gemm.KernelAVX512, gemm.KernelAVX2, gemm.KernelPortable}
	avx2 := []gemm.Kernel{gemm.KernelAVX2, gemm.KernelPortable}
	none := []gemm.Kernel{gemm.KernelPortable}
	tests := []struct {
		name     string
		runs     []gemm.Kernel
		features string
		want     gemm.Kernel
		err      string // a fragment of the error, "" for none
	}{
		{"avx512", all, "avx2 fma avx512f", gemm.KernelAVX512, ""},
		{"avx2", all, "avx2 fma avx512f", gemm.KernelAVX2, ""},
		{"portable", all, "avx2 fma avx512f", gemm.KernelPortable, ""},
		{"avx512", avx2, "avx2 fma", 0, "kernel=avx512: this CPU lacks AVX-512F (it has: avx2 fma); kernels it can run: avx2, portable"},
		{"avx2", avx2, "avx2 fma", gemm.KernelAVX2, ""},
		{"avx512", none, "none of avx2, fma, avx512f", 0, "lacks AVX-512F (it has: none of avx2, fma, avx512f); kernels it can run: portable"},
		{"avx2", none, "none of avx2, fma, avx512f", 0, "kernel=avx2: this CPU lacks AVX2/FMA (it has: none of avx2, fma, avx512f); kernels it can run: portable"},
		{"portable", none, "none of avx2, fma, avx512f", gemm.KernelPortable, ""},
		{"AVX512", all, "avx2 fma avx512f", 0, `kernel="AVX512": unknown kernel; kernels this CPU can run: avx512, avx2, portable`},
		{"best", all, "avx2 fma avx512f", 0, `kernel="best": unknown kernel`},
		{"", avx2, "avx2 fma", 0, `kernel="": unknown kernel; kernels this CPU can run: avx2, portable`},
	}
	for _, tc := range tests {
		got, err := chooseKernelOn(tc.name, tc.runs, tc.features)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("kernel=%s on %q: %v, %v; want %v", tc.name, tc.features, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("kernel=%s on %q: error %v, want one line containing %q", tc.name, tc.features, err, tc.err)
		}
	}
}

// TestKernelOption checks that New records the kernel the options choose
// and that Kernel and Description name it.
func TestKernelOption(t *testing.T) {
	for _, k := range gemm.Kernels() {
		b, err := New("kernel=" + k.String() + ",workers=1")
		if err != nil {
			t.Fatal(err)
		}
		if b.Kernel() != k.String() || !strings.Contains(b.Description(), (gemm.Options{Kernel: k}).KernelName()) {
			t.Errorf("kernel=%s: Kernel() %q, Description() %q", k, b.Kernel(), b.Description())
		}
	}
	b, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if want := gemm.Kernels()[0].String(); b.Kernel() != want {
		t.Errorf("default kernel %q, want the fastest this CPU runs, %q", b.Kernel(), want)
	}
}
