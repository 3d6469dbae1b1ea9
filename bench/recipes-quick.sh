#!/bin/bash
# bench/recipes-quick.sh THREADS RECIPE...: nn-train (its defaults, the README recipes, the CNN) beside
# torch_recipes.py doing the same recipe, one run each, back to back: 3 epochs of Fashion-MNIST 60k, samples/s =
# median of epochs 2-3 (nn-train --metrics; the test evaluation is not timed), peak RSS by /usr/bin/time.
# The quick, ungated form of bench/run.sh section 1b (which repeats, alternates and waits for a quiet machine).
#   swift build -c release && bash bench/recipes-quick.sh 2 default fashion sgd cnn
T=${1:?usage: recipes-quick.sh THREADS RECIPE...}; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
F=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}; N=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}/nn-train; REF=${REF_BENCH:-/work/shared/bench}
for R in "$@"; do
  case $R in
    default) flags="" ;;
    fashion) flags="--layers 784-512-256-10 --batch-norm all --dropout 0.3 --lr-schedule cosine --batch-size 100 --weight-decay 0" ;;
    sgd) flags="--layers 784-100-10 --optimizer sgd --learning-rate 0.1 --batch-size 100 --weight-decay 0" ;;
    cnn) flags="--layers 1x28x28-conv32k5-maxpool2-conv64k3-maxpool2-128-10 --weight-decay 0" ;;
  esac
  /usr/bin/time -f %M -o $tmp/rss $N --data $F --epochs 3 --threads $T --metrics $tmp/jsonl -o $tmp/nnm $flags 2>/dev/null
  ours=$(python3 -c "import json,statistics; r=[json.loads(l)['samples_per_second'] for l in open('$tmp/jsonl')]; print(round(statistics.median(r[1:])))")
  orss=$(cat $tmp/rss)
  /usr/bin/time -f %M -o $tmp/trss python3 $REF/torch_recipes.py --recipe $R --epochs 3 --threads $T --data $F > $tmp/torch
  theirs=$(python3 -c "import json; print(round(json.load(open('$tmp/torch'))['median_after_first']))")
  trss=$(cat $tmp/trss)
  echo -e "$R\tthreads $T\tnn-train $ours samples/s ($((orss/1024)) MB)\tPyTorch $theirs samples/s ($((trss/1024)) MB)\tratio $(python3 -c "print(round($ours/$theirs,2))")"
done
