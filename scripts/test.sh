#!/usr/bin/env bash
# Run the whole suite: on PostgreSQL when DATABASE_URL reaches one, else on embedded SQLite.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export SHOPFLOOR_TESTING=1

if [ -n "${DATABASE_URL:-}" ]; then
  if ! $PY - <<'PYEOF'
import os, sys
import dj_database_url, psycopg
cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
try:
    psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                    password=cfg["PASSWORD"] or None, dbname=cfg["NAME"], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL at DATABASE_URL is not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
  then
    echo "== Falling back to embedded SQLite; PostgreSQL-only tests will be skipped."
    unset DATABASE_URL
  fi
fi
if [ -n "${DATABASE_URL:-}" ]; then
  echo "== Running the suite on PostgreSQL (${DATABASE_URL%%@*}@...)"
else
  echo "== Running the suite on embedded SQLite (set DATABASE_URL for PostgreSQL; tests marked 'postgres' are skipped)"
fi
if [ -x /usr/bin/chromium ]; then
  echo "== Browser tests use /usr/bin/chromium"
else
  echo "== /usr/bin/chromium not found: browser (e2e) tests will be skipped (apt-get install chromium)"
fi

WORKERS="${PYTEST_WORKERS:-2}"
$PY -m pytest -n "$WORKERS" "$@"
status=$?
if [ $status -eq 5 ]; then
  echo "pytest collected no tests"; exit 1
fi
exit $status
