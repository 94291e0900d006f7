#!/usr/bin/env bash
# Installs the Debian packages strata needs, only those that are missing.
# Sourced by demo.sh, test.sh and bench.sh; safe to run twice.
set -euo pipefail

# Each one is used: the library links SQLite, libpq and yaml-cpp and compiles CLI11 in
# (src/migrate/command.cpp); the rest build, test and package it.
STRATA_PACKAGES=(
  build-essential cmake ninja-build git        # git: tests/packaging_test.sh's FetchContent consumer
  pkg-config                                   # the pkg-config consumer (tests/install_test.sh)
  libsqlite3-dev sqlite3
  libpq-dev postgresql
  libyaml-cpp-dev libcli11-dev
  libgtest-dev
  clang libclang-rt-dev                        # libFuzzer + sanitizer runtimes for tests/fuzz
  lld                                          # links scripts/test.sh's builds (ld.bfd takes minutes over them)
  python3 python3-sqlalchemy python3-alembic python3-psycopg2   # the SQLAlchemy and Alembic oracles (tests/oracle)
)

strata_install_deps() {
  local missing=()
  for p in "${STRATA_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "==> installing: ${missing[*]}"
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
      sudo="sudo"
      echo "==> not root: apt-get runs with sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  strata_install_deps
fi
