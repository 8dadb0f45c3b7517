#!/usr/bin/env python3
"""Paired parity runs: our Go CAE against the PyTorch reference trainer
(train_ref.py) on the same exported training sets.

For every experiment key (data set, normal class, ρ, replicate seed) it
exports the experiment once (`experiments export`), trains our CAE on it
(`experiments run`, one worker) and the reference (one thread), two
processes at a time, and appends one CSV row per side to --out; rows
already there are not run again, so an interrupted run resumes. Then it
prints, per (variant, data set, class, ρ), the paired mean AUC difference
Go − PyTorch with its standard error.

    python3 model/torchref/parity.py --dataset mnist --normals 0 --rhos 0.1 \
        --seeds 0-7 --out results/studies/parity/cae.csv

--go-set KEY=VALUE (repeatable) and --torch-args "…" change one side, and
--variant names the result rows of such a change; a variant that runs one
side only (--sides) is paired with the other side's "default" rows.
--shared-start makes PyTorch start from our initial weights and batch
order (`experiments export --start METHOD`; for NCAE also μ₀'s batches and
every step's prior draws), so the two sides differ in their training code
only.

    python3 model/torchref/parity.py --summary FILE
    python3 model/torchref/parity.py --contrast BASE FILE

    python3 model/torchref/parity.py --pair SIDE/VARIANT SIDE/VARIANT FILE

print the Go − PyTorch table of FILE (each variant against the other
side's "default" where it ran one side only), every PyTorch variant's
paired difference from the PyTorch variant BASE, or the paired difference
of any two variants (same seeds and cells).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIELDS = ["variant", "side", "dataset", "normal", "rho", "seed", "auc", "loss", "train_seconds", "detail"]


def seeds_of(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            out.extend(range(int(lo), int(hi) + 1))
        elif part:
            out.append(int(part))
    return out


def recipe_sets(a):
    m = a.method
    sets = ["%s.epochs=%d" % (m, a.epochs), "%s.lr=%g" % (m, a.lr), "%s.weight_decay=%g" % (m, a.weight_decay),
            "%s.leaky_slope=%g" % (m, a.slope)]
    if m == "ncae-code":
        # the rest of ncae-code's defaults are the released code's already
        sets += ["%s.gan_lr=%g" % (m, a.gan_lr)]
    return sets


def key_args(ds, c, rho, s):
    return ["--dataset", ds, "--normal", str(c), "--rho", str(rho), "--seed", str(s)]


def run_go(a, ds, c, rho, s, tmp):
    cmd = [a.experiments, "run", "--preset", "paper", "--method", a.method, "--backend", "cpu:workers=1",
           "--results-dir", os.path.join(tmp, "results"), "--plots-dir", os.path.join(tmp, "plots")]
    cmd += key_args(ds, c, rho, s)
    for kv in recipe_sets(a) + a.go_set:
        cmd += ["--set", kv]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {"auc": r["auc"], "loss": float(r["info"]["loss"]), "train_seconds": r["train_seconds"],
            "detail": "%s %s" % (r["config_hash"], r["backend"])}


def run_torch(a, ds, c, rho, s, expdir):
    cmd = [a.python, os.path.join(HERE, "train_ref.py"), expdir, "--method", a.method, "--seed", str(s), "--epochs", str(a.epochs),
           "--lr", str(a.lr), "--weight-decay", str(a.weight_decay), "--slope", str(a.slope), "--threads", "1"]
    if a.method == "ncae-code":
        cmd += ["--gan-lr", str(a.gan_lr)]
    if a.shared_start:
        start = os.path.join(expdir, "start")
        cmd += ["--init-from", start, "--order-from", os.path.join(start, "order.npy")]
    cmd += [arg.replace("{start}", os.path.join(expdir, "start")) for arg in a.torch_args.split()]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {"auc": r["auc"], "loss": r["loss"], "train_seconds": r["train_seconds"], "detail": "torch " + r["torch"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--method", default="cae", choices=["cae", "ncae-code"])
    ap.add_argument("--gan-lr", type=float, default=5e-4, help="ncae-code: the GAN parts' rate")
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--normals", default="0")
    ap.add_argument("--rhos", default="0.1")
    ap.add_argument("--seeds", default="0-7")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-6)
    ap.add_argument("--slope", type=float, default=0.01)
    ap.add_argument("--go-set", action="append", default=[], help="extra --set for the Go side")
    ap.add_argument("--torch-args", default="", help="extra flags for train_ref.py; {start} is the exported start folder")
    ap.add_argument("--variant", default="default", help="name of this configuration in the CSV")
    ap.add_argument("--sides", default="go,torch", help="which sides to run: go, torch or both")
    ap.add_argument("--shared-start", action="store_true", help="PyTorch starts from our initial weights and batch order")
    ap.add_argument("--out", required=True, help="CSV file the rows are appended to")
    ap.add_argument("--experiments", default=os.path.join(ROOT, ".bin", "experiments"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    if not os.path.exists(a.experiments):
        sys.exit("parity: %s missing: build it with 'go build -o .bin/experiments ./experiments'" % a.experiments)

    done = set()
    if os.path.exists(a.out):
        with open(a.out) as f:
            for r in csv.DictReader(f):
                done.add((r["variant"], r["side"], r["dataset"], r["normal"], r["rho"], r["seed"]))
    else:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w", newline="") as f:
            csv.writer(f).writerow(FIELDS)

    tmp = tempfile.mkdtemp(prefix="parity-")
    tasks = []
    for c in seeds_of(a.normals):
        for rho in a.rhos.split(","):
            for s in seeds_of(a.seeds):
                for side in a.sides.split(","):
                    if (a.variant, side, a.dataset, str(c), rho, str(s)) not in done:
                        tasks.append((side, a.dataset, c, rho, s))

    def do(t):
        side, ds, c, rho, s = t
        expdir = os.path.join(tmp, "%s-c%d-rho%s-s%d" % (ds, c, rho, s))
        if side == "torch":
            if not os.path.exists(os.path.join(expdir, "experiment.json")):
                cmd = [a.experiments, "export", "--preset", "paper", "--start", a.method] + key_args(ds, c, rho, s)
                for kv in recipe_sets(a) + a.go_set:
                    cmd += ["--set", kv]
                subprocess.run(cmd + [expdir], check=True, capture_output=True)
            r = run_torch(a, ds, c, rho, s, expdir)
        else:
            r = run_go(a, ds, c, rho, s, os.path.join(tmp, "go-%s-c%d-rho%s-s%d" % (ds, c, rho, s)))
        return t, r

    print("parity: %d runs to do (%s)" % (len(tasks), a.variant), file=sys.stderr)
    with ThreadPoolExecutor(a.jobs) as pool:
        for i, (t, r) in enumerate(pool.map(do, tasks)):
            side, ds, c, rho, s = t
            with open(a.out, "a", newline="") as f:
                csv.writer(f).writerow([a.variant, side, ds, c, rho, s, "%.6f" % r["auc"], "%.6f" % r["loss"],
                                        r["train_seconds"], r["detail"]])
            print("parity: %d/%d %s %s c%d ρ=%s s%d AUC %.4f loss %.5f (%.0f s)" % (
                i + 1, len(tasks), a.variant, side, c, rho, s, r["auc"], r["loss"], r["train_seconds"]),
                file=sys.stderr)
    summarise(a.out)


def print_pairs(header, cells):
    """Prints a Markdown table under header (a list of column names): one
    row per cell key (its fields first), with n, both means and the mean
    paired difference in points ± its standard error."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for k in sorted(cells):
        pairs = cells[k]
        n = len(pairs)
        d = [100 * (x - y) for x, y in pairs]
        mean = sum(d) / n
        se = math.sqrt(sum((z - mean) ** 2 for z in d) / (n - 1) / n) if n > 1 else float("nan")
        print("| %s | %d | %.2f | %.2f | %+.2f ± %.2f |" % (
            " | ".join(k), n, 100 * sum(x for x, _ in pairs) / n, 100 * sum(y for _, y in pairs) / n, mean, se))


def summarise(path):
    """Prints the paired Go − PyTorch AUC difference per variant and cell.
    A variant with one side only is paired with the other side's default."""
    rows = list(csv.DictReader(open(path)))
    auc = {}
    for r in rows:
        auc[(r["side"], r["variant"], r["dataset"], r["normal"], r["rho"], r["seed"])] = float(r["auc"])
    cells = {}
    for v in sorted({r["variant"] for r in rows}):
        for r in rows:
            if r["variant"] != v or (r["side"] == "torch" and ("go", v) + tuple(r[k] for k in ("dataset", "normal", "rho", "seed")) in auc):
                continue
            rest = tuple(r[k] for k in ("dataset", "normal", "rho", "seed"))
            other = "torch" if r["side"] == "go" else "go"
            o = auc.get((other, v) + rest, auc.get((other, "default") + rest))
            if o is None:
                continue
            g, t = (float(r["auc"]), o) if r["side"] == "go" else (o, float(r["auc"]))
            cells.setdefault((v,) + rest[:3], []).append((g, t))
    print_pairs(["variant", "data set", "class", "ρ", "n", "Go mean", "PyTorch mean", "paired Go − PyTorch (points) ± SE"], cells)


def contrast(path, base, side="torch"):
    """Prints, for every variant of side, its paired AUC difference from the
    variant base on the same side, seeds and cells (the effect of what the
    two variants' settings differ in)."""
    rows = [r for r in csv.DictReader(open(path)) if r["side"] == side]
    auc = {(r["variant"],) + tuple(r[k] for k in ("dataset", "normal", "rho", "seed")): float(r["auc"]) for r in rows}
    cells = {}
    for (v, *rest), a in auc.items():
        b = auc.get((base,) + tuple(rest))
        if v != base and b is not None:
            cells.setdefault((v,) + tuple(rest[:3]), []).append((a, b))
    print_pairs(["%s variant" % side, "data set", "class", "ρ", "n", "variant mean", "%s mean" % base,
                 "paired variant − %s (points) ± SE" % base], cells)


def pair(path, a, b):
    """Prints the paired AUC difference a − b per cell, a and b each
    "side/variant" (e.g. go/go-code-step torch/torch-code-step), paired by
    data set, class, ρ and seed."""
    rows = list(csv.DictReader(open(path)))
    auc = {(r["side"] + "/" + r["variant"],) + tuple(r[k] for k in ("dataset", "normal", "rho", "seed")): float(r["auc"])
           for r in rows}
    cells = {}
    for (v, *rest), x in auc.items():
        y = auc.get((b,) + tuple(rest))
        if v == a and y is not None:
            cells.setdefault(tuple(rest[:3]), []).append((x, y))
    if not cells:
        sys.exit("parity: no pairs of %s and %s in %s (name them side/variant)" % (a, b, path))
    print_pairs(["data set", "class", "ρ", "n", a + " mean", b + " mean", "paired %s − %s (points) ± SE" % (a, b)], cells)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--summary":
        summarise(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "--contrast":
        contrast(sys.argv[3], sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "--pair":
        pair(sys.argv[4], sys.argv[2], sys.argv[3])
    else:
        main()
