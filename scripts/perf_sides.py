#!/usr/bin/env python3
"""Where each side of a benchmark spends its wall time, from perf's samples.

callgrind counts instructions; this shows time, cache misses and malloc's
slow paths included. perf's timer sampling needs no hardware counters:

  perf record -e cpu-clock -F 10000 --call-graph dwarf,16384 -o /tmp/w4.perf \\
      build-release/bench/strata_bench --only W4-lazy --backend sqlite-memory
  perf script -i /tmp/w4.perf | scripts/perf_sides.py            # leaves, per side
  perf script -i /tmp/w4.perf | scripts/perf_sides.py --callers  # who called malloc's slow paths

A sample belongs to a side when its stack holds the bench's run_raw or
run_strata (bench/main.cpp). Compare the shares of two builds rather than
their counts: this machine's speed moves between runs more than the shares do.
"""
import argparse
import collections
import re
import sys

SIDES = ("run_raw", "run_strata")
MALLOC_SLOW = ("_int_malloc", "_int_free", "malloc_consolidate", "unlink_chunk")
ALLOCATOR = ("_int_", "__GI___libc_", "malloc", "free", "cfree", "tcache_", "unlink_chunk", "operator new",
             "operator delete", "__libc_")


def frames(lines):
    """Yields each sample's stack, leaf first, as function names."""
    stack = []
    for line in lines:
        if not line.strip():
            if stack:
                yield stack
            stack = []
        elif line[0] in " \t":
            parts = line.strip().split(" ", 1)
            if len(parts) == 2:
                name = re.sub(r"\+0x[0-9a-f]+ ", " ", parts[1])
                stack.append(re.sub(r" \([^ ]*$", "", name).strip())
    if stack:
        yield stack


def side_of(stack):
    for frame in stack:
        for side in SIDES:
            if frame.endswith("::" + side) or frame == side:
                return side
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", type=int, default=30, help="rows per side (default 30)")
    ap.add_argument("--callers", action="store_true",
                    help="instead of leaves: malloc's slow paths and the first caller outside the allocator")
    args = ap.parse_args()

    counts = {side: collections.Counter() for side in SIDES}
    totals = collections.Counter()
    for stack in frames(sys.stdin):
        side = side_of(stack)
        if not side:
            continue
        totals[side] += 1
        if not args.callers:
            counts[side][stack[0]] += 1
            continue
        for i, frame in enumerate(stack):
            if frame in MALLOC_SLOW:
                caller = next((f for f in stack[i + 1:] if not f.startswith(ALLOCATOR)), "?")
                counts[side][f"{frame} <- {caller}"] += 1
                break

    if not totals:
        sys.exit("perf_sides: no sample under run_raw or run_strata (was perf recorded with --call-graph dwarf?)")
    for side in SIDES:
        print(f"{side}: {totals[side]} samples")
        for name, n in counts[side].most_common(args.top):
            print(f"  {n:7d} {100.0 * n / totals[side]:5.1f}%  {name[:120]}")
    if totals["run_raw"]:
        print(f"strata / raw samples: {totals['run_strata'] / totals['run_raw']:.3f}")


if __name__ == "__main__":
    main()
