//go:build tools

// This file pins, in go.mod, the versions of the libraries the user asked the
// project to be built on, before code of ours imports them: gonum/plot (for
// the PNG figures of issue #4). Drop an entry once a package of ours imports
// the library for real.
package tools

import (
	_ "gonum.org/v1/plot"
)
