#!/usr/bin/env bash
# Builds Release and runs the benchmarks: one line per measurement,
#   workload backend raw_s strata_s ratio
# after header lines starting with '#'. --quick: a tenth of the rows, under a minute. --runs N: every
# workload N times over, each line then from its median run (strata_bench --help lists the options).
# DATABASE_URL=postgresql://... adds the PostgreSQL rows.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/deps.sh
strata_install_deps >&2
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_BENCH=ON >/dev/null
cmake --build build-release -j"$(nproc)" --target strata_bench >&2
exec build-release/bench/strata_bench "$@"
