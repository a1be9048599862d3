"""gunicorn settings for bench/shopfloor_day.py: the app as a plant would run it, on 127.0.0.1.

Event delivery belongs to a Celery worker, not to the timed request: each worker's
`events.enqueue` is a no-op (the outbox rows are still written in the request's transaction,
as in production where a broker takes them), so no benchmark pushes tasks into a shared Redis.
"""

import os

bind = os.environ["BENCH_BIND"]
workers = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
worker_class = os.environ.get("BENCH_WORKER_CLASS", "sync")
threads = int(os.environ.get("BENCH_THREADS", "1"))
backlog = 256
timeout = 120
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = False  # each worker sets Django up itself: no connection opened before a fork is shared


def post_worker_init(worker):
    from shopfloor.core import events

    events.enqueue = lambda event_id: None
