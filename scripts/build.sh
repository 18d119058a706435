#!/usr/bin/env bash
# Builds the dataset release (data/, README.md, DATASHEET.md) from what is committed in corpus/ and annotations/.
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
exec "$VENV/bin/python" -m scripts build "$@"
