"""The machine's fp32 matrix-product peak on one thread: numpy's float32 matmul (the BLAS numpy
links, OpenBLAS on Debian) of two n x n matrices. Thread count from OPENBLAS_NUM_THREADS / OMP_NUM_THREADS,
which bench/peers.ts sets before numpy loads. Prints one JSON line: {"gflops", "n", "numpy"}."""
import json
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
a @ b  # warm-up
best = float("inf")
for _ in range(5):
    t0 = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"gflops": 2 * n**3 / best / 1e9, "n": n, "numpy": np.__version__}))
