#!/usr/bin/env bash
# Run every benchmark under bench/ and print one JSON document per benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
for script in bench/*.py; do
  name=$(basename "$script" .py)
  [ "$name" = "__init__" ] && continue
  [ "${name#_}" != "$name" ] && continue
  echo "== $name" >&2
  .venv/bin/python "$script" | tee "bench/results/$name.json"
done
