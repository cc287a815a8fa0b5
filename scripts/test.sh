#!/usr/bin/env bash
# The whole test matrix (noxfile.py): ruff, mypy and Sphinx (warnings are errors) once, then
# pytest on Django 5.2 (Python 3.10 and 3.11), 6.0 (Python 3.12) and 6.1 (Python 3.13): the
# fast suite on every leg, the slow, browser and uWSGI tests on the newest. It ends with each
# session's outcome, each leg's test counts and their total.
#
# Arguments go to nox: scripts/test.sh -s lint types
#                      scripts/test.sh -s "tests(django6.1-py3.13)" -- -k mail
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
.venv/bin/nox "$@" 2>&1 | tee "$log" || status=$?

# pytest -q ends each leg with "N passed, N skipped in Ns"; nox ends with one line per session.
echo
echo "==> the matrix"
awk '
  /^nox > Running session / { session = $5 }
  /^[0-9]+ [a-z]+(, [0-9]+ [a-z]+)* in [0-9.]+s/ && session != "" {
    sub(/ in [0-9.]+s.*/, "")
    counts[session] = $0
    n = split($0, parts, ", ")
    for (i = 1; i <= n; i++) { split(parts[i], kv, " "); total[kv[2]] += kv[1] }
  }
  /^nox > \* / {
    line = $0; sub(/^nox > \* /, "", line)
    name = line; sub(/: .*/, "", name)
    printf "    %s%s\n", line, (name in counts ? " (" counts[name] ")" : "")
  }
  END {
    failed = total["failed"] + total["error"] + total["errors"]
    printf "matrix: %d passed, %d failed, %d skipped\n", total["passed"], failed, total["skipped"]
  }
' "$log"
exit "$status"
