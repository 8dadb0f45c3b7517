#!/usr/bin/env python3
"""Takes the steps model/torchref_test.go took, in PyTorch, from the same
weights, and prints how far apart the two sides are (one JSON line).

DIR holds init/ and after/ (our tensors by name, .npy, NHWC layouts),
batches.npy (steps × m × 1 × 28 × 28 floats), test.npy (uint8 images to
score), go_losses.npy and go_scores.npy; with --method ncae-code (the
released code's NCAE step, TestNCAECodeStepsMatchPyTorch) also
eps_gen.npy (steps × m × d prior draws), go_mu0.npy and go_mu.npy; the
step is train_ref.py's (NCAEStep), with --as-ours our step in PyTorch. The weights are loaded into the
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
import train_ref  # noqa: E402
from golayout import Mapping, load_into, load_sample_disc, ours  # noqa: E402


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.sqrt(np.mean((a - b) ** 2)) / max(np.sqrt(np.mean(b ** 2)), 1e-12))


def check_ncae(a):
    """The steps TestNCAEStepsMatchPyTorch took, with train_ref.py's NCAE
    step: the released code's (its defaults) or, with --as-ours, ours. D_l
    is left out: its terms have no gradient into the autoencoder in either
    step (the code computes the encoder's term on the prior noise; ours has
    adv_weight = 0 in these checks)."""
    fm = a.dataset == "fmnist"
    a.adam_eps = 1e-8
    a.bn_stats_recon_only = a.mu0_train = a.ds_fake_before = a.mu_once = a.one_logit = False
    if a.as_ours:
        train_ref.switches_as_ours(a)
    ae = nets.Autoencoder(fm, a.slope)
    _, d_s = train_ref.discriminators(a, fm)
    load_into(ae, fm, os.path.join(a.dir, "init"))
    load_sample_disc(d_s, fm, os.path.join(a.dir, "init"))
    batches = torch.from_numpy(np.load(os.path.join(a.dir, "batches.npy")))
    # Our latent is PyTorch's permuted (on MNIST the decoder's 4×4×C reshape
    # is absorbed into the encoder's dense layer): PyTorch's coordinate j is
    # our to_torch[j].
    to_torch = Mapping(fm).unflat if not fm else np.arange(64)
    eps_gen = torch.from_numpy(np.load(os.path.join(a.dir, "eps_gen.npy"))[..., to_torch].copy())
    mu = train_ref.initial_mu(a, ae, batches)
    mu0 = mu.clone()
    step = train_ref.NCAEStep(a, ae, d_s, None)
    losses = []
    for x, eps in zip(batches, eps_gen):
        loss, mu = step(x, mu + a.sigma * eps, mu, a.lr, None)
        losses.append(list(loss))
    after = os.path.join(a.dir, "after")
    weights = {}
    named = dict(list(ae.named_parameters()) + list(ae.named_buffers()))
    for param, value in Mapping(fm).pairs(ae, ours(after, "enc/"), ours(after, "dec/")):
        name = [n for n, p in named.items() if p is param][0]
        weights["ae." + name] = rel(value, param.detach().numpy())
    _, d_s_after = train_ref.discriminators(a, fm)  # our D_s after the steps, in PyTorch's layouts
    load_sample_disc(d_s_after, fm, after)
    named_after = dict(d_s_after.named_parameters())
    for name, param in d_s.named_parameters():
        weights["ds." + name] = rel(named_after[name].detach().numpy(), param.detach().numpy())
    ae.eval()
    test = torch.from_numpy(np.load(os.path.join(a.dir, "test.npy")).astype(np.float32) / 255)
    with torch.no_grad():
        scores = ((ae(test) - test) ** 2).flatten(1).mean(1).numpy()
    go = lambda name: np.load(os.path.join(a.dir, name))  # noqa: E731
    print(json.dumps({"mu0": rel(go("go_mu0.npy")[to_torch], mu0.numpy()), "loss": rel(go("go_losses.npy"), losses),
                      "mu": rel(go("go_mu.npy")[to_torch], mu.numpy()), "scores": rel(go("go_scores.npy"), scores),
                      "weights": weights, "losses_torch": losses, "losses_go": go("go_losses.npy").tolist()}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--method", default="cae", choices=["cae", "ncae-code"])
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--gan-lr", type=float, default=5e-4)
    ap.add_argument("--weight-decay", type=float, default=1e-6)
    ap.add_argument("--slope", type=float, default=0.01)
    ap.add_argument("--sigma", type=float, default=0.1)
    ap.add_argument("--rec-weight", type=float, default=0.1)
    ap.add_argument("--as-ours", action="store_true", help="ncae-code: train_ref.py's step with every switch to ours")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.method == "ncae-code":
        check_ncae(a)
        return
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
