//go:build !noxla

package backend

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
)

// openXLA opens XLA with the PJRT plugin named plugin ("cpu", "cuda" or a
// path). GoMLX would otherwise try to download missing plugins, which hangs
// or fails on machines without Internet access; we never download.
func openXLA(plugin string) (backends.Backend, error) {
	xla.EnableAutoInstall(false)
	b, err := xla.New(plugin)
	if err != nil && filepath.IsAbs(plugin) {
		return nil, fmt.Errorf("backend xla:%s: %w; fix: give the path of a PJRT plugin .so file, or use --backend go", plugin, err)
	}
	if err != nil {
		return nil, fmt.Errorf("backend xla:%s: %w; fix: install the PJRT plugin (pjrt_c_api_%s_plugin.so, or JAX's CUDA plugin xla_cuda_plugin.so from the jax_plugins package) and set PJRT_PLUGIN_LIBRARY_PATH to its folder (now %q), pass its path as xla:/path/to/plugin.so, or use --backend go",
			plugin, err, plugin, os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"))
	}
	return b, nil
}
