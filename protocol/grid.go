package protocol

import "sort"

// Grid is the experiment grid: data set × ρ × normal class × anomaly class ×
// replicate seed. The paper's grid is 10 normal × 9 anomaly classes = 90
// experiments per data set and ρ.
type Grid struct {
	Datasets       []string
	Rhos           []float64
	NormalClasses  []int
	AnomalyClasses []int // for each normal class c, those ≠ c are used
	// AnomaliesPerNormal, when positive, keeps only that many anomaly classes
	// per normal class: the ones following c cyclically (c+1, c+2, … mod 10),
	// so that every class serves as anomaly class equally often.
	AnomaliesPerNormal int
	Seeds              []int
}

// Keys expands the grid in a fixed order: data set, ρ, normal class, anomaly
// class, seed. The order is part of the contract: shards are slices of it.
func (g Grid) Keys() []Key {
	var keys []Key
	for _, ds := range g.Datasets {
		for _, rho := range g.Rhos {
			for _, c := range g.NormalClasses {
				for _, a := range g.anomaliesFor(c) {
					for _, s := range g.Seeds {
						keys = append(keys, Key{Dataset: ds, Normal: c, Anomaly: a, Seed: s, Rho: rho})
					}
				}
			}
		}
	}
	return keys
}

func (g Grid) anomaliesFor(c int) []int {
	var as []int
	for _, a := range g.AnomalyClasses {
		if a != c {
			as = append(as, a)
		}
	}
	// Cyclic order after c: (a − c − 1) mod 10 ascending.
	sort.SliceStable(as, func(i, j int) bool { return (as[i]-c+9)%10 < (as[j]-c+9)%10 })
	if g.AnomaliesPerNormal > 0 && g.AnomaliesPerNormal < len(as) {
		as = as[:g.AnomaliesPerNormal]
	}
	return as
}
