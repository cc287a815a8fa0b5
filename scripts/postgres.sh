#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests and benchmarks that need one (pytest marker `postgres`).
#
#   scripts/postgres.sh COMMAND [ARGS...]   start a cluster, run COMMAND with
#                                           TASKMANAGER_TEST_POSTGRES set, stop the cluster
#   scripts/postgres.sh                     start a cluster, print its URL, wait for Ctrl-C
#
# The cluster uses Debian's binaries (/usr/lib/postgresql/<version>/bin, the newest found); when
# there are none, the `postgresql` package is installed with apt-get (root or sudo, and network),
# as scripts/bootstrap.sh installs chromium. initdb refuses to run as root: as root, the cluster
# belongs to the `postgres` system user (the package makes it; created here if missing). It
# lives in a temporary directory (data and unix socket), listens on 127.0.0.1 only, on a free
# port, with trust authentication, and without fsync (a test cluster: nothing to keep). It is
# stopped and removed when the command ends, whatever happened (trap).
#
# When PostgreSQL cannot be had, COMMAND still runs, with TASKMANAGER_TEST_POSTGRES_MISSING
# saying why: the `postgres` tests skip with that message (never silently).
set -euo pipefail
# shellcheck source=scripts/apt_install.sh
source "$(dirname "$0")/apt_install.sh"

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

missing=""
bin=$(find_bin)
if [ -z "$bin" ]; then
  if ! reason=$(apt_install postgresql) || [ -z "$(find_bin)" ]; then
    missing=${reason:-"Debian's postgresql package installed no /usr/lib/postgresql/*/bin/initdb"}
  fi
  bin=$(find_bin)
fi

# Who owns the cluster: this user, or (as root, which initdb refuses) the postgres system user.
as_owner=()
owner=$(id -un)
if [ -z "$missing" ] && [ "$(id -u)" = 0 ]; then
  if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres ||
      missing="no postgres system user to run the cluster as (initdb refuses root)"
  fi
  owner=postgres
  as_owner=(runuser -u postgres --)
fi

dir=""
stop_cluster() {
  if [ -n "$dir" ] && [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$dir" ]; then rm -rf "$dir"; fi
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "$missing" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/taskmanager-postgres.XXXXXX")
  mkdir "$dir/run"
  chown -R "$owner" "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! out=$("${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync 2>&1); then
    missing="initdb failed: $out"
  elif ! out=$("${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/run/server.log" -w -t 30 start -o \
      "-h 127.0.0.1 -p $port -k $dir/run -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" 2>&1); then
    missing="the PostgreSQL server did not start: $out $(cat "$dir/run/server.log" 2>/dev/null || true)"
  fi
fi

if [ -n "$missing" ]; then
  say "no PostgreSQL: $missing; the tests marked postgres will skip"
  export TASKMANAGER_TEST_POSTGRES_MISSING="$missing"
  unset TASKMANAGER_TEST_POSTGRES
else
  export TASKMANAGER_TEST_POSTGRES="postgresql://postgres@127.0.0.1:$port/postgres"
  unset TASKMANAGER_TEST_POSTGRES_MISSING
  say "PostgreSQL $("$bin/postgres" -V | awk '{print $3}') up: TASKMANAGER_TEST_POSTGRES=$TASKMANAGER_TEST_POSTGRES"
fi

if [ $# -eq 0 ]; then
  echo "TASKMANAGER_TEST_POSTGRES=${TASKMANAGER_TEST_POSTGRES:-}"
  [ -n "$missing" ] && exit 1
  say "Ctrl-C stops it"
  while true; do sleep 3600; done
fi
# Not exec: the trap stops the cluster when the command ends.
status=0
"$@" || status=$?
exit "$status"
