#!/usr/bin/env bash
# Builds strata and runs every test (ctest + GoogleTest), twice:
#   1. Debug build, warnings as errors, against SQLite and a throwaway PostgreSQL server;
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
# Exits non-zero on any failure. Set STRATA_SKIP_SANITIZE=1 to skip pass 2 locally.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
strata_install_deps

jobs=$(nproc)

# PostgreSQL: a throwaway cluster on 127.0.0.1, stopped on exit.
if [[ -x scripts/pg.sh && -z "${STRATA_TEST_PG_URL:-}" ]]; then
  pg_env=$(mktemp)
  trap 'scripts/pg.sh stop || true; rm -f "$pg_env"' EXIT
  STRATA_PG_ENV_FILE="$pg_env" scripts/pg.sh start
  # shellcheck disable=SC1090
  source "$pg_env"
  export STRATA_TEST_PG_URL
fi
echo "==> PostgreSQL for tests: ${STRATA_TEST_PG_URL:-none}"

run_suite() {
  local dir=$1; shift
  echo "==> configure $dir ($*)"
  cmake -S . -B "$dir" -G Ninja -DSTRATA_WERROR=ON -DSTRATA_BUILD_BENCH=OFF "$@" >/dev/null
  echo "==> build $dir"
  cmake --build "$dir" -j"$jobs"
  echo "==> test $dir"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600)
}

run_suite build -DCMAKE_BUILD_TYPE=Debug -DSTRATA_BUILD_BENCH=ON  # the bench too: built with -Werror, smoke-run by ctest
if [[ "${STRATA_SKIP_SANITIZE:-0}" != 1 ]]; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=ON -DSTRATA_BUILD_EXAMPLES=ON
fi
echo "==> all tests passed"
