#!/usr/bin/env bash
# Builds strata and runs every test (ctest + GoogleTest) once, then packages and fuzzes:
#   1. the suite: a clang Debug build under AddressSanitizer + UndefinedBehaviorSanitizer, warnings as
#      errors, against SQLite and a throwaway PostgreSQL server (tests, examples/microblog, bench/);
#   2. a GCC Debug build of the library, examples/microblog and bench/, warnings as errors, not
#      sanitized: what a Debian user compiles; then the ways a project takes strata in, each built as a
#      consumer of it (tests/packaging_test.sh: FetchContent + libstrata.so, add_subdirectory, the .deb
#      installed and removed again);
#   3. each libFuzzer target in tests/fuzz for STRATA_FUZZ_SECONDS (15), as many at a time as there are
#      cores: built in the suite's tree, whose library is instrumented for them (-DSTRATA_FUZZ=ON; the
#      sanitizers' runtime serves the suite).
# Both builds use -Werror: clang compiles every source, GCC all but tests/; the suite runs once, in the
# build that checks most.
# Every build carries line tables only (-g1): enough for the sanitizers' stack traces, and a third
# faster to build than -g. Exits non-zero on any failure. Set STRATA_SKIP_PACKAGING=1 to skip the
# consumers of step 2 (they install and remove libstrata-dev), STRATA_SKIP_FUZZ=1 to skip step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
strata_install_deps

jobs=$(nproc)
# Each step's line carries the time since the start, so a slow CI run shows where its time went.
say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# The include graph of src/ and include/strata/ against the layers of docs/architecture.md.
python3 scripts/check_layers.py --self-test
python3 scripts/check_layers.py
# No code outside src/backend/<name>/ asks which backend it runs on (docs/architecture.md, Backends).
python3 scripts/check_backends.py --self-test
python3 scripts/check_backends.py

# PostgreSQL: a throwaway cluster on 127.0.0.1, stopped on exit.
if [[ -x scripts/pg.sh && -z "${STRATA_TEST_PG_URL:-}" ]]; then
  pg_env=$(mktemp)
  trap 'scripts/pg.sh stop || true; rm -f "$pg_env"' EXIT
  STRATA_PG_ENV_FILE="$pg_env" scripts/pg.sh start
  # shellcheck disable=SC1090
  source "$pg_env"
  export STRATA_TEST_PG_URL
fi
say "PostgreSQL for tests: ${STRATA_TEST_PG_URL:-none}"

# A Debug build with warnings as errors and line tables only; the caller adds the compiler and options.
# Linked by lld: the sanitized test programs are hundreds of MB, and ld.bfd took about 130 s to link
# them all (strata_tests alone 25 s), lld about 40 s. The consumers of tests/packaging_test.sh keep
# the default linker, as a user's build would.
build_debug() {
  local dir=$1; shift
  say "configure $dir ($*)"
  cmake -S . -B "$dir" -G Ninja -DSTRATA_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld "$@" >/dev/null
  say "build $dir"
  cmake --build "$dir" -j"$jobs"
}

# 1. The suite.
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
fuzz=ON
[[ "${STRATA_SKIP_FUZZ:-0}" == 1 ]] && fuzz=OFF
build_debug build-asan -DCMAKE_CXX_COMPILER=clang++ -DSTRATA_SANITIZE=ON -DSTRATA_FUZZ=$fuzz \
  -DSTRATA_BUILD_EXAMPLES=ON -DSTRATA_BUILD_BENCH=ON  # the bench too: smoke-run by ctest
say "test build-asan"
(cd build-asan && ctest --output-on-failure -j"$jobs" --timeout 600) | tee build-asan/ctest.log
# A skipped or disabled test fails the run; allowed skips: none.
scripts/check_skips.sh build-asan/ctest.log
scripts/check_skips.sh --self-test build-asan  # a PostgreSQL test run without the server skips, and fails the check

# 2. GCC, not sanitized: the library, examples/microblog, bench/; then the consumers.
build_debug build -DCMAKE_CXX_COMPILER=g++ -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_EXAMPLES=ON -DSTRATA_BUILD_BENCH=ON
if [[ "${STRATA_SKIP_PACKAGING:-0}" != 1 ]]; then
  say "packaging"
  tests/packaging_test.sh build .
fi

# The targets are built with the suite (step 1); new inputs a run finds go to $dir/fuzz-corpus, the
# seeds in tests/fuzz/corpus are only read. A crash, leak or timeout fails the script and leaves the
# input in $dir/fuzz-<target>-crash-* (docs/architecture.md, Fuzzing).
# One target: its run's last line, or on failure the end of its log.
fuzz_one() {
  local dir=$1 name=$2 seconds=$3
  local log="$dir/fuzz-$name.log" dict=()
  [[ -f tests/fuzz/$name.dict ]] && dict=(-dict="tests/fuzz/$name.dict")
  mkdir -p "$dir/fuzz-corpus/$name"
  if ! "$dir/tests/fuzz/fuzz_$name" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir/fuzz-$name-" "${dict[@]}" \
      "$dir/fuzz-corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1; then
    tail -n 60 "$log"
    say "fuzz $name FAILED (input: $dir/fuzz-$name-*, log: $log)"
    return 1
  fi
  echo "$name: $(tail -n 1 "$log")"
}

# $jobs targets at a time: each is one process on one core for a fixed time, so running them side by
# side gives each as many inputs as alone. A batch's reports are printed in order once it has ended.
run_fuzzers() {
  local dir=$1 seconds=${STRATA_FUZZ_SECONDS:-15}
  local names=() source i k failed=0
  for source in tests/fuzz/*.cpp; do names+=("$(basename "$source" .cpp)"); done
  for ((i = 0; i < ${#names[@]}; i += jobs)); do
    local batch=("${names[@]:i:jobs}") pids=()
    say "fuzz ${batch[*]} for ${seconds}s"
    for k in "${!batch[@]}"; do
      fuzz_one "$dir" "${batch[k]}" "$seconds" >"$dir/fuzz-${batch[k]}.report" 2>&1 &
      pids+=($!)
    done
    for k in "${!batch[@]}"; do
      wait "${pids[k]}" || failed=1
      cat "$dir/fuzz-${batch[k]}.report"
    done
    ((failed == 0)) || return 1
  done
}

# 3. The fuzzers.
if [[ "${STRATA_SKIP_FUZZ:-0}" != 1 ]]; then
  run_fuzzers build-asan
fi
say "all tests passed"
