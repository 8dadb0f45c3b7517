#!/usr/bin/env python3
"""Prints the gan-rate study's tables (README.md here) from the committed runs:
results/paper/runs.csv (cae, ncae as written, ncae-ganlr, ncae-noadv-euclid
on the paper preset's ten-class slice) and this folder's runs.csv (the two
reference scores and `ncae` with adv_weight = 0).

    python3 results/studies/gan-rate/compare.py

SciPy (Debian's python3-scipy) gives the Spearman correlations and the
Wilcoxon p-values; without it they print as "nan" and "—".
"""
import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
METHODS = ["external:template-ink", "external:template-mean", "cae", "ncae-ganlr", "ncae-noadv-euclid", "ncae"]
# This folder's sweep rows of ncae, by configuration (sweeps.csv): the paper
# preset's ncae with the latent adversary off, at the paper's GAN rate and at
# the released code's.
SWEPT = {"81c76bb7a1bf": "ncae adv_weight=0", "7ff20d9eb3a3": "ncae adv_weight=0 gan_lr=5e-4"}
NOADV = SWEPT["81c76bb7a1bf"]


def load(path, methods, rename=None):
    """Returns {(method, dataset, rho, class): row} of the clean ok rows of
    methods (their names in the file, before rename). Each
    key must have one experiment and configuration: another anomaly class,
    seed or config hash under the same key stops the script rather than
    replace the run silently."""
    out = {}
    for r in csv.DictReader(open(path)):
        if r["method"] not in methods or r["status"] != "ok" or r["git_commit"].endswith("-dirty"):
            continue
        m = rename(r) if rename else r["method"]
        k = (m, r["dataset"], float(r["rho"]), int(r["normal_class"]))
        same = ("anomaly_class", "seed", "config_hash")
        if k in out and any(out[k][f] != r[f] for f in same):
            sys.exit("compare.py: %s: two runs of %s differ in %s; this script compares one configuration per method"
                     % (path, k, ", ".join(same)))
        out[k] = r
    return out


def info(row, key):
    """The per-epoch series KEY of a row's info column, or []."""
    for kv in row["info"].split(";"):
        if kv.startswith(key + "="):
            return [float(x) for x in kv.split("=", 1)[1].split()]
    return []


def wilcoxon(d):
    try:
        from scipy.stats import wilcoxon as w
    except ImportError:
        return float("nan")
    return w(d).pvalue if any(d) else 1.0


def pfmt(p):
    if math.isnan(p):
        return "—"
    return "< 0.001" if p < 0.001 else "%.3f" % p


def spearman(x, y):
    try:
        from scipy.stats import spearmanr
    except ImportError:
        return float("nan"), float("nan")
    r = spearmanr(x, y)
    return r[0], r[1]


def main():
    paper = load(os.path.join(ROOT, "results", "paper", "runs.csv"), METHODS[2:])
    here = load(os.path.join(HERE, "runs.csv"), METHODS[:2] + ["ncae"],
                lambda r: SWEPT.get(r["config_hash"], r["method"] + " " + r["config_hash"]) if r["method"] == "ncae" else r["method"])
    runs = {**paper, **here}
    auc = {k: 100 * float(r["auc"]) for k, r in runs.items()}

    print("Mean AUC % over the normal classes with a run (n), paper preset, one anomaly class each:\n")
    print("| data set | ρ | " + " | ".join(m.replace("external:", "") for m in METHODS) + " |")
    print("|---|---|" + "---|" * len(METHODS))
    for ds in ("mnist", "fmnist"):
        for rho in (0, 0.01, 0.05, 0.1, 0.2):
            cells = []
            for m in METHODS:
                v = [auc[(m, ds, rho, c)] for c in range(10) if (m, ds, rho, c) in auc]
                cells.append("%.1f (%d)" % (sum(v) / len(v), len(v)) if v else "—")
            print("| %s | %g | %s |" % (ds, rho, " | ".join(cells)))

    print("\nThe GAN rate and the latent adversary, MNIST ρ = 0 (AUC %, classes 0 / 2 / 6, mean):\n")
    print("| GAN rate | latent adversary on (adv_weight = 1) | off (adv_weight = 0) |")
    print("|---|---|---|")
    for rate, on, off in (("0.01 (paper)", "ncae", NOADV), ("5e-4 (code)", "ncae-ganlr", SWEPT["7ff20d9eb3a3"])):
        cells = []
        for m in (on, off):
            v = [auc.get((m, "mnist", 0, c), float("nan")) for c in (0, 2, 6)]
            cells.append(" / ".join("%.1f" % x for x in v) + ", %.1f (%s)" % (sum(v) / 3, m))
        print("| %s | %s |" % (rate, " | ".join(cells)))

    print("\nPer normal class, ρ = 0 and 0.2: AUC % and the final NCR loss of the NCAE runs (on the mined samples not a reconstruction error; README.md):\n")
    cols = ["external:template-ink", "external:template-mean", "cae", "ncae-ganlr", NOADV, "ncae"]
    print("| data set | ρ | class | " + " | ".join(c.replace("external:", "") for c in cols) + " |")
    print("|---|---|---|" + "---|" * len(cols))
    for ds in ("mnist", "fmnist"):
        for rho in (0, 0.2):
            for c in range(10):
                cells = []
                for m in cols:
                    k = (m, ds, rho, c)
                    if k not in runs:
                        cells.append("—")
                        continue
                    ncr = info(runs[k], "loss_ncr")
                    cells.append("%.1f" % auc[k] + (" (%.3f)" % ncr[-1] if ncr else ""))
                print("| %s | %g | %d | %s |" % (ds, rho, c, " | ".join(cells)))

    print("\nThe template mean against each deep method on the same experiments: mean difference in points ± SE,")
    print("classes where the template scores higher, two-sided Wilcoxon signed-rank p (exact, n = 10):\n")
    print("| data set | ρ | " + " | ".join("template mean − " + m for m in METHODS[2:]) + " |")
    print("|---|---|" + "---|" * len(METHODS[2:]))
    for ds in ("mnist", "fmnist"):
        for rho in (0, 0.01, 0.05, 0.1, 0.2):
            cells = []
            for m in METHODS[2:]:
                d = [auc[("external:template-mean", ds, rho, c)] - auc[(m, ds, rho, c)] for c in range(10)
                     if ("external:template-mean", ds, rho, c) in auc and (m, ds, rho, c) in auc]
                if len(d) < 10:
                    cells.append("— (n = %d)" % len(d))
                    continue
                mean = sum(d) / len(d)
                se = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1) / len(d))
                p = wilcoxon(d)
                cells.append("%+.1f ± %.1f (%d), %s" % (mean, se, sum(x > 0 for x in d), pfmt(p)))
            print("| %s | %g | %s |" % (ds, rho, " | ".join(cells)))

    print("\nSpearman correlation over the 10 normal classes of a method's AUC with each reference score's AUC:\n")
    print("| data set | ρ | method | with ink: r (p) | with template mean: r (p) |")
    print("|---|---|---|---|---|")
    for ds in ("mnist", "fmnist"):
        for rho in (0, 0.2):
            for m in ("cae", "ncae-ganlr", "ncae"):
                keys = [(m, ds, rho, c) for c in range(10)]
                if not all(k in auc for k in keys):
                    continue
                y = [auc[k] for k in keys]
                cells = []
                for ref in ("external:template-ink", "external:template-mean"):
                    x = [auc.get((ref, ds, rho, c), float("nan")) for c in range(10)]
                    r, p = spearman(y, x)
                    cells.append("%+.2f (%s)" % (r, pfmt(p)))
                print("| %s | %g | %s | %s |" % (ds, rho, m, " | ".join(cells)))


if __name__ == "__main__":
    main()
