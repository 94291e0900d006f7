#!/usr/bin/env bash
# The microblog walkthrough on fresh SQLite files in a temporary folder:
# builds Release, then runs each step of the tutorial's database chapter, then
# the committed migrations upgrading a chapter-4 database to the later
# chapters (profile fields, followers) and the commands for scripts on it,
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
echo "==> part 3: the app's committed migrations (examples/microblog/migrations) upgrade chapter-4 data"
echo "    (sqlite:///$work/chapter4/app.db)"
mkdir "$work/chapter4"
cd "$work/chapter4"
export DATABASE_URL="sqlite:///$work/chapter4/app.db"
repo="$root/examples/microblog"
chapter4=795293bf24fe   # the repository's first revision: user and post, as in chapter 4
microblog() { "$mb" --basedir "$repo" "$@"; }
step microblog db history
step microblog db upgrade "$chapter4"
step sqlite3 app.db "INSERT INTO user (nickname, email) VALUES ('john', 'john@email.com'), ('susan', 'susan@email.com');
INSERT INTO post (body, timestamp, user_id) VALUES
  ('my first post!', '2026-11-02 09:00:00.000000', 1), ('hello from susan', '2026-11-02 10:30:00.000000', 2),
  ('another one', '2026-11-03 08:15:00.000000', 1), ('susan again', '2026-11-04 18:45:00.000000', 2);"
step sqlite3 -header app.db "SELECT * FROM user; SELECT * FROM post;"
step microblog db check || true
step microblog db upgrade
step microblog db current
step sqlite3 -header app.db "SELECT * FROM user; SELECT * FROM post;"
step microblog user add ann ann@email.com
step microblog follow john susan
step microblog follow ann john
step microblog follow john susan || true
step microblog post john "a post after the upgrade"
step microblog feed john --per-page 3
step microblog feed john --page 2 --per-page 3
step microblog stats
step microblog feed nobody || true
echo
echo "==> done"
