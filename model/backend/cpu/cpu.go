// Package cpu is a GoMLX backend for the CPU, written for the NCAE networks
// and fast on them: a graph interpreter that owns every operation those
// networks use, runs matrix products and convolutions through the packed
// AVX-512 and AVX2/FMA kernels of package gemm (convolutions as implicit
// patch matrices, never materialised), reuses dead buffers in place, and splits large
// operations across cores.
//
// It is registered under the name "cpu". Its options, comma-separated after
// "cpu:", are
//
//	workers=N      goroutines one operation may use (default: GOMAXPROCS)
//	kernel=K       the matrix micro-kernels: avx512 (AVX-512F assembly, 16
//	               columns a tile, the default where the CPU has it), avx2
//	               (AVX2/FMA assembly, 8 columns, the default elsewhere
//	               where the CPU has it) or portable (Go); avx512 and avx2
//	               give bit-identical results
//	portable       the same as kernel=portable
//	nofuse         compile graphs as GoMLX builds them, without this
//	               backend's rewrites (comparison masks, row broadcasts),
//	               which give the same results bit for bit: for checking
//	               them
//
// A kernel the CPU cannot run is refused with the CPU's features and the
// kernels it can run.
//
// An operation it does not implement fails when the graph is built, with
// the operation's name; nothing is silently computed another way.
package cpu

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/ncae-repro/ncae/internal/gemm"
)

// Name is the backend's registered name.
const Name = "cpu"

// Register adds the backend to GoMLX's registry under Name, so that
// backends.NewWithConfig("cpu:...") and GOMLX_BACKEND=cpu open it.
func Register() {
	backends.Register(Name, func(config string) (backends.Backend, error) { return New(config) })
}

// Backend is the CPU backend. It is safe for concurrent use: executables
// may run at the same time on different goroutines.
type Backend struct {
	workers  int
	gemmOpts gemm.Options
	noFuse   bool // compile without the graph rewrites (option nofuse)
	pool     pool

	mu        sync.Mutex
	finalized bool
}

var _ backends.Backend = (*Backend)(nil)

// New opens a backend with the options in config (see the package comment).
func New(config string) (*Backend, error) {
	b := &Backend{workers: runtime.GOMAXPROCS(0)}
	kernelOpt := "" // the option that chose the kernel, to refuse a second that disagrees
	setKernel := func(opt string, k gemm.Kernel) error {
		if kernelOpt != "" && k != b.gemmOpts.Kernel {
			return fmt.Errorf("cpu backend options %q and %q choose different kernels; give one", kernelOpt, opt)
		}
		kernelOpt, b.gemmOpts.Kernel = opt, k
		return nil
	}
	for _, opt := range strings.Split(config, ",") {
		key, value, hasValue := strings.Cut(strings.TrimSpace(opt), "=")
		switch {
		case key == "":
		case key == "workers" && hasValue:
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("cpu backend option workers=%q: want a whole number ≥ 1", value)
			}
			b.workers = n
		case key == "nofuse" && !hasValue:
			b.noFuse = true
		case key == "portable" && !hasValue:
			if err := setKernel(opt, gemm.KernelPortable); err != nil {
				return nil, err
			}
		case key == "kernel" && hasValue:
			k, err := chooseKernel(value)
			if err != nil {
				return nil, err
			}
			if err := setKernel(opt, k); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("cpu backend: unknown option %q; valid options: workers=N, kernel=avx512|avx2|portable, portable, nofuse", opt)
		}
	}
	b.gemmOpts.Workers = b.workers
	return b, nil
}

// chooseKernel returns the kernel family kernel=name selects, or why this
// CPU cannot run it.
func chooseKernel(name string) (gemm.Kernel, error) {
	return chooseKernelOn(name, gemm.Kernels(), gemm.Features())
}

// chooseKernelOn is chooseKernel on a CPU that runs the kernels runs and
// has the vector features features.
func chooseKernelOn(name string, runs []gemm.Kernel, features string) (gemm.Kernel, error) {
	var can []string
	for _, k := range runs {
		can = append(can, k.String())
	}
	for _, k := range []gemm.Kernel{gemm.KernelAVX512, gemm.KernelAVX2, gemm.KernelPortable} {
		if name != k.String() {
			continue
		}
		if !slices.Contains(runs, k) {
			needs := map[gemm.Kernel]string{gemm.KernelAVX512: "AVX-512F", gemm.KernelAVX2: "AVX2/FMA"}[k]
			return 0, fmt.Errorf("cpu backend option kernel=%s: this CPU lacks %s (it has: %s); kernels it can run: %s", name, needs, features, strings.Join(can, ", "))
		}
		return k, nil
	}
	return 0, fmt.Errorf("cpu backend option kernel=%q: unknown kernel; kernels this CPU can run: %s", name, strings.Join(can, ", "))
}

// Workers is the number of goroutines one operation may use.
func (b *Backend) Workers() int { return b.workers }

// Name implements backends.Backend.
func (b *Backend) Name() string { return Name }

// String implements backends.Backend.
func (b *Backend) String() string { return Name }

// Kernel names the matrix micro-kernels the backend runs: "avx512",
// "avx2" or "portable", as runs.csv's backend column records it.
func (b *Backend) Kernel() string {
	if b.gemmOpts.Kernel == gemm.KernelBest {
		return gemm.Kernels()[0].String()
	}
	return b.gemmOpts.Kernel.String()
}

// Description names the matrix kernel and the parallelism, for logs.
func (b *Backend) Description() string {
	return fmt.Sprintf("ncae cpu backend (%s kernel, %d workers)", b.gemmOpts.KernelName(), b.workers)
}

// NumDevices implements backends.Backend: the CPU is one device.
func (b *Backend) NumDevices() int { return 1 }

// DeviceDescription implements backends.Backend.
func (b *Backend) DeviceDescription(backends.DeviceNum) string { return "cpu" }

// Capabilities lists the operations and data types implemented.
func (b *Backend) Capabilities() backends.Capabilities {
	c := backends.Capabilities{Operations: map[backends.OpType]bool{}, DTypes: map[dtypes.DType]bool{}}
	for op := range implemented {
		c.Operations[op] = true
	}
	for _, dt := range supportedDTypes {
		c.DTypes[dt] = true
	}
	return c
}

// Builder implements backends.Backend.
func (b *Backend) Builder(name string) backends.Builder { return newBuilder(b, name) }

// Finalize releases the pooled memory; the backend must not be used after.
func (b *Backend) Finalize() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finalized = true
	b.pool.clear()
}

// IsFinalized implements backends.Backend.
func (b *Backend) IsFinalized() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.finalized
}

// supportedDTypes are the element types buffers may hold. Arithmetic is
// implemented for the float and integer types, logic for Bool.
var supportedDTypes = []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Int64, dtypes.Uint8, dtypes.Bool}

func checkDType(dt dtypes.DType) error {
	for _, s := range supportedDTypes {
		if s == dt {
			return nil
		}
	}
	return fmt.Errorf("cpu backend: data type %s is not supported (supported: %v)", dt, supportedDTypes)
}

// parallel runs fn over [0, n) in up to workers contiguous chunks when n is
// at least minChunk per chunk, else on the calling goroutine.
func (b *Backend) parallel(n, minChunk int, fn func(lo, hi int)) {
	w := min(b.workers, n/max(minChunk, 1))
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 1; i < w; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(n*i/w, n*(i+1)/w)
		}()
	}
	fn(0, n/w)
	wg.Wait()
}

// elementwiseChunk is the number of elements below which an elementwise
// operation runs on one goroutine.
const elementwiseChunk = 1 << 15
