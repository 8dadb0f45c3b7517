"""Our tensors (package model's names and NHWC layouts, as .npy files named
after the tensor with "/" → "_") ↔ the PyTorch modules of nets.py:
  conv [k,k,in,out]   → Conv2d [out,in,k,k]
  equivalent conv     → ConvTranspose2d [in,out,k,k], kernel flipped
  dense [in,out]      → Linear [out,in]; after a flatten the inputs are
                        reordered from H×W×C to C×H×W, and before the
                        decoder's reshape to 4×4×C the outputs likewise.
"""
import glob
import os

import numpy as np
import torch


def ours(d, prefix):
    """Our tensors under prefix ("enc/", "dec/"), grouped by kind, in layer order."""
    out = {"conv": [], "dense": [], "bn": []}
    names = {}
    for f in glob.glob(os.path.join(d, prefix.replace("/", "_") + "*.npy")):
        name = os.path.basename(f)[:-4]
        layer, kind = name[len(prefix):].split(".", 1)
        names.setdefault(int(layer), {})[kind] = np.load(f)
    for layer in sorted(names):
        t = names[layer]
        if "conv" in t:
            out["conv"].append(t["conv"])
        elif "dense" in t:
            out["dense"].append(t["dense"])
        else:
            out["bn"].append((t["bn.mean"], t["bn.var"]))
    return out


def hwc_to_chw(h, w, c):
    """perm[j'] = j: the H×W×C index of the C×H×W index j'."""
    return np.array([(y * w + x) * c + ch for ch in range(c) for y in range(h) for x in range(w)])


class Mapping:
    """Our tensors ↔ the PyTorch modules, both directions."""

    def __init__(self, fm):
        self.fm = fm
        c0 = 8 if fm else 2
        c2 = 32 if fm else 4
        self.flat = hwc_to_chw(7, 7, c2)  # encoder's flatten
        self.unflat = hwc_to_chw(4, 4, c0)  # decoder's reshape

    def pairs(self, ae, t_enc, t_dec):
        """(module weight or buffer, our array converted) pairs."""
        e, d = ae.encoder, ae.decoder
        out = [(e.trunk.conv1.weight, conv(t_enc["conv"][0])), (e.trunk.conv2.weight, conv(t_enc["conv"][1]))]
        out += bn_pairs(e.trunk.bn1, t_enc["bn"][0]) + bn_pairs(e.trunk.bn2, t_enc["bn"][1])
        if self.fm:
            out += [(e.fc1.weight, t_enc["dense"][0][self.flat].T), (e.fc2.weight, t_enc["dense"][1].T)]
            out += bn_pairs(e.bn, t_enc["bn"][2])
            out += [(d.fc.weight, t_dec["dense"][0][:, self.unflat].T)]
            m, v = t_dec["bn"][0]
            out += bn_pairs(d.bn0, (m[self.unflat], v[self.unflat]))
            dec_bn = t_dec["bn"][1:]
        else:
            out += [(e.fc1.weight, t_enc["dense"][0][self.flat][:, self.unflat].T)]
            dec_bn = t_dec["bn"]
        out += [(d.d1.weight, deconv(t_dec["conv"][0])), (d.d2.weight, deconv(t_dec["conv"][1])),
                (d.d3.weight, deconv(t_dec["conv"][2]))]
        out += bn_pairs(d.bn1, dec_bn[0]) + bn_pairs(d.bn2, dec_bn[1])
        return out


def conv(w):
    return w.transpose(3, 2, 0, 1)


def deconv(w):
    return w[::-1, ::-1].transpose(2, 3, 0, 1)


def bn_pairs(module, stats):
    return [(module.running_mean, stats[0]), (module.running_var, stats[1])]


def load_into(ae, fm, d):
    """Copies our tensors in folder d into the autoencoder ae."""
    with torch.no_grad():
        for param, value in Mapping(fm).pairs(ae, ours(d, "enc/"), ours(d, "dec/")):
            assert tuple(param.shape) == value.shape, (tuple(param.shape), value.shape)
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)))


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
