#!/usr/bin/env bash
# Runs the test suite (pytest arguments pass through).
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
# The browser tests drive Debian's Chromium (no browser download works here): installed once, as root.
if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium and chromium-driver for the browser tests (about a minute, once)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
    || echo "could not install Chromium: tests/test_browser.py will say so" >&2
fi
# Two workers (pytest-xdist); a module runs whole on one of them, so its server, Spark session or browser is
# started once. `-n 0` in the arguments runs everything in this process.
exec "$VENV/bin/python" -m pytest -n 2 --dist loadscope "$@"
