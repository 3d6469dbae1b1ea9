#!/usr/bin/env python3
"""Where the time goes: groups the samples of a `perf record -g` of a training run (`nn-train`, or
`nn-bench train --train-only`) by stage of the training step: GEMM, optimizer update, the decay term,
byte->float batches, bias add, activations, batch norm, dropout, softmax/loss, bookkeeping, and prints a
markdown table.

Each sample is given the stage of the innermost frame that names one, walking from the leaf to the root,
so a memmove or malloc counts for the stage that called it (a packing copy is GEMM, ReLU's copy is ReLU),
and a thread waiting for its partner inside a split product counts for that product.

Two shares per stage:
- "% of epoch": of the main thread's samples. The main thread runs the epoch from end to end, so this
  is the stage's share of the epoch's wall time (what "% of an epoch" means here).
- "% of CPU": of all samples of both threads, where the worker's idle spinning shows up as "worker idle".
The data loading (zlib/IDX), the test evaluation after each epoch and writing the model are not part of
the epoch's timed loop: they are counted and left out of both shares.

  perf record -F 2000 -g -o p.data -- .build/release/nn-train --data DIR --epochs 2 --threads 2 -o m.nnm
  python3 bench/perf_summary.py p.data
"""
import collections
import re
import subprocess
import sys

data = sys.argv[1] if len(sys.argv) > 1 else "perf.data"
text = subprocess.run(["perf", "script", "-i", data, "-F", "pid,tid,period,ip,sym,dso"], capture_output=True,
                      text=True, errors="replace").stdout

samples = []  # (main thread?, period, [(sym, dso), ...] leaf first)
cur = None
for line in text.splitlines():
    if not line.strip():
        if cur:
            samples.append(cur)
        cur = None
        continue
    if not line.startswith("\t"):
        m = re.match(r"\s*(\d+)/(\d+)\s+(\d+)?", line)
        if m:
            cur = (m.group(1) == m.group(2), int(m.group(3) or 1), [])
        continue
    m = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)$", line)
    if m and cur is not None:
        sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
        cur[2].append((sym, m.group(2).rsplit("/", 1)[-1]))
if cur:
    samples.append(cur)

# demangle every Swift symbol once
names = sorted({s for _, _, fr in samples for s, _ in fr if s.startswith("$s")})
dem = {}
if names:
    out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names), capture_output=True, text=True).stdout
    dem = dict(zip(names, out.splitlines()))


def d(s):
    return re.sub(r"^(specialized |partial apply for |closure #\d+ in )+", "", dem.get(s, s))


GEMM = "GEMM (kernels, packing, waiting for the other block)"
LEFT_OUT = ("data loading (zlib, IDX)", "test evaluation after each epoch", "writing the model / checkpoint")
# (stage, pattern on the demangled frame name), tried on each frame from the leaf outwards; first match wins.
RULES = [
    (LEFT_OUT[0], r"IDXReader|IDXDataset|^inflate|crc32|adler32|^zcalloc|updatewindow"),
    (LEFT_OUT[1], r"^evaluate<|^evaluate\("),
    (LEFT_OUT[2], r"ModelFileWriter|CheckpointCodec|writeFile"),
    (GEMM, r"^(kernel_\w+|gemm_\w+|nn_[sd]gemm\w*|store_transposed\w*|pack\w*_[fd]|pack_\w+|macro_block_\w+|"
           r"(compute|rows|split|pack)_task_\w+|split_task\w*)$|^gemm<|^matmul<"),
    ("optimizer update (weight decay fused)", r"^nn_(sgd|momentum|adagrad|adam)_[fd]|\.update\(_:weightDecay:\)|\.update\(_:\)|Optimizer|Slot"),
    # Network.gradient's own time is its weight-decay loops (before this work: the gradient loop too)
    ("weight decay: loss term (sum of squares) and gradient loop", r"nn_sum_squares|decayTerm|^Network\.gradient"),
    ("byte->float batch conversion", r"nn_gather_bytes|InputScaling\.batch"),
    ("convolution: im2col, col2im, padding (Conv2D)", r"Conv2D|im2col|col2im"),
    ("pooling", r"MaxPool2D|AvgPool2D"),
    ("batch norm", r"BatchNorm"),
    ("dropout", r"Dropout|nextUnit"),
    ("ReLU", r"ReLU|relu(InPlace|Mask)"),
    ("sigmoid / tanh", r"^Sigmoid|^Tanh|^sigmoid|tanhf?$"),
    ("softmax / cross-entropy / argmax / targets",
     r"Softmax|softmax|crossEntropy|CrossEntropy|MeanSquared|expf?$|logf?$|log1pf?$|predictedClasses|TargetEncoding|\.predict\("),
    ("bias add, bias gradient (Affine)", r"^Affine\."),
    ("loop bookkeeping (shuffle, accuracy, indices)", r"shuffle|^Trainer\.run|^Network\."),
]
IDLE = "worker idle (spinning or asleep between jobs)"


def stage(frames):
    for sym, dso in frames:  # the parts outside the timed loop, wherever they are on the stack
        if dso.startswith("libz."):
            return LEFT_OUT[0]
        for name, pat in RULES[:len(LEFT_OUT)]:
            if re.search(pat, d(sym)):
                return name
    for i, (sym, dso) in enumerate(frames):
        n = d(sym)
        # the caller's half of a split product waits here for the worker's half
        if n == "nn_parallel_run" and i + 1 < len(frames) and re.match(r"Affine\.|gemm<|matmul<|nn_[sd]gemm", d(frames[i + 1][0])):
            return GEMM
        for name, pat in RULES[len(LEFT_OUT):]:
            if re.search(pat, n):
                return name
    sym, dso = frames[0] if frames else ("?", "")
    n = d(sym)
    if n in ("worker", "run_tasks") or (len(frames) > 1 and d(frames[-1][0]) in ("start_thread", "clone3", "clone") and
                                        any(d(s) == "worker" for s, _ in frames)):
        return IDLE
    if dso.startswith("[kernel"):
        return "kernel (page faults, scheduling), outside our frames"
    return "other (start-up, runtime)"


main = collections.Counter()
both = collections.Counter()
syms = collections.defaultdict(collections.Counter)
left = collections.Counter()
for is_main, period, frames in samples:
    st = stage(frames)
    if st in LEFT_OUT:
        left[st] += period
        continue
    both[st] += period
    if is_main:
        main[st] += period
    leaf = d(frames[0][0]) if frames else "?"
    syms[st][leaf] += period

tm, tb = max(sum(main.values()), 1), max(sum(both.values()), 1)
tl = sum(left.values())
print(f"{len(samples):,} samples; left out: " + ", ".join(f"{k} {100 * v / (tl + tb):.1f}%" for k, v in left.most_common())
      + "; the shares below are of the rest.\n")
print("| stage | % of epoch (main thread) | % of CPU (both threads) | top symbols (both threads) |")
print("|---|---|---|---|")
for st, v in sorted(both.items(), key=lambda kv: (-main[kv[0]], -kv[1])):
    top = "; ".join(f"`{s[:70]}` {100 * p / tb:.1f}%" for s, p in syms[st].most_common(3))
    print(f"| {st} | {100 * main[st] / tm:.1f}% | {100 * v / tb:.1f}% | {top} |")
