"""Job-shop benchmark: ft06, la01-la05 and ft10 solved by the plant's scheduling model.

No database and no Django: reads the OR-Library files under bench/instances/, calls
`shopfloor.planning.solver.solve(objective="makespan")` (the code behind `manage.py jobshop`
and the plant scheduler) and prints one JSON document: per instance the known optimum, the
makespan found, the status, the proven lower bound, wall and CPU seconds; then the overall
verdict. Targets: ft06 and la01-la05 proven optimal; ft10 optimal (930) within 60 s on 2
cores. The machine's load average is reported, since a shared machine slows the proof.

    .venv/bin/python bench/jobshop.py
    BENCH_JOBSHOP_LIMIT=120 BENCH_JOBSHOP_WORKERS=4 .venv/bin/python bench/jobshop.py ft10
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "bench" / "instances"
TIME_LIMIT = float(os.environ.get("BENCH_JOBSHOP_LIMIT", "60"))
WORKERS = int(os.environ.get("BENCH_JOBSHOP_WORKERS", "2"))
KNOWN_OPTIMUM = {
    "ft06": 55,
    "la01": 666,
    "la02": 655,
    "la03": 597,
    "la04": 590,
    "la05": 593,
    "ft10": 930,
}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from shopfloor.planning.solver import check, parse_named, solve

    names = sys.argv[1:] or list(KNOWN_OPTIMUM)
    results = []
    for name in names:
        name_read, problem = parse_named((INSTANCES / f"{name}.txt").read_text())
        load = os.getloadavg()[0]
        cpu = time.process_time()
        solution = solve(problem, objective="makespan", time_limit=TIME_LIMIT, workers=WORKERS)
        cpu = time.process_time() - cpu
        check(problem, solution)
        optimum = KNOWN_OPTIMUM.get(name)
        results.append(
            {
                "instance": name_read or name,
                "known_optimum": optimum,
                "makespan": solution.makespan,
                "status": solution.status,
                "lower_bound": solution.lower_bound,
                "seconds": round(solution.seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "load_average_before": round(load, 2),
                "proven_optimal": solution.status == "OPTIMAL" and solution.makespan == optimum,
            }
        )
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    overall = {
        "instances": len(results),
        "proven_optimal": sum(r["proven_optimal"] for r in results),
        "all_proven_optimal": all(r["proven_optimal"] for r in results),
        "total_seconds": round(sum(r["seconds"] for r in results), 2),
        "time_limit": TIME_LIMIT,
        "workers": WORKERS,
        "cpus": os.cpu_count(),
    }
    print(json.dumps({"benchmark": "jobshop", "results": results, "overall": overall}, indent=2))


if __name__ == "__main__":
    main()
