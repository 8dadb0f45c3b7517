package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/ncae-repro/ncae/experiments/registry"
)

func runConfig(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "-h" && args[0] != "--help") {
		return usageError{errors.New("want: config show [flags]")}
	}
	if args[0] == "show" {
		args = args[1:]
	}
	var cf configFlags
	fs := newFlagSet("config", "config show [--preset NAME] [--config FILE] [--set key=value ...]", a.stderr)
	cf.register(fs, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	reg := registry.Default()
	cfg, err := cf.load(fs, reg)
	if err != nil {
		return err
	}
	text, err := cfg.TOML()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "# effective configuration, from: %v\n", cfg.Sources())
	fmt.Fprintf(a.stdout, "# %d experiments × %d methods\n", len(cfg.ProtocolGrid().Keys()), len(cfg.Grid.Methods))
	width := 0
	for _, m := range cfg.Grid.Methods {
		width = max(width, len(m))
	}
	for _, m := range cfg.Grid.Methods {
		fmt.Fprintf(a.stdout, "# config_hash %-*s = %s\n", width, m, cfg.Hash(m))
	}
	fmt.Fprint(a.stdout, text)
	return nil
}

func runMethods(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("methods", "methods", a.stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	reg := registry.Default()
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for _, name := range reg.Names() {
		m, _ := reg.Lookup(name)
		state := "ready"
		if !m.Implemented() {
			state = "not implemented yet (" + m.Pending + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", name, state, m.Summary)
	}
	fmt.Fprintf(w, "external:NAME\tready\tany program, in any language, configured in [external.NAME] (the presets have external:knn and external:iforest; README, \"Run your own detector\")\n")
	return w.Flush()
}
