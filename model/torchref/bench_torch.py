#!/usr/bin/env python3
"""PyTorch CPU reference speed for the networks of package model.

Trains the identical networks (Deep SAD LeNet autoencoders, bias-free, batch
norm without affine parameters and eps 1e-4, LeakyReLU 0.1, D_l and D_s) with
the same step structure as model/train.go on random images, and prints one
JSON line of samples/s. `go run ./experiments bench --torch` runs it beside
our numbers. Needs Debian's python3-torch.

    python3 model/torchref/bench_torch.py --dataset mnist --batch 128 --steps 10 --threads 1
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

SLOPE = 0.1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nets import Decoder, Encoder, SampleDisc, latent_disc  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    fm = a.dataset == "fmnist"
    d = 64 if fm else 32
    enc, dec, dl, ds = Encoder(fm, SLOPE), Decoder(fm, SLOPE), latent_disc(d, SLOPE), SampleDisc(fm, SLOPE)
    ae_opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=0.01, weight_decay=5e-7)
    gen_opt = torch.optim.Adam(dec.parameters(), lr=0.01, betas=(0.5, 0.999))
    dl_opt = torch.optim.Adam(dl.parameters(), lr=0.01, betas=(0.5, 0.999))
    ds_opt = torch.optim.Adam(ds.parameters(), lr=0.01, betas=(0.5, 0.999))
    x = torch.rand(a.batch, 1, 28, 28)
    mu = torch.zeros(d)
    k = 13
    bce = F.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(a.batch, 1), torch.zeros(a.batch, 1)

    def cae_step():
        ae_opt.zero_grad()
        loss = ((dec(enc(x)) - x) ** 2).mean()
        loss.backward()
        ae_opt.step()

    def ncae_step():
        nonlocal mu
        omega = mu + 0.1 * torch.randn(a.batch, d)
        gen_opt.zero_grad()
        xg = dec(omega)
        bce(ds(xg), ones).backward()
        gen_opt.step()
        ds_opt.zero_grad()
        xg = xg.detach()
        (bce(ds(x), ones) + bce(ds(xg), zeros)).backward()
        ds_opt.step()
        ae_opt.zero_grad()
        z = enc(x)
        xr = dec(z)
        adv = bce(dl(z), ones)
        with torch.no_grad():
            zg = enc(xg)
            cos = F.normalize(z, dim=1) @ F.normalize(zg, dim=1).T
            mined = torch.zeros(a.batch)
            mined[cos.mean(1).argsort()[:k]] = 1
            target = xg[cos.argmax(1)]
        err_own = ((x - xr) ** 2).flatten(1).mean(1)
        err_cal = ((xr - target) ** 2).flatten(1).mean(1)
        (adv + ((1 - mined) * err_own + mined * err_cal).mean()).backward()
        ae_opt.step()
        dl_opt.zero_grad()
        zc = z.detach()
        (bce(dl(mu + torch.randn(a.batch, d)), ones) + bce(dl(zc), zeros)).backward()
        dl_opt.step()
        mu = mu - 0.01 * (mu - zc.mean(0))

    out = {"dataset": a.dataset, "batch": a.batch, "threads": a.threads, "torch": torch.__version__}
    for name, fn in (("cae step", cae_step), ("ncae step", ncae_step)):
        fn()
        t = time.perf_counter()
        for _ in range(a.steps):
            fn()
        out[name] = a.batch * a.steps / (time.perf_counter() - t)
    enc.eval(), dec.eval()
    xs = torch.rand(250, 1, 28, 28)
    with torch.no_grad():
        ((dec(enc(xs)) - xs) ** 2).flatten(1).mean(1)
        t = time.perf_counter()
        for _ in range(a.steps):
            ((dec(enc(xs)) - xs) ** 2).flatten(1).mean(1)
        out["inference"] = 250 * a.steps / (time.perf_counter() - t)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
