#!/usr/bin/env bash
# The microblog walkthrough on a fresh SQLite file in a temporary folder:
# builds Release, then runs each step of the tutorial's database chapter,
# printing the command before its output.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/deps.sh
strata_install_deps

echo "==> building (Release)"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF >/dev/null  # the bench target stays configured (scripts/bench.sh builds it)
cmake --build build-release -j"$(nproc)" --target microblog | grep -v "^\[" || true
mb="$root/build-release/examples/microblog/microblog"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
unset DATABASE_URL

microblog() { "$mb" "$@"; }

step() {
  echo
  echo "\$ $*"
  "$@"
}

echo "==> part 1: the tutorial's shell session (DATABASE_URL unset: sqlite:///$work/app.db)"
step microblog db create
step sqlite3 app.db .schema
step microblog tutorial

echo
echo "==> part 2: migrations on a fresh database (sqlite:///$work/blog/app.db)"
mkdir blog
cd blog
step microblog db init
step microblog db migrate -m "initial"
step cat migrations/versions/*_initial.yaml
step microblog db upgrade
step microblog db current
step microblog db history
step microblog db check
step microblog db downgrade --yes
step microblog db current
step microblog db upgrade
step microblog db current
echo
echo "==> done"
