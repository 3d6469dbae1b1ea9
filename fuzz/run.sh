#!/bin/sh
# run.sh TARGET SECONDS: fuzzes one target (model, idx, png, onnx, npz, args or checkpoint) for SECONDS seconds.
#
#   fuzz/build.sh && fuzz/run.sh model 600
#
# The committed seed corpus fuzz/corpus/TARGET/ is copied to fuzz/work/TARGET-corpus/ (new inputs go
# there, the committed one is never modified); crashes, leaks, timeouts and out-of-memory inputs go to
# fuzz/crashes/. Limits: 5 s per input (-timeout), 2 GB RSS (-rss_limit_mb). One job, one worker: the
# machine is shared. The last lines are libFuzzer's final status (executions, cov: edges, ft: features,
# exec/s) and a summary line.
set -eu
[ $# -eq 2 ] || { echo "usage: fuzz/run.sh model|idx|png|onnx|npz|args|checkpoint SECONDS" >&2; exit 2; }
TARGET=$1 SECONDS_=$2
cd "$(dirname "$0")"
FUZZ=$PWD
BIN=$FUZZ/.build/fuzz-$TARGET
[ -x "$BIN" ] || { echo "run.sh: $BIN missing: run fuzz/build.sh first" >&2; exit 2; }
[ -d "corpus/$TARGET" ] || { echo "run.sh: no seed corpus fuzz/corpus/$TARGET" >&2; exit 2; }

WORK=$FUZZ/work/$TARGET-corpus
mkdir -p "$WORK" "$FUZZ/crashes"
cp -n corpus/"$TARGET"/* "$WORK"/ 2>/dev/null || true
LOG=$FUZZ/work/$TARGET.log

# -max_len: model seeds reach 13 KB (the 784-4-10 model); the other targets need less.
case $TARGET in model|onnx|checkpoint) MAXLEN=16384;; idx) MAXLEN=4096;; png|npz) MAXLEN=8192;; args) MAXLEN=512;; *) MAXLEN=4096;; esac
set +e
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$BIN" "$WORK" \
    -max_total_time="$SECONDS_" -timeout=5 -rss_limit_mb=2048 -max_len=$MAXLEN \
    -artifact_prefix="$FUZZ/crashes/$TARGET-" -print_final_stats=1 >"$LOG" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+' "$LOG" | tail -3
grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$LOG" || true
grep -E 'ERROR: |SUMMARY: |Test unit written' "$LOG" || true
LAST=$(grep -E '^#[0-9]+' "$LOG" | tail -1)
echo "run.sh: $TARGET, $SECONDS_ s, exit $rc: execs $(echo "$LAST" | sed -E 's/^#([0-9]+).*/\1/')," \
     "$(echo "$LAST" | grep -oE 'cov: [0-9]+ ft: [0-9]+')," \
     "$(grep -oE 'average_exec_per_sec: *[0-9]+' "$LOG" | grep -oE '[0-9]+$') exec/s (log: fuzz/work/$TARGET.log)"
exit $rc
