#!/usr/bin/env python3
"""Two reference scores for the gan-rate study, run as external detectors.

The harness runs it once per experiment as

    python3 results/studies/gan-rate/templates.py FOLDER

and it writes FOLDER/scores.npy from FOLDER/train.npy and FOLDER/test.npy
(float32, one flattened image per row, pixels in [0, 1]). params.json's
"score" picks what it computes, higher meaning more anomalous:

  "mean": the squared distance to the training set's mean image — the error
          of an autoencoder that reconstructs every image as the same
          template;
  "ink":  the image's squared norm (the sum of its squared pixels), blind to
          the training set — the error of an autoencoder that reconstructs
          every image as black.

Neither is a detector we propose: they are the two ends a reconstruction
error falls back to when the autoencoder learns little. Only NumPy is needed.
"""
import json
import os
import sys

import numpy as np


def main():
    folder = sys.argv[-1]
    with open(os.path.join(folder, "params.json")) as f:
        score = json.load(f).get("score", "mean")
    test = np.load(os.path.join(folder, "test.npy")).astype(np.float64)
    if score == "mean":
        train = np.load(os.path.join(folder, "train.npy")).astype(np.float64)
        scores = ((test - train.mean(axis=0)) ** 2).sum(axis=1)
    elif score == "ink":
        scores = (test ** 2).sum(axis=1)
    else:
        sys.exit(f"templates.py: params.json: score {score!r}: want \"mean\" or \"ink\"")
    np.save(os.path.join(folder, "scores.npy"), scores)


if __name__ == "__main__":
    main()
