#!/usr/bin/env python3
"""Times one AMDIM training step in plain PyTorch, as the reference point for the Java TrainStepBench.

It rebuilds the original model's compute (encoder on both views in one batch, the 1/5/7 embeddings, the
multi-scale NCE, the MLP and linear evaluation heads, backward, Adam) with stock PyTorch ops, so it runs the
same libtorch kernels the original code would. Use Debian's interpreter (/usr/bin/python3 with python3-torch,
libtorch 1.13.1) to compare on the same libtorch as the Java stack:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench/pytorch_train_step.py --batch 32 --threads 2

Pass --channels-last to see what that memory format alone does to stock PyTorch.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Unit(nn.Module):
    """conv2(relu(bn(conv1(x)))) + avg-pool shortcut with zero channels appended."""

    def __init__(self, cin, cout, k, s):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, k, s, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.k, self.s, self.extra = k, s, cout - cin

    def forward(self, x):
        y = self.conv2(F.relu(self.bn1(self.conv1(x))))
        short = x if (self.k == 1 and self.s == 1) else F.avg_pool2d(x, self.k, self.s)
        if self.extra:
            short = F.pad(short, (0, 0, 0, 0, 0, self.extra))
        return y + short


def block(cin, cout, k, s, depth):
    return [Unit(cin, cout, k, s)] + [Unit(cout, cout, 1, 1) for _ in range(depth - 1)]


class Head(nn.Module):
    """bn_out(conv2(relu(bn(conv1(x)))) + shortcut(x)), all 1x1."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn_hid = nn.BatchNorm2d(cout)
        self.bn_out = nn.BatchNorm2d(cout)
        self.shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        return self.bn_out(self.conv2(F.relu(self.bn_hid(self.conv1(x)))) + self.shortcut(x))


class Encoder32(nn.Module):
    def __init__(self, ndf, rkhs, depth):
        super().__init__()
        c = ndf
        self.stem = nn.Conv2d(3, c, 3, bias=True)
        self.trunk = nn.ModuleList([Unit(c, c, 1, 1)] + block(c, 2 * c, 4, 2, depth) + block(2 * c, 4 * c, 2, 2, depth))
        self.mid_bn = nn.BatchNorm2d(4 * c)
        self.to5 = nn.ModuleList(block(4 * c, 4 * c, 3, 1, depth))
        self.to3 = nn.ModuleList(block(4 * c, 4 * c, 3, 1, depth))
        self.to1 = Unit(4 * c, rkhs, 3, 1)
        self.final_bn = nn.BatchNorm2d(rkhs)
        self.head5 = Head(4 * c, rkhs)
        self.head7 = Head(4 * c, rkhs)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for m in self.trunk:
            x = m(x)
        r7 = self.mid_bn(x)
        x = r7
        for m in self.to5:
            x = m(x)
        r5 = x
        for m in self.to3:
            x = m(x)
        r1 = self.final_bn(self.to1(x))
        return r1, self.head5(r5), self.head7(r7)


def nce(src, trg, rkhs, clip=20.0):
    """src (B, D), trg (B, D, L): each of the B*L target locations of the matching image is a positive."""
    b, d, l = trg.shape
    raw = (src @ trg.permute(1, 0, 2).reshape(d, b * l)).view(b, b, l) / math.sqrt(rkhs)
    reg = 0.05 * (raw ** 2).mean()
    s = clip * torch.tanh(raw / clip)
    pos = torch.diagonal(s, dim1=0, dim2=1).t()                  # (B, L)
    eye = torch.eye(b, dtype=torch.bool).unsqueeze(2)
    neg = s.masked_fill(eye, -1e9).permute(0, 2, 1).reshape(b, l * b).unsqueeze(1).expand(b, l, l * b)
    logits = torch.cat([pos.unsqueeze(2), neg], dim=2)
    return -F.log_softmax(logits, dim=2)[:, :, 0].mean() + reg


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--ndf", type=int, default=128)
    p.add_argument("--rkhs", type=int, default=1024)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    enc = Encoder32(a.ndf, a.rkhs, a.depth)
    mlp = nn.Sequential(nn.Dropout(0.2), nn.Linear(a.rkhs, 1024, bias=False), nn.BatchNorm1d(1024), nn.ReLU(),
                        nn.Dropout(0.2), nn.Linear(1024, 10))
    lin = nn.Linear(a.rkhs, 10)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    enc = enc.to(memory_format=fmt)
    params = list(enc.parameters()) + list(mlp.parameters()) + list(lin.parameters())
    opt = torch.optim.Adam(params, lr=2e-4, betas=(0.8, 0.999), eps=1e-8, foreach=False)
    x = torch.randn(2 * a.batch, 3, 32, 32).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        r1, r5, r7 = enc(x)
        b = a.batch
        r1 = r1.flatten(1)
        r5 = r5.flatten(2)
        r7 = r7.flatten(2)
        loc5 = torch.randint(0, 25, (2 * b,))
        s5 = r5[torch.arange(2 * b), :, loc5]
        loss = 0
        for (s, t) in ((slice(0, b), slice(b, 2 * b)), (slice(b, 2 * b), slice(0, b))):
            loss = loss + nce(r1[s], r5[t], a.rkhs) + nce(r1[s], r7[t], a.rkhs) + nce(s5[s], r5[t], a.rkhs)
        feats = r1.detach()
        logits = torch.cat([mlp(feats), lin(feats)])
        lg = 10 * torch.tanh(logits / 10)
        cls = F.cross_entropy(lg, torch.cat([y, y, y, y])) + 1e-3 * (logits ** 2).mean()
        opt.zero_grad()
        (0.5 * loss + cls).backward()
        opt.step()

    step()
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    med = times[len(times) // 2]
    print(f"batch {a.batch} threads {a.threads} channels_last {a.channels_last}: median step {med:.3f} s, "
          f"{a.batch / med:.2f} img/s (min {min(times):.3f} s, max {max(times):.3f} s)")


if __name__ == "__main__":
    main()
