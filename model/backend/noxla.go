//go:build noxla

package backend

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
)

func openXLA(plugin string) (backends.Backend, error) {
	return nil, fmt.Errorf("backend xla:%s: this binary was built with -tags noxla; rebuild without it, or use --backend go", plugin)
}
