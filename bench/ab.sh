#!/bin/bash
# bench/ab.sh: two or more nn-predict builds over the same 1,000 paths, alternating run by run, so that
# the drift of a shared VM (its speed moved by 15-20 % within an hour here) hits every build alike.
#
#   bench/ab.sh PATHS_FILE BINARY... (ROUNDS=8 by default)
#
# An older build to compare with, beside the current one:
#   git worktree add /tmp/old d08a466 && (cd /tmp/old && swift build -c release)
#   bench/ab.sh bench/results/photo_paths.txt /tmp/old/.build/release/nn-predict .build/release/nn-predict
# Prints each binary's median and fastest wall time and the median's images/s.
set -eu
paths=$1
shift
rounds=${ROUNDS:-8}
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for _ in $(seq 1 "$rounds"); do
  for b in "$@"; do
    start=$(date +%s.%N)
    "$b" - < "$paths" > /dev/null
    end=$(date +%s.%N)
    echo "$b $start $end" >> "$times"
  done
done
python3 - "$times" "$(wc -l < "$paths")" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, s, e = line.split()
    runs[b].append(float(e) - float(s))
n = int(sys.argv[2])
for b, t in runs.items():
    m = statistics.median(t)
    print(f"{b}: median {m:.3f} s, fastest {min(t):.3f} s, {n / m:,.0f} images/s ({len(t)} runs)")
PY
