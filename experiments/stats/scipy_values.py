#!/usr/bin/env python3
"""Prints the SciPy values pinned in stats_test.go (Debian's python3-scipy, 1.10).

    /usr/bin/python3 experiments/stats/scipy_values.py

Floats are printed with repr, which Go parses back to the same float64.
"""
import numpy as np
from scipy import stats

rng = np.random.default_rng(20261202)


def go(xs):
    return "{" + ", ".join(repr(float(x)) for x in xs) + "}"


print("// Wilcoxon: d, n, statistic, p, exact")
cases = [
    ("all positive, n=5", np.array([0.01, 0.02, 0.03, 0.04, 0.05]), "exact"),
    ("mixed, n=10", rng.normal(0.01, 0.02, 10), "exact"),
    ("mixed, n=30", rng.normal(0.005, 0.02, 30), "exact"),
    ("n=50, exact", rng.normal(0.003, 0.02, 50), "exact"),
    ("n=60, approximation", rng.normal(0.003, 0.02, 60), "approx"),
    ("ties and zeros, approximation", np.round(rng.normal(0.0, 0.02, 40), 2), "approx"),
    ("a zero, approximation", np.array([0, 0.01, 0.02, 0.03, 0.04, 0.05]), "auto"),
]
for name, d, mode in cases:
    d = d[d != 0] if mode == "exact" else d
    if mode == "exact":
        assert len(np.unique(np.abs(d))) == len(d), name
    res = stats.wilcoxon(d, mode=mode)
    print(f'{{"{name}", []float64{go(d)}, {int(np.sum(d != 0))}, {res.statistic!r}, {res.pvalue!r}, {str(mode == "exact").lower()}}},')

print("// Friedman: scores (blocks × methods), statistic, p")
for name, k, n, decimals in [("4 methods, 10 blocks", 4, 10, 3), ("6 methods, 5 blocks", 6, 5, 3), ("ties", 3, 12, 1)]:
    x = np.round(rng.uniform(0.5, 1.0, (n, k)) + np.linspace(0, 0.1, k), decimals)
    res = stats.friedmanchisquare(*x.T)
    rows = ", ".join(go(r) for r in x)
    print(f'{{"{name}", [][]float64{{{rows}}}, {res.statistic!r}, {res.pvalue!r}}},')

print("// studentized range, p = 0.95, df = inf, over sqrt(2)")
print(go([stats.studentized_range.ppf(0.95, k, np.inf) / np.sqrt(2) for k in range(2, 11)]))
