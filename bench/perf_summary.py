#!/usr/bin/env python3
"""Where the time goes: groups the samples of a `perf record -g` of `nn-bench train --train-only` into
GEMM and the rest (bias/activation loops, optimizer, batch conversion, softmax/loss, memory, threading),
leaving out the untimed data loading (zlib/IDX), and prints a markdown table plus the top symbols.

  perf record -F 2000 -g -o p.data -- .build-bench/release/nn-bench train --train-only --epochs 5 --hidden 100
  python3 bench/perf_summary.py p.data
"""
import collections
import re
import subprocess
import sys

data = sys.argv[1] if len(sys.argv) > 1 else "perf.data"
text = subprocess.run(["perf", "script", "-i", data, "-F", "tid,period,ip,sym,dso"], capture_output=True,
                      text=True, errors="replace").stdout

samples = []  # (period, [(sym, dso), ...] leaf first)
cur = None
for line in text.splitlines():
    if not line.strip():
        if cur:
            samples.append(cur)
        cur = None
        continue
    if not line.startswith("\t"):
        parts = line.split()
        cur = (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1, [])
        continue
    m = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)$", line)
    if m and cur is not None:
        sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
        cur[1].append((sym, m.group(2).rsplit("/", 1)[-1]))
if cur:
    samples.append(cur)

# demangle every Swift symbol once
names = sorted({s for _, fr in samples for s, _ in fr if s.startswith("$s")})
dem = {}
if names:
    out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names), capture_output=True, text=True).stdout
    dem = dict(zip(names, out.splitlines()))


def d(s):
    return dem.get(s, s)


GEMM = re.compile(r"^(kernel_\w+|gemm_\w+|nn_[sd]gemm\w*|store_transposed\w*|pack_\w+)$")


def is_load(frames):
    return any(dso.startswith("libz") or "IDXReader" in d(s) or "IDXDataset" in d(s) for s, dso in frames)


def category(frames):
    sym, dso = frames[0] if frames else ("[unknown]", "")
    n = d(sym)
    if GEMM.match(sym):
        return "GEMM (nn_sgemm kernels, packing)"
    # a libc copy (packing) or a kernel page fault on behalf of the GEMM counts as GEMM
    owner = next(((s, o) for s, o in frames if not (o.startswith("libc") or o.startswith("[kernel"))), None)
    if owner and GEMM.match(owner[0]):
        return "GEMM (nn_sgemm kernels, packing)"
    if "reluMask" in n or "ReLU" in n:
        return "ReLU forward/backward"
    if "Affine." in n:
        return "Affine glue (bias add, bias gradient sum)"
    if "SGD.update" in n or "Optimizer" in n:
        return "SGD update"
    if "InputScaling.batch" in n or n.startswith("specialized Trainer.run"):
        return "Trainer.run body (batch u8->f32 conversion inlined, bookkeeping)"
    if "SoftmaxCrossEntropy" in n or "expf" in n or "logf" in n or "predictedClasses" in n or "TargetEncoding" in n:
        return "softmax / cross-entropy / argmax / targets"
    if re.search(r"mem(set|move|cpy)", n):
        return "memset / memmove (new zeroed matrices, array copies)"
    if re.search(r"malloc|free|_int_|swift_(allocObject|release|retain|dealloc|bridgeObject)|Storage|Metadata|getCache|swift_once", n):
        return "allocation / ARC / runtime"
    if n in ("worker", "nn_parallel_run"):
        return "threads idle: the worker spinning while the main thread runs serial code, the caller waiting for the other block"
    if "dispatch" in n or "futex" in n or dso.startswith("libdispatch"):
        return "threading (libdispatch, futex)"
    if dso.startswith("[kernel"):
        return "kernel (page faults, scheduling, syscalls)"
    if "shuffle" in n:
        return "shuffle"
    return "other"


def caller(frames):
    """The first frame of our own code above a libc/runtime leaf."""
    for s, dso in frames[1:]:
        if dso in ("nn-bench",):
            return d(s)
    return "?"


total = 0
load = 0
cats = collections.Counter()
syms = collections.defaultdict(collections.Counter)
for period, frames in samples:
    if is_load(frames):
        load += period
        continue
    total += period
    c = category(frames)
    cats[c] += period
    leaf = d(frames[0][0]) if frames else "?"
    if c.startswith("memset") or c.startswith("allocation") or c.startswith("GEMM") and not GEMM.match(frames[0][0]):
        leaf = f"{leaf} <- {caller(frames)}"
    syms[c][leaf] += period

print(f"{len(samples):,} samples; data loading (zlib/IDX, untimed in the benchmark) {100 * load / max(load + total, 1):.1f}% "
      "left out; shares below are of the rest.\n")
print("| where | share | top symbols |")
print("|---|---|---|")
for c, v in cats.most_common():
    top = "; ".join(f"`{re.sub(r'^specialized ', '', s)[:90]}` {100 * p / total:.1f}%" for s, p in syms[c].most_common(3))
    print(f"| {c} | {100 * v / total:.1f}% | {top} |")
