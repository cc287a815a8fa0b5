#!/usr/bin/env bash
# The whole test suite: lint, format, types, docs (warnings are errors), then the
# tests on Django 5.2 and again on Django 4.2 (both supported releases).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
VENV=.venv-django42 DJANGO="Django>=4.2,<5.0" scripts/bootstrap.sh

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> mypy"
.venv/bin/mypy taskmanager tests demo benchmarks
echo "==> sphinx (warnings are errors)"
.venv/bin/sphinx-build -q -W --keep-going -b html docs docs/_build/html
echo "==> pytest on Django $(.venv-django42/bin/python -c 'import django; print(django.get_version())')"
.venv-django42/bin/pytest -q -p no:cacheprovider -m "not slow" "$@"
echo "==> pytest on Django $(.venv/bin/python -c 'import django; print(django.get_version())')"
.venv/bin/pytest "$@"
