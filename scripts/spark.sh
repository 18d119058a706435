#!/usr/bin/env bash
# Makes the Spark venv from scripts/spark.lock (in the user's cache folder, anew when the lock changes:
# scripts/core/venvs.py) and runs the Spark validation:
#   bash scripts/spark.sh [RELEASE] [--master local[2]]      (RELEASE defaults to this checkout)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(python3 -m scripts.core.venvs spark scripts/spark.lock)"
if [ "${1:-}" = "--setup-only" ]; then echo "$VENV"; exit 0; fi
exec "$VENV/bin/python" -m scripts.scale.spark_validate "${@:-$ROOT}"
