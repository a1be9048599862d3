"""What each shop-floor terminal action costs the server: queries and CPU per action.

Builds the scene of bench/shopfloor_day.py (a few orders) on a throwaway PostgreSQL database,
then works two orders through the /floor/ pages with one Django test client (no network, no
other load on the process), and prints, per action kind, the queries and this process's CPU
milliseconds (median of the orders worked). An action is what the tablet waits for: one htmx POST
(HX-Request, HX-Target "terminal") answered with the terminal panel of the page it leads to.
With BENCH_SQL=<action name>, the statements of that action are printed too (to find repeats).
With BENCH_PROFILE=<action name> (or "all"), that action runs under cProfile (warm-up sample
excluded; this process's CPU clock, or BENCH_PROFILE_CLOCK=wall) and the top functions by
cumulative and by own time are printed; the raw stats go to BENCH_PROFILE_OUT (default
/tmp/floor_profile.pstats) for pstats or snakeviz.

    .venv/bin/python bench/_floor_profile.py
    BENCH_SQL="complete" .venv/bin/python bench/_floor_profile.py
    BENCH_PROFILE="scan lot label" .venv/bin/python bench/_floor_profile.py
    BENCH_CALLS=1 .venv/bin/python bench/_floor_profile.py
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import statistics
import time
import uuid
from collections import Counter, defaultdict

os.environ.setdefault("BENCH_ORDERS", "4")
os.environ["DEBUG"] = "0"

from _throwaway_pg import organization_with_stock_locations, throwaway_database
from shopfloor_day import QUANTITY, build, operators

SHOW = os.environ.get("BENCH_SQL", "")
# BENCH_CALLS=1: count the Python function calls of each action (cProfile's count, deterministic,
# unlike CPU time on a shared machine); the CPU figures of that run include the profiler's cost.
COUNT_CALLS = os.environ.get("BENCH_CALLS", "") not in ("", "0")
PROFILE = os.environ.get("BENCH_PROFILE", "")
PROFILE_OUT = os.environ.get("BENCH_PROFILE_OUT", "/tmp/floor_profile.pstats")
PROFILE_LINES = int(os.environ.get("BENCH_PROFILE_LINES", "45"))
HTMX = {"HX-Request": "true", "HX-Target": "terminal"}  # what the terminal panel's hx-post sends


def main() -> None:
    with throwaway_database("bench_floor_profile"):
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from shopfloor.core import events

        events.enqueue = lambda event_id: None
        admin, org, plant, shelves = organization_with_stock_locations(1)
        store = shelves[0]
        orders, lot, component = build(org, admin, plant, store)
        (user,) = operators(org, 1)
        client = Client(raise_request_exception=True)
        client.force_login(user)
        client.get("/floor/")
        queries: dict[str, list[int]] = defaultdict(list)
        calls: dict[str, list[int]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        shown: list[str] = []
        # CPU clock by default: on a shared machine wall time would charge the waits for
        # PostgreSQL (and for other processes) to whatever function was running. It costs a system
        # call per event, though, which overcharges small functions called often:
        # BENCH_PROFILE_CLOCK=wall uses cProfile's own (wall) clock instead.
        wall = os.environ.get("BENCH_PROFILE_CLOCK", "cpu") == "wall"
        profiler = cProfile.Profile() if wall else cProfile.Profile(time.process_time)
        profiled = Counter()

        def act(name, url, data):
            # The first sample of each kind warms caches up: neither counted nor profiled.
            profiling = PROFILE in (name, "all") and bool(cpu[name])
            counter = cProfile.Profile() if COUNT_CALLS and not profiling else None
            with CaptureQueriesContext(connection) as captured:
                began = time.process_time()
                if profiling:
                    profiler.enable()
                if counter is not None:
                    counter.enable()
                response = client.post(url, data, headers=HTMX)
                if counter is not None:
                    counter.disable()
                    calls[name].append(pstats.Stats(counter).total_calls)
                if profiling:
                    profiler.disable()
                    profiled[name] += 1
                cpu[name].append((time.process_time() - began) * 1000)
            assert response.status_code == 200 and response.has_header("HX-Push-Url"), (name, response.status_code)
            assert b"message-error" not in response.content, (name, response.content[:3000])
            queries[name].append(len(captured))
            if name == SHOW and not shown:
                shown.extend(q["sql"] for q in captured.captured_queries)

        for wo_id, number, ops in orders:  # the first sample of each kind warms up: not counted
            act("scan order", "/floor/scan/", {"code": number})
            for position, (op_id, sequence) in enumerate(ops):
                context = f"op:{op_id}"
                act("scan operation", "/floor/scan/", {"code": f"{number}/{sequence}", "context": f"wo:{wo_id}"})
                act("start", "/floor/scan/", {"code": "START", "context": context})
                if position == 0:
                    act(
                        "scan lot label",
                        "/floor/scan/",
                        {"code": f"LOT:{component.number}:{lot.number}", "context": context},
                    )
                    act(
                        "issue",
                        f"/floor/op/{op_id}/issue/",
                        {"lot": lot.pk, "location": store.pk, "quantity": QUANTITY, "key": uuid.uuid4().hex},
                    )
                act("complete (form)", "/floor/scan/", {"code": "COMPLETE", "context": context})
                act("complete", f"/floor/operations/{op_id}/complete/", {"good": QUANTITY, "scrap": ""})
        report = {
            name: {
                "queries": sorted(set(counts[1:] or counts)),
                "cpu_ms_median": round(statistics.median(cpu[name][1:] or cpu[name]), 1),
                # The least disturbed sample: steadier than the median on a busy machine.
                "cpu_ms_min": round(min(cpu[name][1:] or cpu[name]), 1),
                **({"calls_median": int(statistics.median(calls[name][1:] or calls[name]))} if calls[name] else {}),
            }
            for name, counts in queries.items()
        }
        print(json.dumps({"benchmark": "floor_profile", "actions": report}, indent=2))
        if profiled:
            profiler.dump_stats(PROFILE_OUT)
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(PROFILE_LINES)
                print(f"--- cProfile of {dict(profiled)} sorted by {order} (stats in {PROFILE_OUT})")
                print(out.getvalue())
        if shown:
            for sql, count in Counter(s[:160] for s in shown).most_common():
                print(f"{count:3d}x {sql}")
            print("----")
            for sql in shown:
                print(sql[:300])


if __name__ == "__main__":
    main()
