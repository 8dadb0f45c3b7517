#!/usr/bin/env python3
"""Pairs the runs of this study (protocol.extra_outliers = 0.01) with the
committed `quick` runs of the same experiments without it
(results/runs.csv, the quick preset's cae and ncae configurations) and
prints the mean AUC per cell with and without, and the paired difference.

    python3 results/studies/extra-outliers/compare.py
"""
import csv
import math
import os
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
QUICK = {"cae": "4d431e58ec28", "ncae": "3fbd4fb33c6e"}  # the quick preset's configurations (results/table1.md)
KEY = ("dataset", "method", "rho", "normal_class", "anomaly_class", "seed")


def main():
    base = {}
    for r in csv.DictReader(open(os.path.join(ROOT, "results", "runs.csv"))):
        if QUICK.get(r["method"]) == r["config_hash"] and r["status"] == "ok":
            base[tuple(r[k] for k in KEY)] = r
    cells = defaultdict(list)
    for r in csv.DictReader(open(os.path.join(ROOT, "results", "studies", "extra-outliers", "runs.csv"))):
        k = tuple(r[k] for k in KEY)
        if k in base and r["status"] == "ok":
            cells[k[:3]].append((float(r["auc"]), float(base[k]["auc"]), r["n_anomalies_train"], base[k]["n_anomalies_train"]))
    print("| data set | method | ρ | n | anomalies in training (without → with) | AUC % without | with | Δ mean ± SE | classes up |")
    print("|---|---|---|---|---|---|---|---|---|")
    order = {"mnist": 0, "fmnist": 1}
    for k in sorted(cells, key=lambda k: (order.get(k[0], 9), k[1], float(k[2]))):
        p = cells[k]
        n = len(p)
        d = [100 * (a - b) for a, b, _, _ in p]
        mean = sum(d) / n
        se = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1) / n) if n > 1 else float("nan")
        print("| %s | %s | %s | %d | %s → %s | %.1f | %.1f | %+.1f ± %.1f | %d of %d |" % (
            k[0], k[1], k[2], n, p[0][3], p[0][2], 100 * sum(b for _, b, _, _ in p) / n,
            100 * sum(a for a, _, _, _ in p) / n, mean, se, sum(x > 0 for x in d), n))


if __name__ == "__main__":
    main()
