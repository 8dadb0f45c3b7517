#!/usr/bin/env python3
"""Takes the steps model/torchref_test.go took, in PyTorch, from the same
weights, and prints how far apart the two sides are (one JSON line).

DIR holds init/ and after/ (our tensors by name, .npy, NHWC layouts),
batches.npy (steps × m × 1 × 28 × 28 floats), test.npy (uint8 images to
score), go_losses.npy and go_scores.npy. The weights are loaded into the
networks of nets.py with the layouts converted (golayout.py).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402
from golayout import Mapping, load_into, ours  # noqa: E402


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.sqrt(np.mean((a - b) ** 2)) / max(np.sqrt(np.mean(b ** 2)), 1e-12))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-6)
    ap.add_argument("--slope", type=float, default=0.01)
    a = ap.parse_args()
    torch.set_num_threads(1)
    fm = a.dataset == "fmnist"
    ae = nets.Autoencoder(fm, a.slope)
    mp = Mapping(fm)
    load_into(ae, fm, os.path.join(a.dir, "init"))
    opt = torch.optim.Adam(ae.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    ae.train()
    losses = []
    for x in torch.from_numpy(np.load(os.path.join(a.dir, "batches.npy"))):
        opt.zero_grad()
        loss = F.mse_loss(ae(x), x)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    after = lambda p: ours(os.path.join(a.dir, "after"), p)  # noqa: E731
    weights = {}
    for i, (param, value) in enumerate(mp.pairs(ae, after("enc/"), after("dec/"))):
        name = [n for n, p in list(ae.named_parameters()) + list(ae.named_buffers()) if p is param][0]
        weights[name] = rel(value, param.detach().numpy())
    ae.eval()
    test = torch.from_numpy(np.load(os.path.join(a.dir, "test.npy")).astype(np.float32) / 255)
    with torch.no_grad():
        scores = ((ae(test) - test) ** 2).flatten(1).mean(1).numpy()
    print(json.dumps({"loss_rel": rel(np.load(os.path.join(a.dir, "go_losses.npy")), losses),
                      "losses_torch": losses, "losses_go": np.load(os.path.join(a.dir, "go_losses.npy")).tolist(),
                      "weights_rel": weights,
                      "scores_rel": rel(np.load(os.path.join(a.dir, "go_scores.npy")), scores)}))


if __name__ == "__main__":
    main()
