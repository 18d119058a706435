# Sourced by build.sh and test.sh: .venv, a link to the venv of this requirements.lock in the user's cache
# folder (made there on first use, made anew whenever the lock changes: scripts/core/venvs.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"
made="$(python3 -m scripts.core.venvs venv requirements.lock)"
if [ "$(readlink "$VENV" 2>/dev/null)" != "$made" ]; then
  rm -rf "$VENV"  # an older link, or a venv made in the checkout before
  ln -sfn "$made" "$VENV"
fi
