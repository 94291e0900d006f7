#!/usr/bin/env bash
# The benchmark runs (--smoke: a hundredth of the rows, once; SQLite only) and prints what scripts/bench.sh
# promises: '#' header lines, then one line per measurement,
#   workload backend raw_s strata_s ratio
# with ratio = strata_s / raw_s. Timings are not checked (no timing
# assertions in tests): only that every workload ran on both SQLite backends.
set -euo pipefail
bench=$1
out=$(env -u DATABASE_URL "$bench" --smoke)
body=$(grep -v '^#' <<<"$out")
bad=$(grep -vE '^[A-Za-z0-9+-]+ sqlite-(file|memory) [0-9]+\.[0-9]{6} [0-9]+\.[0-9]{6} [0-9]+\.[0-9]{3}$' <<<"$body" || true)
[[ -z "$bad" ]] || { echo "malformed lines:"; echo "$bad"; exit 1; }
[[ $(grep -c '^# peak-memory ' <<<"$out") -eq 4 ]] || { echo "expected 4 peak-memory lines (W2, W7)"; echo "$out"; exit 1; }
# W1-W4 on the file and in memory (W4 three times), W5 on the file, W6 and W7 on the file and in memory.
expected=17
[[ $(wc -l <<<"$body") -eq $expected ]] || { echo "expected $expected measurements:"; echo "$out"; exit 1; }
# Each ratio is strata_s / raw_s (within 1%, and the seconds' rounding).
# A smoke run's seconds are small, so the tolerance also covers their rounding to 1e-6 s.
awk '{ if ($3 <= 0) { print "no raw time in " $0; bad = 1; next }
       r = $4 / $3; tol = $5 * (0.01 + 1e-6 / $3) + 0.001
       if (r > $5 + tol || r < $5 - tol) { print "ratio of " $0; bad = 1 } } END { exit bad }' <<<"$body"
echo "strata_bench --smoke: $expected measurements, well formed"

# --runs 3: a '# run' line per run and measurement, a '# runs' line per measurement with the three
# ratios and their range, then each measurement's line, that of its median run (by ratio). W3 on
# both SQLite backends and W5 (a migration repository of its own in each run's process).
out=$(env -u DATABASE_URL "$bench" --smoke --runs 3 --only W3,W5)
line='[0-9]+\.[0-9]{6} [0-9]+\.[0-9]{6} [0-9]+\.[0-9]{3}'
[[ $(grep -cE "^# run [1-3]/3: (W3-get-by-id sqlite-(file|memory)|W5-migrate-rebuild sqlite-file) $line\$" <<<"$out") -eq 9 ]] ||
  { echo "expected 9 '# run' lines:"; echo "$out"; exit 1; }
body=$(grep -v '^#' <<<"$out")
[[ $(grep -cE "^(W3-get-by-id sqlite-(file|memory)|W5-migrate-rebuild sqlite-file) $line\$" <<<"$body") -eq 3 &&
   $(wc -l <<<"$body") -eq 3 ]] || { echo "expected 3 measurement lines:"; echo "$out"; exit 1; }
while read -r workload backend raw strata ratio; do
  runs=$(sed -nE "s/^# runs $workload $backend ratios: ([0-9.]+) ([0-9.]+) ([0-9.]+) \(([0-9.]+)-([0-9.]+)\)$/\1 \2 \3 \4 \5/p" <<<"$out")
  [[ -n "$runs" ]] || { echo "no '# runs' line for $workload $backend:"; echo "$out"; exit 1; }
  read -r a b c low high <<<"$runs"
  # The line's ratio is the median of the three, the range is theirs (all printed as %.3f), and the
  # line is one of the runs.
  mapfile -t sorted < <(printf '%s\n' "$a" "$b" "$c" | sort -n)
  [[ $ratio == "${sorted[1]}" && $low == "${sorted[0]}" && $high == "${sorted[2]}" ]] ||
    { echo "the median run or the range of $workload $backend is wrong:"; echo "$out"; exit 1; }
  grep -qE "^# run [1-3]/3: $workload $backend $raw $strata $ratio$" <<<"$out" ||
    { echo "the line of $workload $backend is not one of its runs:"; echo "$out"; exit 1; }
done <<<"$body"
echo "strata_bench --smoke --runs 3: well formed"
