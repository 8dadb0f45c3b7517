#!/usr/bin/env python3
"""Runs scikit-learn's OneClassSVM, IsolationForest and KernelDensity with Deep
SAD's settings on one experiment exported by `go run ./baselines/crosscheck`,
and prints one JSON line per method: AUC, seconds, selected hyper-parameter.

Needs Debian's python3-sklearn (run it with /usr/bin/python3).
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity
from sklearn.svm import OneClassSVM


def main(folder, methods, repeats):
    X = np.load(f"{folder}/train.npy").astype(np.float64) / 255.0
    T = np.load(f"{folder}/test.npy").astype(np.float64) / 255.0
    y = np.load(f"{folder}/test_labels.npy").astype(np.int64)
    val = np.load(f"{folder}/validation.npy").astype(np.int64)
    for method in methods:
        start = time.perf_counter()
        out = {"method": method}
        if method == "ocsvm":
            # Deep SAD: one model per gamma, keep the best AUC on the hold-out.
            best_auc, best = -1.0, None
            curve = []
            for gamma in np.logspace(-7, 2, num=10, base=2):
                m = OneClassSVM(kernel="rbf", nu=0.1, gamma=gamma).fit(X)
                auc = roc_auc_score(y[val], -m.decision_function(T[val]))
                curve.append(round(auc, 4))
                if auc > best_auc:
                    best_auc, best, out["gamma"] = auc, m, float(gamma)
            scores = -best.decision_function(T)
            out["val_auc"] = curve
            out["n_sv"] = int(len(best.support_))
        elif method == "iforest":
            # Random: fit with several seeds, report the mean (and one fit's time).
            aucs = []
            for seed in range(max(repeats, 1)):
                m = IsolationForest(n_estimators=100, max_samples=256, contamination=0.1,
                                    random_state=seed, n_jobs=-1).fit(X)
                scores = -m.decision_function(T)
                if seed == 0:
                    out["seconds"] = time.perf_counter() - start
                aucs.append(roc_auc_score(y, scores))
            out["auc"] = float(np.mean(aucs))
            out["auc_std"] = float(np.std(aucs, ddof=1)) if len(aucs) > 1 else 0.0
            print(json.dumps(out), flush=True)
            continue
        elif method == "kde":
            grid = {"bandwidth": np.logspace(0.5, 5, num=10, base=2)}
            search = GridSearchCV(KernelDensity(kernel="gaussian"), grid, cv=5, n_jobs=-1).fit(X)
            out["bandwidth"] = float(search.best_params_["bandwidth"])
            out["cv_loglik"] = [round(float(s), 1) for s in search.cv_results_["mean_test_score"]]
            scores = -search.best_estimator_.score_samples(T)
        else:
            raise SystemExit(f"unknown method {method}")
        out["auc"] = float(roc_auc_score(y, scores))
        out["seconds"] = time.perf_counter() - start
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: sklearn_baselines.py FOLDER METHODS(comma-separated) REPEATS")
    main(sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]))
