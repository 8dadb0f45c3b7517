#!/usr/bin/env python3
"""Takes the steps model/torchref_test.go took, in PyTorch, from the same
weights, and prints how far apart the two sides are (one JSON line).

DIR holds init/ and after/ (our tensors by name, .npy, NHWC layouts),
batches.npy (steps × m × 1 × 28 × 28 floats), test.npy (uint8 images to
score), go_losses.npy and go_scores.npy; with --method ncae-code (the
released code's NCAE step, TestNCAECodeStepsMatchPyTorch) also
eps_gen.npy (steps × m × d prior draws), go_mu0.npy and go_mu.npy. The weights are loaded into the
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
from golayout import Mapping, bn_pairs, conv, load_into, ours  # noqa: E402


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.sqrt(np.mean((a - b) ** 2)) / max(np.sqrt(np.mean(b ** 2)), 1e-12))


def load_sample_disc(d_s, fm, d):
    """Copies our D_s tensors ("ds/") in folder d into d_s (nets.SampleDisc
    or CodeSampleDisc): the encoder's trunk layouts, then two dense layers."""
    t = ours(d, "ds/")
    flat = Mapping(fm).flat
    pairs = [(d_s.trunk.conv1.weight, conv(t["conv"][0])), (d_s.trunk.conv2.weight, conv(t["conv"][1])),
             (d_s.fc1.weight, t["dense"][0][flat].T), (d_s.fc2.weight, t["dense"][1].T)]
    pairs += bn_pairs(d_s.trunk.bn1, t["bn"][0]) + bn_pairs(d_s.trunk.bn2, t["bn"][1])
    with torch.no_grad():
        for param, value in pairs:
            assert tuple(param.shape) == value.shape, (tuple(param.shape), value.shape)
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return pairs


def check_ncae_code(a):
    """The steps TestNCAECodeStepsMatchPyTorch took, as the released code's
    trainer takes them (train_ref.py's train_ncae_code, its defaults: every
    pass moves the batch-norm statistics, μ₀ in eval mode with the ±0.1
    push, D_s's fake batch regenerated, μ twice from the updated encoder,
    two-logit discriminators). D_l is left out: its term has no gradient
    into the autoencoder (the code computes it on the prior noise)."""
    fm = a.dataset == "fmnist"
    ae = nets.Autoencoder(fm, a.slope)
    d_s = nets.CodeSampleDisc(fm, a.slope)
    load_into(ae, fm, os.path.join(a.dir, "init"))
    load_sample_disc(d_s, fm, os.path.join(a.dir, "init"))
    batches = torch.from_numpy(np.load(os.path.join(a.dir, "batches.npy")))
    # Our latent is PyTorch's permuted (on MNIST the decoder's 4×4×C reshape
    # is absorbed into the encoder's dense layer): PyTorch's coordinate j is
    # our to_torch[j].
    to_torch = Mapping(fm).unflat if not fm else np.arange(64)
    eps_gen = torch.from_numpy(np.load(os.path.join(a.dir, "eps_gen.npy"))[..., to_torch].copy())
    ae.encoder.eval()
    with torch.no_grad():
        mu = torch.cat([ae.encoder(x) for x in batches]).mean(0)
    mu[(mu.abs() < 0.1) & (mu < 0)] = -0.1
    mu[(mu.abs() < 0.1) & (mu > 0)] = 0.1
    mu0 = mu.clone()
    ae.train()
    opt = torch.optim.Adam(ae.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    opt_g = torch.optim.Adam(ae.decoder.parameters(), lr=a.gan_lr, betas=(0.5, 0.999))
    opt_s = torch.optim.Adam(d_s.parameters(), lr=a.gan_lr, betas=(0.5, 0.999))
    ce = F.cross_entropy
    losses = []
    for x, eps in zip(batches, eps_gen):
        m = x.size(0)
        real, fake = torch.ones(m, dtype=torch.long), torch.zeros(m, dtype=torch.long)
        noise = mu + a.sigma * eps
        opt_g.zero_grad()
        gen_loss = ce(d_s(ae.decoder(noise)), real)
        gen_loss.backward()
        opt_g.step()
        opt_s.zero_grad()
        ds_real = ce(d_s(x), real)
        ds_real.backward()
        xg = ae.decoder(noise)
        ds_fake = ce(d_s(xg.detach()), fake)
        ds_fake.backward()
        opt_s.step()
        opt.zero_grad()
        with torch.no_grad():
            ae.decoder(ae.encoder(xg.detach()))
        loss = F.mse_loss(ae(x), x)
        (a.rec_weight * loss).backward()
        opt.step()
        with torch.no_grad():
            z = ae.encoder(x)
            mu = mu - a.lr * (mu - z).mean()
            mu = mu - a.lr * (mu - z).mean()
        losses.append([gen_loss.item(), ds_real.item() + ds_fake.item(), loss.item()])
    after = os.path.join(a.dir, "after")
    weights = {}
    named = dict(list(ae.named_parameters()) + list(ae.named_buffers()))
    for param, value in Mapping(fm).pairs(ae, ours(after, "enc/"), ours(after, "dec/")):
        name = [n for n, p in named.items() if p is param][0]
        weights["ae." + name] = rel(value, param.detach().numpy())
    d_s_after = nets.CodeSampleDisc(fm, a.slope)  # our D_s after the steps, in PyTorch's layouts
    load_sample_disc(d_s_after, fm, after)
    named_s = dict(list(d_s.named_parameters()))
    named_after = dict(list(d_s_after.named_parameters()))
    for name, param in named_s.items():
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
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.method == "ncae-code":
        check_ncae_code(a)
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
