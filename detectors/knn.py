#!/usr/bin/env python3
"""k-nearest-neighbour distance: an example external detector for this harness.

The harness runs it once per experiment as

    python3 detectors/knn.py FOLDER

FOLDER holds train.npy and test.npy (float32, one flattened image per row,
pixels in [0, 1]), params.json (this detector reads "k", default 5) and
experiment.json. It writes FOLDER/scores.npy: for each test image the
Euclidean distance to its k-th nearest training image, higher meaning more
anomalous. Only NumPy is needed.
"""
import json
import os
import sys

import numpy as np


def kth_distance(train, test, k, chunk=1000):
    """Distance from each row of test to its k-th nearest row of train."""
    train = train.astype(np.float64)
    train_sq = np.einsum("ij,ij->i", train, train)
    out = np.empty(len(test))
    for start in range(0, len(test), chunk):
        block = test[start:start + chunk].astype(np.float64)
        d2 = np.einsum("ij,ij->i", block, block)[:, None] + train_sq[None, :] - 2.0 * block @ train.T
        out[start:start + chunk] = np.sqrt(np.maximum(np.partition(d2, k - 1, axis=1)[:, k - 1], 0.0))
    return out


def main(folder):
    with open(os.path.join(folder, "params.json")) as f:
        params = json.load(f)
    k = int(params.get("k", 5))
    train = np.load(os.path.join(folder, "train.npy"))
    test = np.load(os.path.join(folder, "test.npy"))
    if not 1 <= k <= len(train):
        sys.exit(f"knn.py: k = {k} must be in 1..{len(train)} (the training set's size)")
    np.save(os.path.join(folder, "scores.npy"), kth_distance(train, test, k))
    with open(os.path.join(folder, "info.json"), "w") as f:
        json.dump({"k": str(k), "numpy": np.__version__}, f)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: knn.py FOLDER")
    main(sys.argv[-1])
