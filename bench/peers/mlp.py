"""One gradients-only step of an MLP (tanh hidden layers, linear output), plain numpy or torch:
forward, loss (MSE for SRE, softmax cross-entropy for SCE), backward to every weight and bias.
Usage: mlp.py numpy|torch sizes(comma) mse|ce batch reps. Threads from the environment (numpy)
or torch.set_num_threads(HEBB_PEER_THREADS). Prints one JSON line: {"ms": [per-step ms...], "version"}."""
import os
import sys

from timing import report_steps

import numpy as np

lib, sizes, loss, B, reps = sys.argv[1], [int(s) for s in sys.argv[2].split(",")], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(0)
# float32 after the division: under NumPy 2 (NEP 50) float32 / np.float64 is float64, and the whole step would run in float64.
Ws = [(rng.uniform(-1, 1, (i, o)) / np.sqrt(i)).astype(np.float32) for i, o in zip(sizes[:-1], sizes[1:])]
bs = [np.zeros(o, np.float32) for o in sizes[1:]]
x = rng.standard_normal((B, sizes[0]), dtype=np.float32)
y = rng.standard_normal((B, sizes[-1]), dtype=np.float32) if loss == "mse" else rng.integers(0, sizes[-1], B)

if lib == "numpy":
    version = np.__version__

    def step():
        hs = [x]
        for k, (W, b) in enumerate(zip(Ws, bs)):
            z = hs[-1] @ W + b
            hs.append(np.tanh(z) if k < len(Ws) - 1 else z)
        out = hs[-1]
        if loss == "mse":
            d = (2.0 / out.size) * (out - y)
        else:
            e = np.exp(out - out.max(axis=1, keepdims=True))
            d = e / e.sum(axis=1, keepdims=True)
            d[np.arange(B), y] -= 1
            d /= B
        grads = []
        for k in range(len(Ws) - 1, -1, -1):
            grads.append((hs[k].T @ d, d.sum(axis=0)))
            if k > 0:
                d = (d @ Ws[k].T) * (1 - hs[k] * hs[k])
        return grads
else:
    import torch

    torch.set_num_threads(int(os.environ.get("HEBB_PEER_THREADS", "1")))
    version = torch.__version__
    tW = [torch.tensor(W, requires_grad=True) for W in Ws]
    tb = [torch.tensor(b, requires_grad=True) for b in bs]
    tx = torch.tensor(x)
    ty = torch.tensor(y)

    def step():
        h = tx
        for k, (W, b) in enumerate(zip(tW, tb)):
            h = h @ W + b
            if k < len(tW) - 1:
                h = torch.tanh(h)
        L = torch.mean((h - ty) ** 2) if loss == "mse" else torch.nn.functional.cross_entropy(h, ty)
        return torch.autograd.grad(L, tW + tb)

report_steps(step, reps, version)
