#!/usr/bin/env bash
# Makes the Fashion-MNIST fixtures of Tests/EndToEndTests/NewcomerTests.swift (the README's Fashion recipe,
# smaller): a 784-32-10 model trained on the 60,000 Fashion-MNIST training images with the resize PNG
# recipe and the class names, and the first 100 t10k test images and labels (gzipped IDX). Needs Debian's
# dataset-fashion-mnist and the release tools:
#   swift build -c release && bash Tests/Fixtures/fashion/make.sh
set -euo pipefail
cd "$(dirname "$0")"
data=/usr/share/datasets/fashion-mnist
../../../.build/release/nn-train --data "$data" --layers 784-32-10 --epochs 5 --batch-size 100 --png-recipe resize \
    --class-names "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot" -o fashion-32.nnm
python3 - "$data" <<'PY'
import gzip, sys
d = sys.argv[1]
images = gzip.open(d + "/t10k-images-idx3-ubyte.gz").read()
labels = gzip.open(d + "/t10k-labels-idx1-ubyte.gz").read()
n = 100
with gzip.GzipFile("t10k-100-images-idx3-ubyte.gz", "wb", mtime=0) as f:
    f.write(bytes([0, 0, 8, 3]) + n.to_bytes(4, "big") + images[8:16] + images[16:16 + n * 784])
with gzip.GzipFile("t10k-100-labels-idx1-ubyte.gz", "wb", mtime=0) as f:
    f.write(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + labels[8:8 + n])
PY
