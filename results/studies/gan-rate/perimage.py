#!/usr/bin/env python3
"""Per-image check of the gan-rate study: does a run's anomaly score follow
an image's ink (its squared norm) or its distance to the mean training image?

    python3 results/studies/gan-rate/perimage.py FOLDER

FOLDER holds, for each run, DATASET-cC-rhoR-METHOD.npy (the test scores,
`experiments run ... --scores`) and, for each experiment, exp-DATASET-cC-rhoR/
(`experiments export`: test.npy, test_labels.npy, train.npy). README.md here
gives the commands. Prints the run's AUC and Spearman's r of its scores with
each reference score, over all test images and over the normal and anomalous
ones apart; then the partial Spearman r of the scores with each reference
score, the other held fixed (the two are correlated). Needs NumPy and SciPy.
"""
import glob
import os
import re
import sys

import numpy as np
from scipy.stats import rankdata, spearmanr

NAME = re.compile(r"^(?P<exp>[a-z]+-c\d+-rho[0-9.]+)-(?P<method>.+)\.npy$")


def auc(scores, anomalous):
    """Mann–Whitney AUC with mid-ranks, as the harness computes it."""
    r = rankdata(scores)
    n1 = anomalous.sum()
    n0 = len(anomalous) - n1
    return (r[anomalous].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def partial(x, y, z):
    """Spearman's r of x and y with z held fixed: the correlation of the
    ranks of x and y after a least-squares line in z's ranks is taken out."""
    x, y, z = (rankdata(v) for v in (x, y, z))
    design = np.column_stack([z, np.ones_like(z)])
    rx = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
    ry = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return np.corrcoef(rx, ry)[0, 1]


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: perimage.py FOLDER (a folder of runs' scores and exported experiments; see README.md)")
    folder = sys.argv[1]
    print("| run | AUC % | ink: r all / normal / anomalies | template: r all / normal / anomalies "
          "| ink, template fixed: partial r all / normal / anomalies | template, ink fixed: partial r |")
    print("|---|---|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(folder, "*.npy"))):
        m = NAME.match(os.path.basename(path))
        if not m:
            continue
        exp = os.path.join(folder, "exp-" + m["exp"])
        test = np.load(os.path.join(exp, "test.npy")).astype(np.float64)
        train = np.load(os.path.join(exp, "train.npy")).astype(np.float64)
        anomalous = np.load(os.path.join(exp, "test_labels.npy")) == 1
        scores = np.load(path)
        refs = {"ink": (test ** 2).sum(axis=1), "template": ((test - train.mean(axis=0)) ** 2).sum(axis=1)}
        cells = []
        sels = (slice(None), ~anomalous, anomalous)
        for ref in refs.values():
            cells.append(" / ".join("%+.2f" % spearmanr(scores[sel], ref[sel])[0] for sel in sels))
        ink, template = refs["ink"], refs["template"]
        for ref, other in ((ink, template), (template, ink)):
            cells.append(" / ".join("%+.2f" % partial(scores[sel], ref[sel], other[sel]) for sel in sels))
        print("| %s %s | %.1f | %s |" % (m["exp"], m["method"], 100 * auc(scores, anomalous), " | ".join(cells)))


if __name__ == "__main__":
    main()
