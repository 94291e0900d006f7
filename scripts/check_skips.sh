#!/usr/bin/env bash
# Fails when a ctest run skipped a test: a skipped test is a test that cannot catch a regression.
#
#   scripts/check_skips.sh CTEST_LOG [ALLOWED_TEST...]
#       CTEST_LOG is ctest's output. Every test it lists under "The following tests did not run"
#       (GTEST_SKIP, which gtest_discover_tests reports as Skipped; DISABLED_ tests; any other
#       Not Run) fails the check unless its exact name is one of ALLOWED_TEST.
#   scripts/check_skips.sh --self-test BUILD_DIR
#       Runs one PostgreSQL backend test of BUILD_DIR without STRATA_TEST_PG_URL and CI, so it
#       skips, and checks that the check fails naming it, and passes when it is allowed.
set -euo pipefail

# The test's name in a line of ctest's list, without the number, the reason and the
# "  # GetParam() = ..." of a parametrised test: "Backends/Suite.Name/postgresql".
test_name() {
  sed -E 's/^[[:space:]]*[0-9]+ - (.*) \([^)]*\)$/\1/; s/[[:space:]]+#.*$//' <<<"$1"
}

check() {
  local log=$1; shift
  local -A allowed=()
  local name
  for name in "$@"; do allowed[$name]=1; done
  # ctest lists them as "<tab> 12 - Suite.Name (Skipped)", after the summary line.
  local not_run bad=()
  not_run=$(sed -n '/^The following tests did not run:/,/^[^[:space:]]/{/^[[:space:]]/p}' "$log")
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    name=$(test_name "$line")
    [[ -n ${allowed[$name]:-} ]] || bad+=("$line")
  done <<<"$not_run"
  if ((${#bad[@]})); then
    echo "==> FAILED: ${#bad[@]} test(s) did not run (a skipped test hides a regression; scripts/check_skips.sh):"
    printf '%s\n' "${bad[@]}"
    return 1
  fi
}

self_test() {
  local build=$1 number name log
  # "  Test #159: Backends/Concurrency.Foo/postgresql  # GetParam() = ..."
  read -r number name < <(cd "$build" && ctest -N | sed -nE 's/^ *Test +#([0-9]+): ([^ ]*\/postgresql)( .*)?$/\1 \2/p' | head -n 1)
  [[ -n ${name:-} ]] || { echo "self-test: no PostgreSQL backend test in $build"; return 1; }
  log=$(mktemp)
  (cd "$build" && env -u STRATA_TEST_PG_URL -u CI ctest -I "$number,$number") >"$log" 2>&1 || true
  local out
  if out=$(check "$log"); then
    echo "self-test FAILED: $name skipped without PostgreSQL, and the check passed:"; cat "$log"; rm -f "$log"; return 1
  fi
  if ! grep -qF -- "- $name " <<<"$out"; then
    echo "self-test FAILED: the check did not name $name:"; echo "$out"; rm -f "$log"; return 1
  fi
  if ! check "$log" "$name" >/dev/null; then
    echo "self-test FAILED: allowing $name did not pass the check"; rm -f "$log"; return 1
  fi
  rm -f "$log"
  echo "==> check_skips self-test: a skipped $name fails the check"
}

if [[ ${1:-} == --self-test ]]; then
  self_test "${2:?usage: $0 --self-test BUILD_DIR}"
else
  check "${1:?usage: $0 CTEST_LOG [ALLOWED_TEST...]}" "${@:2}"
fi
