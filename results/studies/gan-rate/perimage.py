#!/usr/bin/env python3
"""Per-image check of the gan-rate study: does a run's anomaly score follow
an image's ink (its squared norm) or its distance to the mean training image?

    python3 results/studies/gan-rate/perimage.py FOLDER

FOLDER holds, for each run, DATASET-cC-rhoR-METHOD.npy (the test scores,
`experiments run ... --scores`) and, for each experiment, exp-DATASET-cC-rhoR/
(`experiments export`: test.npy, test_labels.npy, train.npy). README.md here
gives the commands. Prints the run's AUC and Spearman's r of its scores with
each reference score, over all test images and over the normal and anomalous
ones apart. Needs NumPy and SciPy.
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


def main():
    folder = sys.argv[-1]
    print("| run | AUC % | ink: r all / normal / anomalies | template: r all / normal / anomalies |")
    print("|---|---|---|---|")
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
        for ref in refs.values():
            rs = [spearmanr(scores[sel], ref[sel])[0] for sel in (slice(None), ~anomalous, anomalous)]
            cells.append(" / ".join("%+.2f" % r for r in rs))
        print("| %s %s | %.1f | %s |" % (m["exp"], m["method"], 100 * auc(scores, anomalous), " | ".join(cells)))


if __name__ == "__main__":
    main()
