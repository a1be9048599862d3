"""A day on the shop floor: 20 terminals working 200 work orders of 6 operations through the
/floor/ pages, on PostgreSQL (a throwaway database created and dropped on the server DATABASE_URL
names, default postgres://postgres@127.0.0.1:5432/postgres).

The application runs as a plant runs it: under gunicorn (bench/_gunicorn_conf.py; 2 x cores + 1
sync workers by default, persistent database connections) on 127.0.0.1 and a free port. Each
terminal is a thread of this process speaking real HTTP to it (a `requests` session: it logs in
through the login page, CSRF token included, and keeps its cookies), with its own operator. It
takes its share of the released orders and works them as a scanner would: scan the order, then
for each operation scan its code, START, (on the first operation) scan the component's lot label
and confirm the issue, COMPLETE and post the good quantity. An action is what the operator waits
for on the tablet: one htmx POST (HX-Request, HX-Target "terminal", as the terminal's hx-post
sends it) answered with the terminal panel of the page it leads to (HX-Push-Url names that page);
a redirect instead counts as an error. Between actions a terminal waits a think time (default
0.3 s: a person reading the screen and reaching for the next label).

Reports per-action latency (p50/p95/max), errors (a 4xx/5xx or an error message on the page),
and whether the books balance afterwards: stock balances equal the ledger's sums, every material
line's issued quantity equals the sum of its issues. Prints one JSON document.

    .venv/bin/python bench/shopfloor_day.py
    BENCH_SECONDS=20 BENCH_TERMINALS=10 .venv/bin/python bench/shopfloor_day.py
    BENCH_WORKERS=3 BENCH_WORKER_CLASS=gthread BENCH_THREADS=4 .venv/bin/python bench/shopfloor_day.py
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from _throwaway_pg import ROOT, organization_with_stock_locations, throwaway_database

SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
TERMINALS = int(os.environ.get("BENCH_TERMINALS", "20"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
OPERATIONS = int(os.environ.get("BENCH_OPERATIONS", "6"))
THINK = float(os.environ.get("BENCH_THINK_SECONDS", "0.3"))
QUANTITY = 5
TARGET_P95_MS = 150

TECHNICIAN = ["*.view_*", "production.change_operation", "production.add_materialissue", "inventory.add_stockmove"]


def build(org, admin, plant, store):
    """One product (a lot-tracked component, 1 per unit; a routing of OPERATIONS steps), the
    component's lot in stock, and ORDERS released work orders of QUANTITY each."""
    from django.utils import timezone

    from shopfloor.catalog import services as catalog_services
    from shopfloor.catalog.models import BomLine, BomVersion, Item, Unit
    from shopfloor.core import tenancy
    from shopfloor.inventory import services as inventory_services
    from shopfloor.production import services as production
    from shopfloor.production.models import Operation as JobCard
    from shopfloor.resources import services as resources_services
    from shopfloor.resources.models import Operation, Routing, WorkCenter, WorkingCalendar

    with tenancy.use(org, admin):
        ea = Unit.objects.get(code="ea")
        product = Item.objects.create(
            organization=org, number="BIT-8.5", name="PDC bit 8.5in", stock_unit=ea, tracking="lot", status="active"
        )
        component = Item.objects.create(
            organization=org,
            number="CUTTER-13",
            name="PDC cutter 13 mm",
            stock_unit=ea,
            tracking="lot",
            status="active",
            make_or_buy="buy",
            item_type="raw_material",
        )
        version = BomVersion.objects.create(organization=org, item=product, version=1)
        BomLine.objects.create(organization=org, version=version, component=component, quantity=1, unit=ea)
        catalog_services.release_bom_version(actor=admin, version=version)
        calendar = WorkingCalendar.objects.create(organization=org, name="Bench", plant=plant)
        center = WorkCenter.objects.create(
            organization=org, plant=plant, code="CELL-1", name="Cell 1", calendar=calendar
        )
        routing = Routing.objects.create(organization=org, item=product, version=1)
        for i in range(OPERATIONS):
            Operation.objects.create(
                organization=org,
                routing=routing,
                sequence=10 * (i + 1),
                description=f"Step {i + 1}",
                work_center=center,
                work_instructions="Check the drawing, then work to it.",
            )
        resources_services.release_routing(actor=admin, routing=routing)
        lot = inventory_services.lot_for_receipt(actor=admin, item=component, number="L-0001")
        inventory_services.receive(
            actor=admin, item=component, quantity=Decimal(ORDERS * QUANTITY * 2), location=store, lot=lot
        )
        orders = []
        for _ in range(ORDERS):
            wo = production.create_work_order(
                actor=admin,
                data={
                    "item": product,
                    "quantity": QUANTITY,
                    "plant": plant,
                    "due_date": timezone.localdate() + timedelta(days=7),
                    "issue_location": store,
                    "output_location": store,
                },
            )
            production.plan_work_order(actor=admin, work_order=wo)
            orders.append(production.release_work_order(actor=admin, work_order=wo))
        ops = defaultdict(list)
        for wo_id, op_id, seq in (
            JobCard.objects.filter(work_order__in=orders)
            .order_by("work_order_id", "sequence")
            .values_list("work_order_id", "id", "sequence")
        ):
            ops[wo_id].append((op_id, seq))
        return [(wo.pk, wo.number, ops[wo.pk]) for wo in orders], lot, component


def operators(org, count):
    from shopfloor.core import tenancy
    from shopfloor.core.models import Membership, Role, User

    with tenancy.use(org):
        role = Role.objects.create(organization=org, name="Bench technician", permissions=TECHNICIAN)
        users = []
        for i in range(count):
            user = User.objects.create_user(f"op{i:02d}", f"op{i:02d}@example.com", "x")
            membership = Membership.objects.create(organization=org, user=user)
            membership.roles.set([role])
            users.append(user)
    return users


ERROR = re.compile(r'class="message message-error">([^<]*)<')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """gunicorn serving the project against the throwaway database (DATABASE_URL is set by now);
    returns once it answers."""
    import requests

    env = {
        **os.environ,
        "BENCH_BIND": f"127.0.0.1:{port}",
        "DEBUG": "0",  # DEBUG keeps every query in memory and renders rich error pages
        "DB_CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "60"),
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "bench" / "_gunicorn_conf.py"),
            "shopfloor.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 300  # workers boot slowly on a loaded machine
    try:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {server.returncode}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/login/", timeout=60).status_code == 200:
                    return server
            except requests.RequestException:  # not listening yet, or a worker still booting
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 300 s")
    except BaseException:  # never leave a server behind (interrupted, or it never answered)
        server.terminate()
        server.wait(timeout=30)
        raise


def _cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0 when it is gone)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pids(root: int) -> list[int]:
    """gunicorn's master and its workers."""
    pids = [root]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == root:
                pids.append(int(entry))
    return pids


def _postgres_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (the workers' connections); none
    when the server is on another machine (its process ids mean nothing here)."""
    from urllib.parse import urlparse

    import psycopg

    if urlparse(os.environ["DATABASE_URL"]).hostname not in ("127.0.0.1", "localhost", "::1", None):
        return []
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def cpu_snapshot(server: subprocess.Popen) -> dict[str, dict[int, float]]:
    """CPU used so far by the server's processes, this process (the terminals) and the database
    backends, to charge each action what it cost the machine (not only how long it waited)."""
    return {
        "server": {pid: _cpu_seconds(pid) for pid in _server_pids(server.pid)},
        "client": {0: time.process_time()},
        "postgres": {pid: _cpu_seconds(pid) for pid in _postgres_pids()},
    }


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """Seconds of CPU per part between two snapshots (a process that appeared in between counts whole)."""
    return {part: sum(max(cpu - before[part].get(pid, 0.0), 0.0) for pid, cpu in after[part].items()) for part in after}


def log_in(base: str, username: str):
    """A session logged in through the login page, as a person would (CSRF token from the form)."""
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=300)
    token = CSRF.search(page.text).group(1)
    answer = session.post(
        f"{base}/login/",
        data={"username": username, "password": "x", "csrfmiddlewaretoken": token, "next": "/floor/"},
        headers={"Referer": f"{base}/login/"},
        timeout=300,  # twenty logins at once hash twenty passwords
    )
    if answer.status_code != 200 or "sessionid" not in session.cookies:
        raise RuntimeError(f"login of {username} failed: {answer.status_code}")
    return session


def terminal(index, base, user, orders, lot, component, store, clock, timings, errors, done, start):
    try:
        session = log_in(base, user.username)
        for _ in range(3):  # warm: every worker has compiled the templates before the clock starts
            session.get(f"{base}/floor/", timeout=300)
    except BaseException as exc:  # noqa: BLE001 - reported in the JSON
        errors.append({"terminal": index, "action": "login", "status": 0, "message": repr(exc)[:300]})
        start.wait()
        return
    csrf = session.cookies.get("csrftoken", "")
    shown = {"url": "/floor/"}  # the page the tablet shows (its address bar)

    def act(name, method, url, data=None):
        # What htmx sends with the panel's hx-post / hx-get (hx-target="#terminal").
        headers = {"HX-Request": "true", "HX-Target": "terminal", "HX-Current-URL": base + shown["url"]}
        began = time.perf_counter()
        try:
            if method == "post":
                response = session.post(
                    base + url,
                    data={**(data or {}), "csrfmiddlewaretoken": csrf},
                    headers={**headers, "Referer": base + shown["url"], "X-CSRFToken": csrf},
                    allow_redirects=False,  # the tablet's answer is the panel itself
                    timeout=60,
                )
            else:
                response = session.get(base + url, headers=headers, allow_redirects=False, timeout=60)
        except Exception as exc:  # noqa: BLE001 - a refused or timed-out request is an error the operator sees
            timings[name].append((time.perf_counter() - began) * 1000)
            errors.append({"terminal": index, "action": name, "status": 0, "message": repr(exc)[:200]})
            time.sleep(THINK)
            return None
        elapsed = (time.perf_counter() - began) * 1000  # one request: the POST answered with the panel
        timings[name].append(elapsed)
        problem = ERROR.search(response.text) if response.status_code == 200 else None
        shown["url"] = response.headers.get("HX-Push-Url") or shown["url"]
        if response.status_code != 200 or problem:
            errors.append(
                {
                    "terminal": index,
                    "action": name,
                    "status": response.status_code,
                    "message": problem.group(1)[:200] if problem else response.text[:200],
                }
            )
        time.sleep(THINK)
        return response

    try:
        start.wait()
        for wo_id, number, ops in orders:
            if time.monotonic() > clock["deadline"]:
                break
            act("scan order", "post", "/floor/scan/", {"code": number})
            for position, (op_id, sequence) in enumerate(ops):
                if time.monotonic() > clock["deadline"]:
                    break
                context = f"op:{op_id}"
                act(
                    "scan operation", "post", "/floor/scan/", {"code": f"{number}/{sequence}", "context": f"wo:{wo_id}"}
                )
                act("start", "post", "/floor/scan/", {"code": "START", "context": context})
                if position == 0:
                    act(
                        "scan lot label",
                        "post",
                        "/floor/scan/",
                        {"code": f"LOT:{component.number}:{lot.number}", "context": context},
                    )
                    act(
                        "issue",
                        "post",
                        f"/floor/op/{op_id}/issue/",
                        {"lot": lot.pk, "location": store.pk, "quantity": QUANTITY, "key": uuid.uuid4().hex},
                    )
                act("complete (form)", "post", "/floor/scan/", {"code": "COMPLETE", "context": context})
                act("complete", "post", f"/floor/operations/{op_id}/complete/", {"good": QUANTITY, "scrap": ""})
                with done["lock"]:
                    done["operations"] += 1
            else:
                with done["lock"]:
                    done["orders"] += 1
    except BaseException as exc:  # noqa: BLE001 - reported in the JSON
        errors.append({"terminal": index, "action": "crash", "status": 0, "message": repr(exc)[:300]})


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return None
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[k], 1)


def scene_from_database():
    """The scene build() and operators() made, read back from a copy of a kept database."""
    from shopfloor.catalog.models import Item
    from shopfloor.core import tenancy
    from shopfloor.core.models import Organization, User
    from shopfloor.inventory.models import Location, Lot
    from shopfloor.production.models import Operation as JobCard
    from shopfloor.production.models import WorkOrder

    org = Organization.objects.get(slug="bench")
    with tenancy.use(org):
        ops = defaultdict(list)
        for wo_id, op_id, seq in JobCard.objects.order_by("work_order_id", "sequence").values_list(
            "work_order_id", "id", "sequence"
        ):
            ops[wo_id].append((op_id, seq))
        orders = [(pk, number, ops[pk]) for pk, number in WorkOrder.objects.order_by("id").values_list("id", "number")]
        component = Item.objects.get(number="CUTTER-13")
        lot = Lot.objects.get(item=component)
        store = Location.objects.get(code="S00")
    users = list(User.objects.filter(username__startswith="op").order_by("username"))
    return orders, lot, component, store, users


def _database_exists(name: str) -> bool:
    import psycopg
    from _throwaway_pg import DEFAULT_SERVER

    with psycopg.connect(os.environ.get("DATABASE_URL") or DEFAULT_SERVER, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _keep_as_template(name: str, template: str) -> None:
    """Copy the freshly built database `name` to `template` (no connection may be open on it)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    server = os.environ["BENCH_SERVER_URL"]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')


def main() -> None:
    # BENCH_REUSE=1 (while working on the code, not for reported figures): the built scene is kept
    # as a template database and later runs start from a copy of it, skipping the ten minutes of
    # migrations and set-up a loaded machine needs. Drop it by hand: DROP DATABASE bench_floor_tpl_…
    template = f"bench_floor_tpl_{ORDERS}_{OPERATIONS}_{TERMINALS}" if os.environ.get("BENCH_REUSE") == "1" else None
    os.environ["BENCH_SERVER_URL"] = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    reuse = template is not None and _database_exists(template)
    with throwaway_database("bench_floor", template=template if reuse else None) as name:
        from django.db import connection

        from shopfloor.core import events, tenancy
        from shopfloor.inventory import selectors
        from shopfloor.inventory.models import StockBalance
        from shopfloor.production.models import MaterialIssue, WorkOrderMaterial

        events.enqueue = lambda event_id: None  # delivery belongs to a worker, not to the timed path
        built = time.perf_counter()
        if reuse:
            orders, lot, component, store, users = scene_from_database()
            from shopfloor.core.models import Organization

            org = Organization.objects.get(slug="bench")
        else:
            admin, org, plant, shelves = organization_with_stock_locations(1)
            store = shelves[0]
            orders, lot, component = build(org, admin, plant, store)
            users = operators(org, TERMINALS)
            if template is not None:
                _keep_as_template(name, template)
        setup_seconds = time.perf_counter() - built
        connection.close()  # the server's workers use the database from here on
        port = free_port()
        server = start_server(port)
        base = f"http://127.0.0.1:{port}"
        try:
            timings: dict[str, list[float]] = defaultdict(list)
            errors: list[dict] = []
            done = {"orders": 0, "operations": 0, "lock": threading.Lock()}
            start = threading.Barrier(TERMINALS + 1)
            share = [orders[i::TERMINALS] for i in range(TERMINALS)]
            clock = {"deadline": float("inf")}
            threads = [
                threading.Thread(
                    target=terminal,
                    args=(i, base, users[i], share[i], lot, component, store, clock, timings, errors, done, start),
                )
                for i in range(TERMINALS)
            ]
            for t in threads:
                t.start()
            start.wait()  # every terminal logged in and warmed up: the day starts now
            clock["deadline"] = time.monotonic() + SECONDS
            began = time.perf_counter()
            cpu_before = cpu_snapshot(server)
            load_samples = []  # the machine's 1-minute load average while the day runs
            while any(t.is_alive() for t in threads):
                load_samples.append(os.getloadavg()[0])
                time.sleep(1)
            elapsed = time.perf_counter() - began
            cpu = cpu_used(cpu_before, cpu_snapshot(server))
        finally:
            server.terminate()
            server.wait(timeout=30)

        everything = [v for values in timings.values() for v in values]
        with tenancy.use(org):
            books = {(b.item_id, b.location_id, b.lot_id): b.on_hand for b in StockBalance.objects.all()}
            balanced = books == selectors.ledger_sums()
            issued = defaultdict(Decimal)
            for line_id, quantity in MaterialIssue.objects.values_list("material_id", "quantity"):
                issued[line_id] += quantity
            lines_match = all(
                issued.get(pk, Decimal(0)) == q
                for pk, q in WorkOrderMaterial.objects.values_list("id", "issued_quantity")
            )
        p95 = percentile(everything, 95)
        print(
            json.dumps(
                {
                    "benchmark": "shopfloor_day",
                    "database": connection.vendor,
                    "server_version": connection.pg_version,
                    "terminals": TERMINALS,
                    "work_orders": ORDERS,
                    "operations_per_order": OPERATIONS,
                    "think_seconds": THINK,
                    "setup_seconds": round(setup_seconds, 1),
                    "scene_copied_from_template": reuse,
                    "seconds": round(elapsed, 1),
                    "actions": len(everything),
                    "actions_per_second": round(len(everything) / elapsed, 1) if elapsed else None,
                    "operations_completed": done["operations"],
                    "orders_finished": done["orders"],
                    "latency_ms": {
                        "p50": percentile(everything, 50),
                        "p95": p95,
                        "max": round(max(everything), 1) if everything else None,
                        "mean": round(statistics.fmean(everything), 1) if everything else None,
                    },
                    "latency_ms_by_action": {
                        name: {
                            "count": len(v),
                            "p50": percentile(v, 50),
                            "p95": percentile(v, 95),
                            "max": round(max(v), 1),
                        }
                        for name, v in sorted(timings.items())
                    },
                    # CPU of the machine per action while the day ran: gunicorn (master and
                    # workers), the terminals (this process) and the database's backends.
                    "cpu_ms_per_action": {
                        **{part: round(seconds * 1000 / len(everything), 1) for part, seconds in cpu.items()},
                        "total": round(sum(cpu.values()) * 1000 / len(everything), 1),
                    }
                    if everything
                    else None,
                    "p95_target_ms": TARGET_P95_MS,
                    "p95_within_target": p95 is not None and p95 < TARGET_P95_MS,
                    "errors": len(errors),
                    "error_samples": errors[:5],
                    "balances_equal_ledger": balanced,
                    "material_lines_equal_issues": lines_match,
                    "cpu_count": os.cpu_count(),
                    "load_average_1min_during": {
                        "min": round(min(load_samples), 2),
                        "max": round(max(load_samples), 2),
                        "mean": round(statistics.fmean(load_samples), 2),
                    },
                    "server": {
                        "gunicorn_workers": int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1)),
                        "worker_class": os.environ.get("BENCH_WORKER_CLASS", "sync"),
                        "threads": int(os.environ.get("BENCH_THREADS", "1")),
                        "conn_max_age": int(os.environ.get("BENCH_CONN_MAX_AGE", "60")),
                    },
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
