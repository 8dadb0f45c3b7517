package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ncae-repro/ncae/experiments/registry"
	"github.com/ncae-repro/ncae/protocol/datasets"
)

func runData(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "-h" && args[0] != "--help") {
		return usageError{errors.New("want: data verify [flags]")}
	}
	if args[0] == "verify" {
		args = args[1:]
	}
	var cf configFlags
	fs := newFlagSet("data", "data verify [--data-dir DIR] [--cached]", a.stderr)
	cf.register(fs, false)
	cached := fs.Bool("cached", false, "accept earlier verdicts from the cache instead of hashing again")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(fs, registry.Default())
	if err != nil {
		return err
	}
	loc := locator(cfg)
	loc.Rehash = !*cached
	failed := 0
	for _, spec := range datasets.Specs() {
		ds, reports, err := loc.Load(spec)
		if err != nil {
			failed++
			fmt.Fprintf(a.stdout, "%-7s FAILED  %v\n", spec.Name, err)
			continue
		}
		fmt.Fprintf(a.stdout, "%-7s ok      %s: %d training, %d test images of %d×%d, in %s\n", spec.Name, spec.Title,
			ds.TrainImages.Count, ds.TestImages.Count, ds.TrainImages.Rows, ds.TrainImages.Cols, ds.Dir)
		for i, r := range reports {
			what := "sha256 " + r.SHA256 + " (matches the official release)"
			switch {
			case r.Cached:
				what = "verified earlier (cached verdict)"
			case loc.SkipChecksum:
				what = "checksum skipped (data.skip_checksum)"
			}
			fmt.Fprintf(a.stdout, "          %-26s %s\n", spec.Files[i].Base, what)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d data sets failed verification (see above)", failed, len(datasets.Specs()))
	}
	fmt.Fprintln(a.stdout, "both data sets verified")
	return nil
}
