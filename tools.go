//go:build tools

// This file pins, in go.mod, the versions of the libraries the user asked the
// project to be built on, before code of ours imports them: GoMLX (with its
// XLA backend, which brings go-xla/gopjrt), gonum and gonum/plot. Drop an
// entry once a package of ours imports the library for real.
package tools

import (
	_ "github.com/gomlx/gomlx/backends/default"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/plot"
)
