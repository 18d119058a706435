#!/usr/bin/env bash
# Makes .venvs/spark from scripts/spark.lock (anew when the lock changes) and runs the Spark validation:
#   bash scripts/spark.sh [RELEASE] [--master local[2]]      (RELEASE defaults to this checkout)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venvs/spark"
want="$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$ROOT/scripts/spark.lock")"
if [ "$(cat "$VENV/.lock-sha256" 2>/dev/null)" != "$want" ]; then
  echo "setting up $VENV from scripts/spark.lock (a few minutes, once)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$ROOT/scripts/spark.lock"
  echo "$want" > "$VENV/.lock-sha256"
fi
cd "$ROOT"
if [ "${1:-}" = "--setup-only" ]; then exit 0; fi
exec "$VENV/bin/python" -m scripts.scale.spark_validate "${@:-$ROOT}"
