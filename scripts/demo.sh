#!/usr/bin/env bash
# The demo: set up .venv (scripts/bootstrap.sh), then a local Django project in
# demo/ with four sample tasks, one per report result, run once each. Needs no
# secrets and no network beyond the first install. Safe to run again.
#
# TASKMANAGER_VENV=/path/to/venv skips the bootstrap and uses that environment;
# TASKMANAGER_DEMO_DATA=DIR keeps the database and the logs there instead of in demo/.
#
# --backend tasks: the tasks are launched on Django's Tasks framework (django-tasks-db's queue
# in the demo's SQLite database) and a db_worker runs them; with --serve it then keeps a worker
# running next to runserver (Ctrl-C stops both).
set -euo pipefail
cd "$(dirname "$0")/.."

BACKEND=uwsgi
SERVE=
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND="${2:-}"; shift 2 || { echo "--backend needs a value: uwsgi or tasks" >&2; exit 2; } ;;
    --backend=*) BACKEND="${1#*=}"; shift ;;
    --serve) SERVE=1; shift ;;
    *) echo "usage: scripts/demo.sh [--backend uwsgi|tasks] [--serve]" >&2; exit 2 ;;
  esac
done
case "$BACKEND" in
  uwsgi|tasks) ;;
  *) echo "--backend: $BACKEND is not one of uwsgi, tasks" >&2; exit 2 ;;
esac
export TASKMANAGER_DEMO_BACKEND="$BACKEND"

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

if [ "$BACKEND" = tasks ]; then
  echo "==> launching the four tasks on the Tasks queue (as the admin's Launch action does)"
  manage demo_launch
  echo "==> a worker runs them (db_worker --batch: until the queue has nothing ready)"
  manage db_worker --queue-name taskmanager --batch --no-startup-delay --no-reload -v 0
else
  echo "==> running the four tasks"
  manage runtask "Nightly import"
  manage runtask "Sync catalogue"
  manage runtask "Rebuild search index"
  # This one fails on purpose: runtask exits with 1 for a failed report.
  manage runtask "Send invoices" || true
fi

echo
echo "==> reports"
manage demo_reports

if [ "$BACKEND" = tasks ]; then
  cat <<MSG

==> see them in the admin, with a worker running the tasks you launch
    scripts/demo.sh --backend tasks --serve
    or, in two terminals:
    TASKMANAGER_DEMO_BACKEND=tasks $PY demo/manage.py runserver
    TASKMANAGER_DEMO_BACKEND=tasks $PY demo/manage.py db_worker --queue-name taskmanager
    then open http://127.0.0.1:8000/admin/ and log in as admin / admin (a local demo account).
    Launch tasks again from the task list: the page answers at once, the worker runs them.
MSG
else
  cat <<MSG

==> see them in the admin
    $PY demo/manage.py runserver
    then open http://127.0.0.1:8000/admin/ and log in as admin / admin (a local demo account).
    Launch tasks again from the task list ("Launch selected tasks"); each report links to its log.
MSG
fi

echo
echo "==> notification previews (every handler at every level, from sample reports; nothing sent)"
PREVIEWS=demo/out/previews
if manage preview_notifications --output "$PREVIEWS" > /dev/null; then
  echo "    written to $PREVIEWS/ (open the .html files in a browser; .json are Slack payloads)"
else
  echo "    no previews: see the message above (manage.py preview_notifications explains it)"
fi

if [ -n "$SERVE" ]; then
  echo
  if [ "$BACKEND" = tasks ]; then
    echo "==> a worker (db_worker) and runserver on http://127.0.0.1:8000/ (Ctrl-C stops both)"
    manage db_worker --queue-name taskmanager --no-reload &
    WORKER=$!
    trap 'kill "$WORKER" 2>/dev/null || true' EXIT
  else
    echo "==> runserver on http://127.0.0.1:8000/ (Ctrl-C stops it)"
  fi
  manage runserver --noreload
fi
