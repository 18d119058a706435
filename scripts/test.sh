#!/usr/bin/env bash
# Runs the test suite (pytest arguments pass through).
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
exec "$VENV/bin/python" -m pytest "$@"
