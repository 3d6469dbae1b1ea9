#!/usr/bin/env bash
# nn-toolkit against its references (PyTorch, NumPy: /work/shared/bench), measured in the same run, one
# benchmark after another (never in parallel: the machine has 2 cores and is shared). Every step's
# failure is reported and the script goes on. Raw results go to $OUT (default bench/results, not
# committed); the markdown table of ratios is printed at the end and written to $OUT/table.md.
#
#   bash bench/run.sh                    # everything, ~20-30 min on a busy 2-core machine
#   REPEATS=3 GATE=0 bash bench/run.sh   # quicker and ungated (noisier)
#   ONLY=gradcheck bash bench/run.sh     # only steps whose name contains the word; SKIP_BUILD=1 skips the build
#   ONLY=recipes bash bench/run.sh       # nn-train's own recipes beside torch_recipes.py (RECIPE_REPEATS, 2)
#   ONLY=cnn bash bench/run.sh           # the CNN recipe beside PyTorch (bench/cnn.sh; needs the build)
#
# Environment: OUT, REPEATS (5), GATE (15: before each timed repeat wait until the machine is < 15 %
# busy, and redo a repeat disturbed by other processes, as the reference scripts' --quiet-gate does),
# REF_BENCH (/work/shared/bench), SCRATCH (.build-bench), PNG_RUNS (30), RECIPE_REPEATS (2).
set -u
# The body is one function, parsed whole before it runs: editing this file during a run cannot derail it.
main() {
cd "$(dirname "$0")/.."
ROOT=$PWD
REF=${REF_BENCH:-/work/shared/bench}
OUT=${OUT:-bench/results}
REPEATS=${REPEATS:-5}
GATE=${GATE:-15}
SCRATCH=${SCRATCH:-.build-bench}
PNG_RUNS=${PNG_RUNS:-30}
BIN=$ROOT/$SCRATCH/release
FMNIST=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
export REF_BENCH=$REF
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
: > "$OUT/failures.txt"
NP="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"   # numpy timings: OpenBLAS tuning vars unset (as run_all.sh)
TIME="python3 $ROOT/bench/timecmd.py"

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
fail() { log "  FAILED: $*"; echo "$*" >> "$OUT/failures.txt"; }
want() { [ -z "${ONLY:-}" ] || [[ "$1" == *"$ONLY"* ]]; }

# measure NAME CMD...: runs CMD once under timecmd.py (whole-process wall time and peak RSS into
# NAME.proc.json), its stdout (one JSON line) into NAME.json, its stderr into NAME.err.
measure() {
  local name=$1; shift
  want "$name" || return 0
  log "$name: $*"
  if $TIME --stdout "$OUT/$name.json.tmp" --stderr "$OUT/$name.err" -- "$@" > "$OUT/$name.proc.json" \
     && python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])' "$OUT/$name.json.tmp" 2>/dev/null; then
    mv "$OUT/$name.json.tmp" "$OUT/$name.json"
  else
    rm -f "$OUT/$name.json"; fail "$name (see $OUT/$name.err)"
  fi
}

# ---- 0. setup -------------------------------------------------------------------------------------
if want setup; then
  python3 -c 'import torch, threadpoolctl' 2>/dev/null || { log "installing torch threadpoolctl (large download)"; \
    pip install -q torch threadpoolctl > "$OUT/pip.log" 2>&1 || fail "pip install torch threadpoolctl (see $OUT/pip.log)"; }
  python3 -c 'import numpy' 2>/dev/null || { pip install -q numpy >> "$OUT/pip.log" 2>&1 || fail "pip install numpy"; }
  dpkg -s dataset-fashion-mnist > /dev/null 2>&1 || { log "installing dataset-fashion-mnist"; \
    { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; } > "$OUT/apt.log" 2>&1 || fail "apt-get install dataset-fashion-mnist (see $OUT/apt.log)"; }
  perf --version > /dev/null 2>&1 || true
fi
if want build && [ -z "${SKIP_BUILD:-}" ]; then
  log "swift build -c release --scratch-path $SCRATCH"
  swift build -c release --scratch-path "$SCRATCH" > "$OUT/build.log" 2>&1 || fail "release build (see $OUT/build.log)"
fi

# The gate needs quiet moments: when the machine stays busy for a minute (other people's builds and
# tests), run ungated rather than wait 300 s per repeat; the others' load is still recorded per repeat.
if [ "$GATE" != 0 ] && ! python3 -c "import sys; sys.path.insert(0, '$REF'); import common; sys.exit(0 if common.wait_quiet($GATE, max_wait_s=${GATE_PROBE_S:-60})['quiet'] else 1)"; then
  log "machine not below $GATE % busy within ${GATE_PROBE_S:-60} s: running ungated (GATE=0)"
  GATE_NOTE="ungated: the machine was not below $GATE % busy for 2 s within ${GATE_PROBE_S:-60} s"
  GATE=0
fi
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1) (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) cores, $(grep -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "loadavg_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "swift: $(swift --version 2>&1 | head -1)"
  echo "torch: $(python3 -c 'import torch; print(torch.__version__)' 2>/dev/null || echo missing)"
  echo "numpy: $(python3 -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo missing)"
  echo "repeats: $REPEATS, gate: $GATE ${GATE_NOTE:-}"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2
LOADS="$OUT/loadavg.txt"; : > "$LOADS"
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOADS"; sleep 30; done ) &
LOADPID=$!
trap 'kill $LOADPID 2>/dev/null' EXIT

# ---- 1. the bare training loop (nn-bench train: SGD, no decay) and inference: ours, then the references ---
F="--epochs 1 --batch 100 --lr 0.1 --data fashion --repeats $REPEATS --quiet-gate $GATE"
for H in 100 512 512,512; do
  tag=h${H/,/x}
  for T in 2 1; do
    measure "ours_train_${tag}_t$T"  "$BIN/nn-bench" train --hidden "$H" $F --threads "$T"
    measure "torch_train_${tag}_t$T" python3 "$REF/torch_mlp.py" --hidden "$H" $F --threads "$T"
  done
done
# NumPy's TwoLayerNet (one hidden layer only): its gz load time is the loading reference
measure numpy_train_h100_t2 $NP python3 "$REF/numpy_twolayer.py" --hidden 100 $F --threads 2
measure numpy_train_h512_t2 $NP python3 "$REF/numpy_twolayer.py" --hidden 512 $F --threads 2

# ---- 1b. training through nn-train itself: its defaults and the README's recipes, beside PyTorch ----------
# nn-train (3 epochs of Fashion-MNIST 60k, --metrics: samples/s per epoch, the test evaluation after each
# epoch not timed) and torch_recipes.py doing the same recipe, back to back, RECIPE_REPEATS times each,
# alternating; samples/s = median of epochs 2-3 of a run. Peak RSS from /usr/bin/time -f %M. Then the
# default network with each other optimizer (ours only), for Momentum and AdaGrad against SGD.
recipe_flags() {
  case $1 in
    default) echo "" ;;   # 784-300-10, Adam 1e-3, weight decay 5e-4, batch 50
    fashion) echo "--layers 784-512-256-10 --batch-norm all --dropout 0.3 --lr-schedule cosine --batch-size 100 --weight-decay 0" ;;
    sgd) echo "--layers 784-100-10 --optimizer sgd --learning-rate 0.1 --batch-size 100 --weight-decay 0" ;;
    opt_sgd) echo "--optimizer sgd" ;;
    opt_momentum) echo "--optimizer momentum" ;;
    opt_adagrad) echo "--optimizer adagrad" ;;
  esac
}
# recipe_run NAME REP CMD...: CMD under the gate (timecmd.py) and /usr/bin/time -f %M (peak RSS, KB)
recipe_run() {
  local name=$1 rep=$2; shift 2
  log "recipe_${name}_r$rep: $*"
  $TIME --gate "$GATE" --stdout "$OUT/recipe_${name}_r$rep.out" --stderr "$OUT/recipe_${name}_r$rep.err" -- \
    /usr/bin/time -f %M -o "$OUT/recipe_${name}_r$rep.rss" "$@" > "$OUT/recipe_${name}_r$rep.proc.json" \
    || fail "recipe_${name}_r$rep (see $OUT/recipe_${name}_r$rep.err)"
}
if want recipes; then
  RR=${RECIPE_REPEATS:-2}
  rm -f "$OUT"/recipe_*
  for R in default fashion sgd; do
    for rep in $(seq 1 "$RR"); do
      recipe_run "ours_$R" "$rep" "$BIN/nn-train" --data "$FMNIST" --epochs 3 --threads 2 \
        --metrics "$OUT/recipe_ours_${R}_r$rep.jsonl" -o "$OUT/recipe_ours_$R.nnm" $(recipe_flags "$R")
      recipe_run "torch_$R" "$rep" python3 "$REF/torch_recipes.py" --recipe "$R" --epochs 3 --threads 2 --data "$FMNIST"
    done
  done
  for rep in $(seq 1 "$RR"); do
    for O in opt_sgd opt_momentum opt_adagrad; do
      recipe_run "ours_$O" "$rep" "$BIN/nn-train" --data "$FMNIST" --epochs 3 --threads 2 \
        --metrics "$OUT/recipe_ours_${O}_r$rep.jsonl" -o "$OUT/recipe_ours_$O.nnm" $(recipe_flags "$O")
    done
  done
fi

# ---- 2. gradient check ----------------------------------------------------------------------------
if want gradcheck; then
  log "gradcheck: nn-gradcheck --layers 784-50-10 --all --threads 2 (x3), numpy_gradcheck.py"
  $TIME --repeats 3 --gate "$GATE" --stdout "$OUT/ours_gradcheck.json" --stderr "$OUT/ours_gradcheck.err" -- \
    "$BIN/nn-gradcheck" --layers 784-50-10 --data "$FMNIST" --all --threads 2 --format json \
    > "$OUT/ours_gradcheck.proc.json" || fail "nn-gradcheck (see $OUT/ours_gradcheck.err)"
  measure numpy_gradcheck $NP python3 "$REF/numpy_gradcheck.py" --data fashion --threads 1 --repeats 3 --quiet-gate "$GATE"
fi

# ---- 2b. the convolutional network of issue 17 beside PyTorch, and nn-predict with the CNN: bench/cnn.sh ----
if want cnn; then
  OUT=$OUT GATE=$GATE SCRATCH=$SCRATCH SKIP_BUILD=1 bash "$ROOT/bench/cnn.sh" || fail "cnn (see $OUT/cnn_table.md)"
fi

# ---- 3. PNG: one file, whole process; 1,000 photo-like files in one process -----------------------
# Two sets of 1,000 renders of t10k digits (100-400 px canvases): "photos" draws every colour type, bit
# depth (1-16) and interlace mode uniformly, so 27% are 16-bit; "photos8" the same without 16-bit files
# (phones, scanners and drawing apps write 8-bit). png-stages times decoding and normalising alone.
if want png; then
  for SET in photos photos8; do
    PHOTOS=$OUT/$SET
    DEPTH=$([ "$SET" = photos ] && echo 16 || echo 8)
    if [ ! -f "$PHOTOS/labels.tsv" ]; then
      log "rendering 1,000 photo-like PNGs (bit depths up to $DEPTH) into $PHOTOS"
      "$BIN/nn-bench" render-photos --out "$PHOTOS" --count 1000 --max-canvas 400 --max-bit-depth "$DEPTH" \
        2> "$OUT/render_$SET.err" || fail "render-photos (see $OUT/render_$SET.err)"
    fi
  done
  if [ -f "$OUT/photos/labels.tsv" ]; then
    cut -f1 "$OUT/photos/labels.tsv" > "$OUT/photo_paths.txt"
    ONE=$(head -1 "$OUT/photo_paths.txt")
    log "png_one: $PNG_RUNS runs of nn-predict $ONE"
    $TIME --repeats "$PNG_RUNS" --warmup 2 --gate "$GATE" --gate-once --spawn --stdout "$OUT/png_one.out" --stderr "$OUT/png_one.err" -- \
      "$BIN/nn-predict" "$ONE" > "$OUT/png_one.proc.json" || fail "nn-predict one PNG (see $OUT/png_one.err)"
  fi
  for SET in photos photos8; do
    [ -f "$OUT/$SET/labels.tsv" ] || continue
    TAG=$([ "$SET" = photos ] && echo "" || echo "8")
    cut -f1 "$OUT/$SET/labels.tsv" > "$OUT/photo${TAG}_paths.txt"
    log "png_batch$TAG: nn-predict - < 1,000 paths of $SET (x3)"
    $TIME --repeats 3 --warmup 1 --gate "$GATE" --spawn --stdin "$OUT/photo${TAG}_paths.txt" --stdout "$OUT/png_batch$TAG.out" \
      --stderr "$OUT/png_batch$TAG.err" -- "$BIN/nn-predict" - > "$OUT/png_batch$TAG.proc.json" || fail "nn-predict 1,000 PNGs (see $OUT/png_batch$TAG.err)"
    log "png_stages$TAG: nn-bench png-stages over $SET"
    "$BIN/nn-bench" png-stages --paths "$OUT/photo${TAG}_paths.txt" > "$OUT/png_stages$TAG.json" 2> "$OUT/png_stages$TAG.err" \
      || fail "png-stages (see $OUT/png_stages$TAG.err)"
  done
fi

# ---- 4. where the time goes: perf profiles of the training loop (after the timings, not during them) -
if want profile; then
  if perf --version > /dev/null 2>&1; then
    # nn-train's recipes (as in 1b, 2 epochs): the stage tables of bench/RESULTS.md
    for R in default fashion sgd opt_momentum opt_adagrad; do
      log "profile_$R: perf record -g nn-train (recipe $R) --epochs 2 --threads 2"
      if perf record -F 2000 -g -o "$OUT/perf_$R.data" -- "$BIN/nn-train" --data "$FMNIST" --epochs 2 --threads 2 \
           -o "$OUT/profile_$R.nnm" $(recipe_flags "$R") > /dev/null 2> "$OUT/profile_$R.err" \
         && python3 "$ROOT/bench/perf_summary.py" "$OUT/perf_$R.data" > "$OUT/profile_$R.md"; then
        cat "$OUT/profile_$R.md" >&2
      else
        fail "profile_$R (see $OUT/profile_$R.err)"
      fi
    done
    # the bare loop (nn-bench train: SGD, no decay)
    for H in 100 512,512; do
      tag=h${H/,/x}; E=$([ "$H" = 100 ] && echo 5 || echo 2)
      log "profile_$tag: perf record -g nn-bench train --train-only --hidden $H --epochs $E --threads 2"
      if perf record -F 2000 -g -o "$OUT/perf_$tag.data" -- "$BIN/nn-bench" train --train-only --hidden "$H" --epochs "$E" --threads 2 \
           > "$OUT/profile_$tag.json" 2> "$OUT/profile_$tag.err" \
         && python3 "$ROOT/bench/perf_summary.py" "$OUT/perf_$tag.data" > "$OUT/profile_$tag.md"; then
        cat "$OUT/profile_$tag.md" >&2
      else
        fail "profile_$tag (see $OUT/profile_$tag.err)"
      fi
    done
  else
    fail "perf not installed (apt-get install linux-perf)"
  fi
fi

echo "loadavg_end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
python3 "$ROOT/bench/report.py" "$OUT" > "$OUT/table.md" || fail "report.py"
cat "$OUT/table.md"
if [ -s "$OUT/failures.txt" ]; then echo; echo "Failed steps:"; sed 's/^/- /' "$OUT/failures.txt"; return 1; fi
}
main "$@"
