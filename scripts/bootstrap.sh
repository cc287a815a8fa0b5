#!/usr/bin/env bash
# Set up .venv, the environment of the demo and of the checkout's tools, on a fresh machine:
# the newest Python found (3.13 down to 3.10, on PATH or installed by pyenv; see
# scripts/pythons.py) with the newest Django it allows (6.1 on Python 3.12 or later, else 5.2),
# the project (editable) with its extras, and pyproject.toml's "dev" group (pytest, ruff, mypy,
# Sphinx, nox, uv...). Packages come from PyPI through uv (pip only installs uv), with uv's
# cache (~/.cache/uv) shared by the test matrix. With --browser, it also installs Debian's
# chromium for the browser tests when it is missing (apt-get: root or sudo, and network).
# Safe to run again: it only reinstalls when pyproject.toml or the interpreter changed.
#
# PYTHON=/path/to/python picks the interpreter instead.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
if [ -z "${PYTHON:-}" ]; then
  if ! found=$(python3 scripts/pythons.py --newest 3.13 3.12 3.11 3.10); then
    echo "No Python 3.10 to 3.13 on this machine (PATH or pyenv): install one, or set PYTHON." >&2
    exit 1
  fi
  PYTHON=${found#* }
fi
version=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')

if [ -x "$VENV/bin/python" ] && [ "$("$VENV/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)" != "$version" ]; then
  echo "==> $VENV is not on Python $version: making it again"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV (Python $version)"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.stamp-$( (cat pyproject.toml; echo "$version") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing the project, its extras and the tools into $VENV (uv)"
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check "uv>=0.6"
  UV_PYTHON_DOWNLOADS=never "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" \
    -e ".[notifications,uwsgi]" --group dev
  rm -f "$VENV"/.stamp-*
  touch "$stamp"
fi
echo "==> $VENV: Django $("$VENV/bin/python" -c 'import django; print(django.get_version())') on Python $version"

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
