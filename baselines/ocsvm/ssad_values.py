#!/usr/bin/env python3
"""Prints the SSAD dual solutions pinned in ssad_test.go, solved with SciPy's
SLSQP (Debian's python3-scipy), independently of our SMO.

    /usr/bin/python3 baselines/ocsvm/ssad_values.py

The problem, in beta = y*alpha: minimise 0.5 beta' K beta subject to
sum(beta) = 1, sum over labelled of beta <= -kappa, 0 <= beta <= cu
(unlabelled) and -cn <= beta <= 0 (labelled anomalies); K = exp(-gamma d^2).
"""
import numpy as np
from scipy.optimize import minimize

rng = np.random.default_rng(2013)
normal = rng.normal(0, 1, (24, 2))
polluted = rng.normal(4, 0.5, (4, 2))
labelled = rng.normal(4, 0.5, (4, 2))
x = np.round(np.vstack([normal, polluted, labelled]), 3)
is_lab = np.array([False] * 28 + [True] * 4)


def solve(gamma, kappa, cu, cn, x=x, is_lab=is_lab):
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    K = np.exp(-gamma * d2)
    n = len(x)
    bounds = [(-cn, 0.0) if l else (0.0, cu) for l in is_lab]
    cons = [{"type": "eq", "fun": lambda b: b.sum() - 1, "jac": lambda b: np.ones(n)},
            {"type": "ineq", "fun": lambda b: -kappa - b[is_lab].sum(), "jac": lambda b: -is_lab.astype(float)}]
    b0 = np.where(is_lab, -kappa / is_lab.sum(), (1 + kappa) / (~is_lab).sum())
    res = minimize(lambda b: 0.5 * b @ K @ b, b0, jac=lambda b: K @ b, bounds=bounds, constraints=cons,
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 2000})
    assert res.success, res.message
    return res.fun, res.x


print("// points (x, y), the last 4 labelled anomalies")
print("{" + ", ".join("{%r, %r}" % (float(a), float(b)) for a, b in x) + "}")
for gamma, kappa, cu, cn in [(0.5, 1.0, 1.0, 1.0), (0.5, 1.0, 0.1, 1.0), (2.0, 0.5, 0.2, 0.3)]:
    f, b = solve(gamma, kappa, cu, cn)
    print("{%r, %r, %r, %r, %r, []float64{%s}}," % (gamma, kappa, cu, cn, float(f), ", ".join("%.6f" % v for v in b)))

# Labelled points among the normal ones: the labelled margin ends inactive
# (slack > 0), the case the first set never reaches.
rng = np.random.default_rng(7)
xc = np.round(np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(0, 0.2, (4, 2))]), 3)
lab_c = np.array([False] * 30 + [True] * 4)
print("// centre points, the last 4 labelled anomalies")
print("{" + ", ".join("{%r, %r}" % (float(a), float(b)) for a, b in xc) + "}")
for gamma, kappa, cu, cn in [(0.05, 1.0, 1.0, 1.0), (0.1, 0.5, 1.0, 1.0), (0.02, 1.0, 0.2, 0.7)]:
    f, b = solve(gamma, kappa, cu, cn, xc, lab_c)
    assert -kappa - b[lab_c].sum() > 1e-3, "margin active"
    print("{%r, %r, %r, %r, %r, []float64{%s}}," % (gamma, kappa, cu, cn, float(f), ", ".join("%.6f" % v for v in b)))
