"""The timing loop every peer script shares: 3 warm-up steps, then `reps` timed ones; prints one
JSON line {"ms": [per-step ms...], "version": ...} for bench/peers.ts to read."""
import json
import time


def report_steps(step, reps, version):
    for _ in range(3):
        step()
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms": ms, "version": version}))
