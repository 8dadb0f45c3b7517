"""The networks of package model in PyTorch: Deep SAD's LeNet autoencoders
(bias-free, batch norm eps 1e-4 without affine parameters, nearest-neighbour
upsampling and stride-1 transposed convolutions), the latent discriminator
D_l and the sample discriminator D_s. Written for this project from the
published architecture; `slope` is LeakyReLU's negative slope.

The layers are PyTorch's own, so their default initialisation is PyTorch's:
U(±1/sqrt(fan_in)) with the fan-in of a ConvTranspose2d taken from its
*output* channels (weight shape in × out × k × k).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def bn(c, dims=2):
    return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(c, eps=1e-4, affine=False)


class Trunk(nn.Module):
    """Two conv5 → BN → LeakyReLU → max-pool 2 blocks, flattened."""

    def __init__(self, c1, c2, slope):
        super().__init__()
        self.slope = slope
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 5, bias=False, padding=2), bn(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 5, bias=False, padding=2), bn(c2)

    def forward(self, x):
        x = F.max_pool2d(F.leaky_relu(self.bn1(self.conv1(x)), self.slope), 2)
        x = F.max_pool2d(F.leaky_relu(self.bn2(self.conv2(x)), self.slope), 2)
        return x.flatten(1)


class Encoder(nn.Module):
    def __init__(self, fmnist, slope):
        super().__init__()
        self.fmnist, self.slope = fmnist, slope
        if fmnist:
            self.trunk = Trunk(16, 32, slope)
            self.fc1, self.bn = nn.Linear(1568, 128, bias=False), bn(128, 1)
            self.fc2 = nn.Linear(128, 64, bias=False)
        else:
            self.trunk = Trunk(8, 4, slope)
            self.fc1 = nn.Linear(196, 32, bias=False)

    def forward(self, x):
        x = self.trunk(x)
        if self.fmnist:
            return self.fc2(F.leaky_relu(self.bn(self.fc1(x)), self.slope))
        return self.fc1(x)


class Decoder(nn.Module):
    def __init__(self, fmnist, slope):
        super().__init__()
        self.fmnist, self.slope = fmnist, slope
        if fmnist:
            self.fc, self.bn0 = nn.Linear(64, 128, bias=False), bn(128, 1)
            c0, c1, c2 = 8, 32, 16
        else:
            c0, c1, c2 = 2, 4, 8
        self.c0 = c0
        self.d1, self.bn1 = nn.ConvTranspose2d(c0, c1, 5, bias=False, padding=2), bn(c1)
        self.d2, self.bn2 = nn.ConvTranspose2d(c1, c2, 5, bias=False, padding=3), bn(c2)
        self.d3 = nn.ConvTranspose2d(c2, 1, 5, bias=False, padding=2)

    def forward(self, z):
        s = self.slope
        if self.fmnist:
            z = self.bn0(self.fc(z))
        x = z.view(z.size(0), self.c0, 4, 4)
        x = F.interpolate(F.leaky_relu(x, s), scale_factor=2)
        x = F.interpolate(F.leaky_relu(self.bn1(self.d1(x)), s), scale_factor=2)
        x = F.interpolate(F.leaky_relu(self.bn2(self.d2(x)), s), scale_factor=2)
        return torch.sigmoid(self.d3(x))


class Autoencoder(nn.Module):
    def __init__(self, fmnist, slope):
        super().__init__()
        self.encoder, self.decoder = Encoder(fmnist, slope), Decoder(fmnist, slope)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def latent_disc(d, slope):
    """D_l: d → 128 → 64 → 64 (BN, LeakyReLU each) → one logit."""
    return nn.Sequential(nn.Linear(d, 128, bias=False), bn(128, 1), nn.LeakyReLU(slope),
                         nn.Linear(128, 64, bias=False), bn(64, 1), nn.LeakyReLU(slope),
                         nn.Linear(64, 64, bias=False), bn(64, 1), nn.LeakyReLU(slope),
                         nn.Linear(64, 1, bias=False))


class SampleDisc(nn.Module):
    """D_s: the encoder's conv trunk → dense 32, LeakyReLU → one logit."""

    def __init__(self, fmnist, slope):
        super().__init__()
        self.slope = slope
        self.trunk = Trunk(16, 32, slope) if fmnist else Trunk(8, 4, slope)
        self.fc1 = nn.Linear(1568 if fmnist else 196, 32, bias=False)
        self.fc2 = nn.Linear(32, 1, bias=False)

    def forward(self, x):
        return self.fc2(F.leaky_relu(self.fc1(self.trunk(x)), self.slope))


def conv_style_init(decoder, generator):
    """Re-draws the decoder's transposed-convolution weights with the fan-in
    taken from their *input* channels, as a convolution written in the
    equivalent layout (package model's `torch_init = false`) has it."""
    for m in decoder.modules():
        if isinstance(m, nn.ConvTranspose2d):
            fan_in = m.weight.shape[0] * m.weight.shape[2] * m.weight.shape[3]
            with torch.no_grad():
                m.weight.uniform_(-fan_in ** -0.5, fan_in ** -0.5, generator=generator)


class CodeLatentDisc(nn.Module):
    """The released NCAE code's D_l: d → 128 → 64 → 64 (Linear, BN, LeakyReLU
    each), then two logits for its 2-class cross-entropy."""

    def __init__(self, d, slope):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d, 128, bias=False), bn(128, 1), nn.LeakyReLU(slope),
                                  nn.Linear(128, 64, bias=False), bn(64, 1), nn.LeakyReLU(slope),
                                  nn.Linear(64, 64, bias=False), bn(64, 1), nn.LeakyReLU(slope))
        self.fc = nn.Linear(64, 2, bias=False)

    def forward(self, z):
        return self.fc(self.body(z))


class CodeSampleDisc(SampleDisc):
    """The released NCAE code's D_s: SampleDisc with two logits."""

    def __init__(self, fmnist, slope):
        super().__init__(fmnist, slope)
        self.fc2 = nn.Linear(32, 2, bias=False)
