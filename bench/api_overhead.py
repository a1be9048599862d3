"""What the API stack costs: a tenant-scoped list (50 rows) and detail against a bare JSON view.

All three run on one gunicorn server over real HTTP, with a personal API token, on the
database DATABASE_URL names (default: a fresh SQLite file under var/). Prints one JSON
document: requests per second, p50 and p95 per endpoint, and the ratios to the bare view.

    .venv/bin/python bench/api_overhead.py            # make bench runs it
    BENCH_REQUESTS=2000 BENCH_CLIENTS=4 .venv/bin/python bench/api_overhead.py
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WARMUP = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SHOPFLOOR_TESTING", "DJANGO_ENV", "LOG_FORMAT"}}
    env["DJANGO_SETTINGS_MODULE"] = "bench._settings"
    env["PYTHONPATH"] = str(ROOT)
    env.setdefault("LOG_LEVEL", "ERROR")
    if "DATABASE_URL" not in env:
        db = ROOT / "var" / "bench.sqlite3"
        db.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    return env


def _prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate and create one organization with 50 plants and a token, in a child process."""
    code = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from shopfloor.core import services, tenancy
from shopfloor.core.models import Organization, Role, User
admin = User.objects.filter(username="bench").first() or User.objects.create_superuser("bench", "b@example.com", "x")
org = Organization.objects.filter(slug="bench").first() or services.create_organization(actor=admin, name="Bench", slug="bench")
with tenancy.use(org, admin):
    services.install_role_templates(org)
    from shopfloor.core.models import Membership, Plant
    if not Membership.objects.filter(user=admin).exists():
        services.add_member(actor=admin, user=admin, roles=[Role.objects.get(name="Administrator")])
    for i in range(50 - Plant.objects.count()):
        services.create_plant(actor=admin, data={"code": f"P{i:03d}", "name": f"Plant {i}", "timezone": "UTC"})
    plant = Plant.objects.order_by("id").first()
    _, secret = services.create_api_token(actor=admin, name="bench")
print(json.dumps({"token": secret, "plant": plant.pk, "org": org.slug}))
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: {server.stderr.read() if server.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("gunicorn did not answer within 30 s")


def _load(port: int, path: str, headers: dict[str, str]) -> dict[str, float]:
    """REQUESTS requests from CLIENTS threads; latency per request and overall throughput."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = REQUESTS // CLIENTS
    failures: list[int] = []

    def client(count: int) -> None:
        mine: list[float] = []
        for _ in range(count):
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(response.status)
        with lock:
            latencies.extend(mine)

    for _ in range(WARMUP):
        client(1)
    latencies.clear()
    threads = [threading.Thread(target=client, args=(per_client,)) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{path}: {len(failures)} non-200 answers, e.g. {failures[0]}")
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
    }


def main() -> None:
    env = _environment()
    fixture = _prepare(env)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "shopfloor.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "error",
        ],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(port, server)
        auth = {"Authorization": f"Token {fixture['token']}", "Accept": "application/json"}
        results = {
            "bare": _load(port, "/bench/bare/", {}),
            "list_50": _load(port, "/api/v1/core/plants/?page_size=50", auth),
            "detail": _load(port, f"/api/v1/core/plants/{fixture['plant']}/", auth),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    bare = results["bare"]
    print(
        json.dumps(
            {
                "benchmark": "api_overhead",
                "database": env["DATABASE_URL"].split(":", 1)[0],
                "server": f"gunicorn, {WORKERS} sync workers",
                "clients": CLIENTS,
                "endpoints": results,
                "ratios": {
                    name: {
                        "rps_vs_bare": round(r["rps"] / bare["rps"], 3),
                        "p95_vs_bare": round(r["p95_ms"] / bare["p95_ms"], 2),
                    }
                    for name, r in results.items()
                    if name != "bare"
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
