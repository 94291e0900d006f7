#!/usr/bin/env bash
# Installs the built library into a temporary prefix and builds a consumer against it.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/install_consumer" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
out=$("$work/build/consumer")
[[ "$out" == "t" ]] || { echo "consumer printed '$out', expected 't'"; exit 1; }
echo "find_package(strata) from $work/prefix: ok"
