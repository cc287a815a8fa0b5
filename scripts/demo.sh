#!/usr/bin/env bash
# The demo: set up .venv (scripts/bootstrap.sh), then a local Django project in
# demo/ with four sample tasks, one per report result, run once each. Needs no
# secrets and no network beyond the first install. Safe to run again.
#
# TASKMANAGER_VENV=/path/to/venv skips the bootstrap and uses that environment;
# TASKMANAGER_DEMO_DATA=DIR keeps the database and the logs there instead of in demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${TASKMANAGER_VENV:-}" ]; then
  PY="$TASKMANAGER_VENV/bin/python"
else
  scripts/bootstrap.sh
  PY=.venv/bin/python
fi
manage() { "$PY" demo/manage.py "$@"; }

echo "==> database (${TASKMANAGER_DEMO_DATA:-demo}/db.sqlite3)"
manage migrate --noinput -v 0
echo "==> commands"
manage collectcommands --excludecore
echo "==> tasks and the admin user"
manage demo_setup

echo "==> running the four tasks"
manage runtask "Nightly import"
manage runtask "Sync catalogue"
manage runtask "Rebuild search index"
# This one fails on purpose: runtask exits with 1 for a failed report.
manage runtask "Send invoices" || true

echo
echo "==> reports"
manage demo_reports

cat <<MSG

==> see them in the admin
    $PY demo/manage.py runserver
    then open http://127.0.0.1:8000/admin/ and log in as admin / admin (a local demo account).
    Launch tasks again from the task list ("Launch selected tasks"); each report links to its log.
MSG

echo
echo "==> notification previews (every handler at every level, from sample reports; nothing sent)"
PREVIEWS=demo/out/previews
if manage preview_notifications --output "$PREVIEWS" > /dev/null; then
  echo "    written to $PREVIEWS/ (open the .html files in a browser; .json are Slack payloads)"
else
  echo "    no previews: see the message above (manage.py preview_notifications explains it)"
fi
