# Sourced by scripts/postgres.sh and scripts/redis.sh (not run on its own).
#
# apt_install PACKAGE: install Debian's PACKAGE with apt-get, as root or with sudo, without
# starting its services (the scripts start their own throwaway servers). On failure it prints
# why (no root and no sudo, or apt-get failed: no network?) and returns 1.
apt_install() {
  local package=$1 sudo=""
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
      echo "Debian's $package package is not installed, and installing it needs root or sudo"
      return 1
    fi
    sudo="sudo -n"
  fi
  echo "$(basename "$0"): installing Debian's $package package (apt-get)" >&2
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
      $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null; }; then
    echo "apt-get could not install Debian's $package package (no network?)"
    return 1
  fi
}
