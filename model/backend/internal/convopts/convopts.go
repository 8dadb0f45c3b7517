// Package convopts normalises the options GoMLX passes to ConvGeneral, for
// the backends of this module.
package convopts

import "slices"

// Units returns v with zeros replaced by ones, or n ones if v is empty:
// GoMLX's convolution gradient passes nil strides and dilations, which
// mean 1.
func Units(v []int, n int) []int {
	if len(v) == 0 {
		v = make([]int, n)
	} else {
		v = slices.Clone(v)
	}
	for i := range v {
		if v[i] == 0 {
			v[i] = 1
		}
	}
	return v
}
