#!/usr/bin/env bash
# The whole test suite: lint, format, types, docs (warnings are errors), tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
export PATH="$PWD/.venv/bin:$PATH"

echo "==> ruff"
ruff check .
ruff format --check .
echo "==> mypy"
mypy taskmanager tests demo benchmarks
echo "==> sphinx (warnings are errors)"
sphinx-build -q -W --keep-going -b html docs docs/_build/html
echo "==> pytest"
pytest "$@"
