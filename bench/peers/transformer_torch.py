"""One gradients-only step of the SRE transformer in plain torch, written out by hand as
src/ml/transformer/step.ts computes it: token + position embeddings, post-norm encoder layers
(fused qkv, softmax attention, residual + LayerNorm, ReLU feed-forward, residual + LayerNorm),
mean pool, tanh MLP head, MSE; autograd for G. Usage: transformer_torch.py vocab,T,C,H,F,layers
head(comma) batch reps; threads from HEBB_PEER_THREADS. Prints one JSON line: {"ms": [...], "version"}."""
import math
import os
import sys

import torch

from timing import report_steps

torch.set_num_threads(int(os.environ.get("HEBB_PEER_THREADS", "1")))
V, T, C, H, F, layers = [int(s) for s in sys.argv[1].split(",")]
head = [int(s) for s in sys.argv[2].split(",")]
B, reps = int(sys.argv[3]), int(sys.argv[4])
g = torch.Generator().manual_seed(0)


def lin(i, o):
    k = 1 / math.sqrt(i)
    return [((torch.rand(i, o, generator=g) * 2 - 1) * k).requires_grad_(), torch.zeros(o, requires_grad=True)]


emb = torch.randn(V, C, generator=g).requires_grad_()
pos = torch.randn(T, C, generator=g).requires_grad_()
enc = []
for _ in range(layers):
    enc.append({"qkv": lin(C, 3 * C), "out": lin(C, C), "ff1": lin(C, F), "ff2": lin(F, C),
                "ln1": [torch.ones(C, requires_grad=True), torch.zeros(C, requires_grad=True)],
                "ln2": [torch.ones(C, requires_grad=True), torch.zeros(C, requires_grad=True)]})
hd = [lin(i, o) for i, o in zip(head[:-1], head[1:])]
params = [emb, pos] + [p for L in enc for v in L.values() for p in v] + [p for l in hd for p in l]
tok = torch.randint(0, V, (B, T), generator=g)
y = torch.randn(B, head[-1], generator=g)
d = C // H


def step():
    x = emb[tok] + pos  # [B, T, C]
    for L in enc:
        qkv = x @ L["qkv"][0] + L["qkv"][1]  # [B, T, 3C]
        q, k, v = (t.reshape(B, T, H, d).transpose(1, 2) for t in qkv.split(C, dim=2))  # [B, H, T, d]
        P = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d), dim=-1)
        a = (P @ v).transpose(1, 2).reshape(B, T, C) @ L["out"][0] + L["out"][1]
        h1 = torch.nn.functional.layer_norm(x + a, (C,), L["ln1"][0], L["ln1"][1])
        f = torch.relu(h1 @ L["ff1"][0] + L["ff1"][1]) @ L["ff2"][0] + L["ff2"][1]
        x = torch.nn.functional.layer_norm(h1 + f, (C,), L["ln2"][0], L["ln2"][1])
    h = x.mean(dim=1)
    for k, (W, b) in enumerate(hd):
        h = h @ W + b
        if k < len(hd) - 1:
            h = torch.tanh(h)
    return torch.autograd.grad(torch.mean((h - y) ** 2), params)


report_steps(step, reps, torch.__version__)
