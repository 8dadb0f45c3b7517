package protocol

import (
	"fmt"
	"strconv"
)

// Key identifies one experiment of the grid.
type Key struct {
	Dataset string  // "mnist" or "fmnist"
	Normal  int     // normal class c
	Anomaly int     // anomaly class a ≠ c (in pooled mode it only selects the seed stream)
	Seed    int     // replicate seed from the configuration
	Rho     float64 // contamination ratio ρ ∈ [0, 1)
}

// String returns a stable, human-readable form, e.g. "mnist/c3/a5/s0/rho0.05".
func (k Key) String() string {
	return fmt.Sprintf("%s/c%d/a%d/s%d/rho%s", k.Dataset, k.Normal, k.Anomaly, k.Seed, FormatRho(k.Rho))
}

// FormatRho writes ρ in its shortest exact decimal form ("0.05", "0").
func FormatRho(rho float64) string { return strconv.FormatFloat(rho, 'g', -1, 64) }

// BaseSeed is the root of every random stream of the experiment. It depends on
// the data set, the classes and the replicate but not on ρ, so the anomalies
// drawn at a smaller ρ are a subset of those drawn at a larger one and the
// initial weights are shared across ρ: differences between ρ columns come from
// contamination, not from the draw.
func (k Key) BaseSeed() uint64 {
	return SeedOf(fmt.Sprintf("ncae/%s/c%d/a%d/s%d", k.Dataset, k.Normal, k.Anomaly, k.Seed))
}

// MethodSeed is the seed a detector uses for its own randomness (weight
// initialisation, mini-batch order, trees).
func (k Key) MethodSeed() uint64 { return DeriveSeed(k.BaseSeed(), "method") }
