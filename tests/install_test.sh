#!/usr/bin/env bash
# Builds the consumers of an installed strata and runs them (each prints "t 1"):
#   - tests/install_consumer/CMakeLists.txt: find_package(strata 0.1 REQUIRED) → strata::strata; asking
#     for a version this one is not compatible with (0.2, 1.0) must fail;
#   - tests/install_consumer/Makefile: a plain Makefile with `pkg-config --cflags --libs strata`.
# Where the prefix holds libstrata.so, each consumer must have loaded that one.
#
#   install_test.sh BUILD_DIR SOURCE_DIR           cmake --install BUILD_DIR into a temporary prefix, check it
#   install_test.sh --installed PREFIX SOURCE_DIR  check what is installed in PREFIX; /usr (the .deb) is
#                                                  found the way a user's build finds it, by default paths
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ $1 == --installed ]]; then
  prefix=$2 source_dir=$3
else
  prefix=$work/prefix source_dir=$2
  cmake --install "$1" --prefix "$prefix" >/dev/null
fi
consumer=$source_dir/tests/install_consumer

fail() { echo "install_test: $*" >&2; exit 1; }

pc=$(find "$prefix"/lib* -maxdepth 3 -name strata.pc -path '*/pkgconfig/*' -print -quit)
[[ -n $pc ]] || fail "no strata.pc under $prefix/lib*"
libdir=$(dirname "$(dirname "$pc")")
shared=$(find "$libdir" -maxdepth 1 -name 'libstrata.so*' -print -quit)
search=()   # how the consumers' builds are pointed at the prefix
[[ $prefix == /usr ]] || search=(-DCMAKE_PREFIX_PATH="$prefix")

run_consumer() {
  local exe=$1 out
  out=$("$exe") || fail "$exe failed: $out"
  [[ "$out" == "t 1" ]] || fail "$exe printed '$out', expected 't 1'"
  if [[ -n $shared ]]; then
    # ldd's whole output first: `ldd | grep -q` under pipefail fails when grep
    # stops reading early and ldd gets SIGPIPE, though the line is there.
    local deps
    deps=$(ldd "$exe")
    grep -q "libstrata\.so\.[0-9]* => $libdir/" <<<"$deps" || fail "$exe does not load $libdir's libstrata.so: $deps"
  fi
}

# find_package(strata 0.1 REQUIRED), as the consumer asks.
cmake -S "$consumer" -B "$work/cmake" -G Ninja "${search[@]}" >/dev/null
cmake --build "$work/cmake" >/dev/null
run_consumer "$work/cmake/consumer"
# A version this strata is not compatible with is refused by strataConfigVersion.cmake.
for newer in 0.2 1.0; do
  mkdir -p "$work/cmake-$newer"
  sed "s/find_package(strata 0.1 REQUIRED)/find_package(strata $newer REQUIRED)/" "$consumer/CMakeLists.txt" \
    >"$work/cmake-$newer/CMakeLists.txt"
  cp "$consumer/main.cpp" "$work/cmake-$newer/"
  grep -q "find_package(strata $newer REQUIRED)" "$work/cmake-$newer/CMakeLists.txt" || fail "no find_package line to change"
  if log=$(cmake -S "$work/cmake-$newer" -B "$work/cmake-$newer/build" -G Ninja "${search[@]}" 2>&1); then
    fail "find_package(strata $newer) succeeded against $prefix"
  fi
  grep -q "requested version \"$newer\"" <<<"$log" || fail "find_package(strata $newer) failed for another reason: $log"
done
echo "find_package(strata 0.1) from $prefix: ok (0.2 and 1.0 refused)"

# pkg-config from a plain Makefile, built where a user's copy would be.
cp "$consumer/main.cpp" "$consumer/Makefile" "$work/"
if [[ $prefix == /usr ]]; then
  make -s -C "$work" consumer >/dev/null
else
  PKG_CONFIG_PATH="$(dirname "$pc")" make -s -C "$work" consumer >/dev/null
fi
LD_LIBRARY_PATH="$libdir" run_consumer "$work/consumer"
echo "pkg-config strata from $(dirname "$pc"): ok"
