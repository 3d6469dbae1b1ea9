#!/usr/bin/env bash
# bench/model_md5.sh BIN_DIR [OUT_DIR]: md5 of the model files a fixed set of short nn-train runs writes
# (embedded 5k MNIST, 2 epochs), to compare builds before and after a change that must keep the model
# bytes: the defaults (Adam, L2 5e-4) on 1 and 2 threads, each other optimizer, the other losses, and
# the README's Fashion recipe's layers (batch norm, dropout, cosine). Each line: md5 of the whole file,
# md5 of its WGHT section alone (the weights, without the metadata such as final-train-loss), the run.
#   bench/model_md5.sh .build/release > after.txt; diff before.txt after.txt
set -eu
BIN=$1
OUT=${2:-$(mktemp -d)}
mkdir -p "$OUT"
# md5 of the WGHT section's data (docs/model-format.md: u32 length, 4-letter type, data, u32 CRC).
weights_md5() {
  python3 - "$1" <<'PY'
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()
i = 12
while i + 8 <= len(b):
    n = struct.unpack_from("<I", b, i)[0]
    if b[i + 4:i + 8] == b"WGHT":
        print(hashlib.md5(b[i + 8:i + 8 + n]).hexdigest()); break
    i += 12 + n
else:
    print("no-WGHT-section")
PY
}
run() {
  local name=$1; shift
  "$BIN/nn-train" --epochs 2 "$@" -o "$OUT/$name.nnm" 2> "$OUT/$name.err" || { echo "$name FAILED (see $OUT/$name.err)"; return; }
  echo "$(md5sum < "$OUT/$name.nnm" | cut -c1-32) $(weights_md5 "$OUT/$name.nnm") $name: nn-train --epochs 2 $*"
}
run default_t1 --threads 1
run default_t2 --threads 2
run momentum_t2 --threads 2 --optimizer momentum
run adagrad_t1 --threads 1 --optimizer adagrad
run adagrad_t2 --threads 2 --optimizer adagrad
run sgd_t2 --threads 2 --optimizer sgd
run sgd_nodecay_t2 --threads 2 --optimizer sgd --weight-decay 0
run bce_t2 --threads 2 --loss sigmoid-bce --optimizer momentum
run mse_t2 --threads 2 --loss mse --optimizer sgd --learning-rate 0.05
run fashion_t2 --threads 2 --layers 784-512-256-10 --batch-norm all --dropout 0.3 --lr-schedule cosine --batch-size 100 --weight-decay 0
run fashion_t1 --threads 1 --layers 784-512-256-10 --batch-norm all --dropout 0.3 --lr-schedule cosine --batch-size 100 --weight-decay 0
