#!/usr/bin/env bash
# A throwaway Redis for the tests that need one (pytest marker `redis`: the RQ engine).
#
#   scripts/redis.sh COMMAND [ARGS...]   start a server, run COMMAND with
#                                        TASKMANAGER_TEST_REDIS set, stop the server
#   scripts/redis.sh                     start a server, print its URL, wait for Ctrl-C
#
# The server is Debian's `redis-server`; when it is missing, the `redis-server` package is
# installed with apt-get (root or sudo, and network), as scripts/postgres.sh does for
# PostgreSQL. It runs in a temporary directory, listens on 127.0.0.1 only, on a free port,
# without persistence (no RDB snapshot, no AOF: a test server, nothing to keep), and is
# stopped and removed when the command ends, whatever happened (trap). Nests with
# postgres.sh: scripts/postgres.sh scripts/redis.sh .venv/bin/pytest -m redis
#
# When Redis cannot be had, COMMAND still runs, with TASKMANAGER_TEST_REDIS_MISSING saying
# why: the `redis` tests skip with that message (never silently).
set -euo pipefail
# shellcheck source=scripts/apt_install.sh
source "$(dirname "$0")/apt_install.sh"

say() { echo "redis.sh: $*" >&2; }

find_bin() {
  command -v redis-server 2>/dev/null || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; } || true
}

missing=""
bin=$(find_bin)
if [ -z "$bin" ]; then
  if ! reason=$(apt_install redis-server) || [ -z "$(find_bin)" ]; then
    missing=${reason:-"Debian's redis-server package installed no redis-server"}
  fi
  bin=$(find_bin)
fi

dir=""
pid=""
stop_server() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ -n "$dir" ]; then rm -rf "$dir"; fi
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

answers() {
  python3 - "$1" <<'EOF'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
EOF
}

if [ -z "$missing" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/taskmanager-redis.XXXXXX")
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
    --daemonize no --protected-mode yes --logfile "$dir/server.log" &
  pid=$!
  for _ in $(seq 100); do
    if answers "$port"; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if ! answers "$port"; then
    missing="the Redis server did not start: $(cat "$dir/server.log" 2>/dev/null || true)"
  fi
fi

if [ -n "$missing" ]; then
  say "no Redis: $missing; the tests marked redis will skip"
  export TASKMANAGER_TEST_REDIS_MISSING="$missing"
  unset TASKMANAGER_TEST_REDIS
else
  export TASKMANAGER_TEST_REDIS="redis://127.0.0.1:$port/0"
  unset TASKMANAGER_TEST_REDIS_MISSING
  say "Redis $("$bin" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') up: TASKMANAGER_TEST_REDIS=$TASKMANAGER_TEST_REDIS"
fi

if [ $# -eq 0 ]; then
  echo "TASKMANAGER_TEST_REDIS=${TASKMANAGER_TEST_REDIS:-}"
  [ -n "$missing" ] && exit 1
  say "Ctrl-C stops it"
  while true; do sleep 3600; done
fi
# Not exec: the trap stops the server when the command ends.
status=0
"$@" || status=$?
exit "$status"
