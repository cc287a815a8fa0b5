#!/usr/bin/env bash
# Set up everything the demo and the tests need on a fresh machine: a virtual
# environment (.venv) with the project (editable) and its extras, and, with
# --browser, Debian's chromium for the browser tests. Safe to run again: it only
# reinstalls when pyproject.toml changed.
#
# VENV=DIR and DJANGO="Django>=4.2,<5.0" make another environment, for testing
# the other supported Django release.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
DJANGO=${DJANGO:-}
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.stamp-$( (cat pyproject.toml; echo "$DJANGO") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing the project and its extras into $VENV (first run takes a few minutes)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev,notifications,uwsgi]" ${DJANGO:+"$DJANGO"}
  rm -f "$VENV"/.stamp-*
  touch "$stamp"
fi

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
