package main

import (
	"flag"

	"github.com/ncae-repro/ncae/experiments/config"
	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/experiments/store"
)

// configSweeps keeps the sweep entries recorded under the configuration cf
// names: an entry (method, param = value, config hash) is kept when cf with
// that value set hashes to the entry's hash, as the sweep that recorded it
// computed. A re-tuned preset thus leaves its earlier sweeps out of Figure 2
// instead of averaging them with the new runs at the same value. It also
// returns how many entries it left out.
func configSweeps(cf configFlags, fs *flag.FlagSet, reg *registry.Registry, entries []store.SweepEntry) (mine []store.SweepEntry, others int) {
	hashes := map[[3]string]string{}
	for _, e := range entries {
		k := [3]string{e.Method, e.Param, e.Value}
		h, ok := hashes[k]
		if !ok {
			h = sweepHash(cf, fs, reg, e)
			hashes[k] = h
		}
		if h != "" && h == e.ConfigHash {
			mine = append(mine, e)
		} else {
			others++
		}
	}
	return mine, others
}

// sweepHash is the config hash of e's method under cf with e's value set,
// or "" when that configuration no longer loads (a key since renamed).
func sweepHash(cf configFlags, fs *flag.FlagSet, reg *registry.Registry, e store.SweepEntry) string {
	c := cf
	c.overrides = append(append([]config.Override(nil), cf.overrides...), config.Override{Key: "grid.methods", Value: []string{e.Method}})
	if e.Param != "rho" { // ρ is not part of a method's hash
		_, value, err := sweepValue(e.Value)
		if err != nil {
			return ""
		}
		c.overrides = append(c.overrides, config.Override{Key: e.Method + "." + e.Param, Value: value})
	}
	cfg, err := c.load(fs, reg)
	if err != nil {
		return ""
	}
	return cfg.Hash(e.Method)
}
