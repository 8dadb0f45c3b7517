#!/usr/bin/env python3
"""scikit-learn's IsolationForest: an example external detector for this harness.

The harness runs it once per experiment as

    python3 detectors/iforest.py FOLDER

FOLDER holds train.npy and test.npy (float32, one flattened image per row,
pixels in [0, 1]), params.json (this detector reads "n_estimators", default
100, and "max_samples", default 256: Liu et al.'s and our Go isolation
forest's values) and experiment.json, whose "detector_seed" seeds the
forest so that a rerun gives the same scores. It writes FOLDER/scores.npy,
the negated score_samples (higher meaning more anomalous), and info.json.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest


def main(folder):
    with open(os.path.join(folder, "params.json")) as f:
        params = json.load(f)
    with open(os.path.join(folder, "experiment.json")) as f:
        experiment = json.load(f)
    train = np.load(os.path.join(folder, "train.npy"))
    test = np.load(os.path.join(folder, "test.npy"))
    forest = IsolationForest(
        n_estimators=int(params.get("n_estimators", 100)),
        max_samples=min(int(params.get("max_samples", 256)), len(train)),
        random_state=experiment["detector_seed"],
    ).fit(train)
    np.save(os.path.join(folder, "scores.npy"), -forest.score_samples(test))
    with open(os.path.join(folder, "info.json"), "w") as f:
        json.dump({"sklearn": sklearn.__version__}, f)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: iforest.py FOLDER")
    main(sys.argv[-1])
