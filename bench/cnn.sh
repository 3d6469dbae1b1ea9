#!/usr/bin/env bash
# bench/cnn.sh: the convolutional network of issue 17 through nn-train, beside PyTorch doing the same recipe
# (/work/shared/bench/torch_recipes.py --recipe cnn), measured in the same run, one after the other.
#
#   1x28x28-conv32k5-maxpool2-conv64k3-maxpool2-128-10, ReLU, Adam 1e-3, no weight decay, batch 50,
#   Fashion-MNIST 60k, 3 epochs, 2 threads. samples/s = median of epochs 2-3 (nn-train --metrics: the
#   training loop alone, the test evaluation after each epoch is not timed; torch_recipes.py the same).
#
# Each repeat runs ours then PyTorch (alternating, so the drift of a shared VM hits both alike), each under
# the quiet gate of bench/timecmd.py and /usr/bin/time -f %M (peak RSS). Then nn-predict with the CNN model:
# one PNG (whole process, 30 runs) and 1,000 photo-like PNGs in one process (3 runs).
#
#   bash bench/cnn.sh                       # builds .build-bench (release) first
#   SKIP_BUILD=1 REPEATS=3 GATE=0 bash bench/cnn.sh
#
# Environment: OUT (bench/results), REPEATS (2), EPOCHS (3), GATE (15), SCRATCH (.build-bench),
# REF_BENCH (/work/shared/bench), FMNIST_DIR (/usr/share/datasets/fashion-mnist), MODEL (models/mnist-cnn.nnm).
# bench/run.sh calls it (section 2b) with its own OUT, GATE and build.
set -u
main() {
cd "$(dirname "$0")/.."
ROOT=$PWD
REF=${REF_BENCH:-/work/shared/bench}
OUT=${OUT:-bench/results}
REPEATS=${REPEATS:-2}
EPOCHS=${EPOCHS:-3}
GATE=${GATE:-15}
SCRATCH=${SCRATCH:-.build-bench}
BIN=$ROOT/$SCRATCH/release
FMNIST=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
MODEL=${MODEL:-$ROOT/models/mnist-cnn.nnm}
LAYERS=1x28x28-conv32k5-maxpool2-conv64k3-maxpool2-128-10
export REF_BENCH=$REF
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIME="python3 $ROOT/bench/timecmd.py"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
failed=0
fail() { log "  FAILED: $*"; failed=1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  log "swift build -c release --scratch-path $SCRATCH"
  swift build -c release --scratch-path "$SCRATCH" > "$OUT/cnn_build.log" 2>&1 || { fail "release build (see $OUT/cnn_build.log)"; return 1; }
fi
python3 -c 'import torch' 2>/dev/null || fail "PyTorch is missing (pip install torch)"

# run NAME CMD...: CMD under the gate and /usr/bin/time (peak RSS in KB into NAME.rss)
run() {
  local name=$1; shift
  log "$name: $*"
  $TIME --gate "$GATE" --stdout "$OUT/$name.out" --stderr "$OUT/$name.err" -- \
    /usr/bin/time -f %M -o "$OUT/$name.rss" "$@" > "$OUT/$name.proc.json" || fail "$name (see $OUT/$name.err)"
}

rm -f "$OUT"/cnn_ours_r* "$OUT"/cnn_torch_r*
for rep in $(seq 1 "$REPEATS"); do
  run "cnn_ours_r$rep" "$BIN/nn-train" --data "$FMNIST" --layers "$LAYERS" --weight-decay 0 --batch-size 50 \
    --epochs "$EPOCHS" --threads 2 --metrics "$OUT/cnn_ours_r$rep.jsonl" -o "$OUT/cnn_ours.nnm"
  run "cnn_torch_r$rep" python3 "$REF/torch_recipes.py" --recipe cnn --epochs "$EPOCHS" --threads 2 --data "$FMNIST"
done

# nn-predict with the CNN: photo-like renders of t10k digits (the set bench/run.sh draws, 8-bit files)
PHOTOS=$OUT/photos8
if [ -f "$MODEL" ]; then
  if [ ! -f "$PHOTOS/labels.tsv" ]; then
    log "rendering 1,000 photo-like PNGs into $PHOTOS"
    "$BIN/nn-bench" render-photos --out "$PHOTOS" --count 1000 --max-canvas 400 --max-bit-depth 8 2> "$OUT/cnn_render.err" \
      || fail "render-photos (see $OUT/cnn_render.err)"
  fi
  if [ -f "$PHOTOS/labels.tsv" ]; then
    cut -f1 "$PHOTOS/labels.tsv" > "$OUT/cnn_photo_paths.txt"
    ONE=$(head -1 "$OUT/cnn_photo_paths.txt")
    log "cnn_png_one: 30 runs of nn-predict -m $MODEL $ONE"
    $TIME --repeats 30 --warmup 2 --gate "$GATE" --gate-once --spawn --stdout "$OUT/cnn_png_one.out" --stderr "$OUT/cnn_png_one.err" -- \
      "$BIN/nn-predict" -m "$MODEL" "$ONE" > "$OUT/cnn_png_one.proc.json" || fail "nn-predict one PNG (see $OUT/cnn_png_one.err)"
    log "cnn_png_batch: nn-predict -m $MODEL - < 1,000 paths (x3)"
    $TIME --repeats 3 --warmup 1 --gate "$GATE" --spawn --stdin "$OUT/cnn_photo_paths.txt" --stdout "$OUT/cnn_png_batch.out" \
      --stderr "$OUT/cnn_png_batch.err" -- "$BIN/nn-predict" -m "$MODEL" - > "$OUT/cnn_png_batch.proc.json" \
      || fail "nn-predict 1,000 PNGs (see $OUT/cnn_png_batch.err)"
  fi
else
  log "no $MODEL: nn-predict timings skipped"
fi

python3 - "$OUT" "$REPEATS" <<'PY' | tee "$OUT/cnn_table.md"
import json, os, statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])
def load(path):
    try:
        return [json.loads(l) for l in open(path) if l.strip()]
    except OSError:
        return []
def rss(name):
    try:
        return int(open(os.path.join(out, name + ".rss")).read().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        return float("nan")
print("| repeat | nn-train samples/s | PyTorch samples/s | ratio | nn-train test acc | PyTorch test acc | peak RSS ours / PyTorch (MB) |")
print("|---|---|---|---|---|---|---|")
ratios = []
for r in range(1, repeats + 1):
    epochs = load(os.path.join(out, f"cnn_ours_r{r}.jsonl"))
    torch = load(os.path.join(out, f"cnn_torch_r{r}.out"))
    if not epochs or not torch:
        print(f"| {r} | missing | | | | | |")
        continue
    rates = [e["samples_per_second"] for e in epochs]
    ours = statistics.median(rates[1:] if len(rates) > 1 else rates)
    ref = torch[-1]["median_after_first"]
    ratios.append(ours / ref)
    print(f"| {r} | {ours:,.0f} | {ref:,.0f} | {ours / ref:.2f}x | {epochs[-1].get('test_accuracy', float('nan')):.4f} "
          f"| {torch[-1]['test_accuracy']:.4f} | {rss(f'cnn_ours_r{r}'):.0f} / {rss(f'cnn_torch_r{r}'):.0f} |")
if ratios:
    print(f"\nmedian ratio nn-train / PyTorch: {statistics.median(ratios):.2f}x over {len(ratios)} repeat(s)")
for name, what in [("cnn_png_one", "one PNG, whole process"), ("cnn_png_batch", "1,000 PNGs in one process")]:
    try:
        p = json.load(open(os.path.join(out, name + ".proc.json")))
    except (OSError, ValueError):
        continue
    med = p["wall_s"]["median"]
    extra = f", {1000 / med:,.0f} images/s" if name == "cnn_png_batch" else ""
    print(f"nn-predict with the CNN, {what}: median {med * 1000:.1f} ms over {p['repeats']} runs{extra}; peak RSS {p['maxrss_mb']} MB")
PY
return $failed
}
main "$@"
