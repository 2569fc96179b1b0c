#!/usr/bin/env python3
"""The erfc approximation of the SCE GELU kernels (src/ml/transformer/assembly/sce.ts `normCdf4`,
native/sce.cc `normCdfV`): erfc(s) = t e^{-s^2} P(t), t = 1/(1 + s/2), s >= 0, P of degree 9,
fitted here (numpy only) by iteratively reweighted least squares on the relative error over
t in (0, 1] (all s >= 0; the limit t -> 0 is erfcx(s) ~ 1/(s sqrt(pi))). Prints the largest
relative error in float64 and with Horner in float32, then the coefficients (constant term first),
as pasted into both kernel builds. Deterministic: `python3 scripts/fit-erfc.py`."""
from math import erfc, exp, pi, sqrt

import numpy as np

P_SCALE = 0.5  # t = 1/(1 + P_SCALE s)
DEGREE = 9


def erfcx(s: float) -> float:
    """erfc(s) e^{s^2}; the asymptotic series where erfc underflows."""
    if s <= 25:
        return erfc(s) * exp(s * s)
    return 1 / (s * sqrt(pi)) * (1 - 1 / (2 * s * s) + 3 / (4 * s**4) - 15 / (8 * s**6))


def target(t: float) -> float:
    """P(t) exactly: erfcx(s)/t."""
    if t == 0:
        return P_SCALE / sqrt(pi)
    return erfcx((1 / t - 1) / P_SCALE) / t


def main() -> None:
    n = 6000
    t = 0.5 + 0.5 * np.cos((2 * np.arange(n) + 1) * np.pi / (2 * n))  # Chebyshev nodes on (0, 1)
    g = np.array([target(x) for x in t])
    V = np.vander(t, DEGREE + 1, increasing=True)
    w = np.ones_like(g)
    for _ in range(40):  # push the relative error towards equi-oscillation
        c, *_ = np.linalg.lstsq(V * (w / g)[:, None], w, rcond=None)
        r = np.abs(V @ c / g - 1)
        w = w * (1 + r / r.max()) ** 2
        w /= w.mean()
    s = np.concatenate([np.linspace(0, 12, 20001), np.geomspace(12, 1e6, 2000)])
    ts = 1 / (1 + P_SCALE * s)
    rel64 = max(abs(np.polyval(c[::-1], ti) * ti / erfcx(si) - 1) for si, ti in zip(s, ts))
    c32 = c.astype(np.float32)

    def horner32(x: np.float32) -> np.float32:
        acc = c32[-1]
        for k in c32[-2::-1]:
            acc = np.float32(acc * x + k)
        return acc

    rel32 = max(abs(float(horner32(np.float32(ti))) * float(np.float32(ti)) / erfcx(si) - 1) for si, ti in zip(s[::10], ts[::10]))
    print(f"max relative error of t*P(t) vs erfcx: float64 {rel64:.2e}, float32 Horner {rel32:.2e}")
    print(", ".join(f"{x:.10e}" for x in c))


if __name__ == "__main__":
    main()
