"""SPC on 100,000 measurements: limits + Nelson/Western Electric rules + capability under 200 ms.

No database: the engine works on arrays. Times `shopfloor.quality.spc.compute` for an X-bar/R
chart (subgroups of 5), an I-MR chart and a p chart with variable sample sizes, each on
100,000 measurements (20,000 subgroups, 100,000 individuals, 100,000 samples) with
specification limits, 80 % phase I and a drift in the last 2 % so the rules have work to do.
Median of the runs (after one warm-up) against the 200 ms target; prints one JSON document.

    .venv/bin/python bench/spc.py
    BENCH_SPC_N=1000000 BENCH_RUNS=3 .venv/bin/python bench/spc.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_SPC_N", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
TARGET_SECONDS = 0.2


def measure(fn) -> tuple[float, list[float], float]:
    fn()  # warm-up (imports, caches)
    walls, cpus = [], []
    for _ in range(RUNS):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), walls, statistics.median(cpus)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from shopfloor.quality import spc

    rng = np.random.default_rng(2026)
    x = rng.normal(74.0, 0.01, N)
    x[int(N * 0.98) :] += 0.015  # a late shift
    phase1 = int(N * 0.8)
    sizes = rng.integers(50, 200, N)
    defectives = rng.binomial(sizes, 0.05)

    cases = {
        "xbar_r": lambda: spc.compute("xbar_r", values=x, subgroup_size=5, phase1=phase1 // 5, lsl=73.95, usl=74.05),
        "imr": lambda: spc.compute("imr", values=x, phase1=phase1, lsl=73.95, usl=74.05),
        "p": lambda: spc.compute("p", counts=defectives, sizes=sizes, phase1=phase1),
    }
    result: dict = {
        "benchmark": "spc",
        "measurements": N,
        "runs": RUNS,
        "target_seconds": TARGET_SECONDS,
    }
    for name, fn in cases.items():
        median, walls, cpu = measure(fn)
        r = fn()
        result[name] = {
            "points": int(r.primary.points.size),
            "flagged_points": int(r.flagged.size),
            "seconds_median": round(median, 4),
            "seconds_runs": [round(t, 4) for t in walls],
            "cpu_seconds_median": round(cpu, 4),
            "under_200ms": median < TARGET_SECONDS,
        }
        if r.capability is not None:
            result[name]["Cpk"] = round(r.capability.indices["Cpk"], 3)
    result["all_under_200ms"] = all(result[name]["under_200ms"] for name in cases)
    result["load_average"] = [round(v, 2) for v in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
