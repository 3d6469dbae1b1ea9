#!/usr/bin/env python3
"""Markdown tables from a bench/run.sh results directory: nn-toolkit's figures beside the references'
measured in the same run, with ratios and the targets. Speed ratios are always "how many times faster
nn-toolkit is" (ours/reference for rates, reference/ours for times); a missing figure prints as n/a."""
import json
import os
import sys

D = sys.argv[1] if len(sys.argv) > 1 else "bench/results"


def load(name):
    p = os.path.join(D, name)
    try:
        with open(p) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        return json.loads(lines[-1])
    except (OSError, ValueError, IndexError):
        return None


def get(d, *path):
    for k in path:
        if d is None:
            return None
        d = d.get(k) if isinstance(d, dict) else None
    return d


def fmt(x, spec=",.0f", unit=""):
    return "n/a" if x is None else f"{x:{spec}}{unit}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def worst_other(*runs):
    """Worst share of the CPUs other processes used during any judged (>= 0.3 s) timed repeat."""
    worst = None
    for r in runs:
        infos = list((r or {}).get("cpu_per_repeat") or [])
        for v in ((r or {}).get("infer") or {}).values():
            infos += v.get("cpu_per_repeat") or []
        for c in infos:
            if c and c.get("wall_s", 0) >= 0.3 and "others_pct" in c:
                worst = c["others_pct"] if worst is None else max(worst, c["others_pct"])
    return worst


def noisy_verdict(v, *runs):
    w = worst_other(*runs)
    return v + (f" (noisy: others used up to {w:.0f}% of the CPUs)" if w is not None and w > 10 else "")


def noise(*runs):
    """Worst share of the CPUs other processes used during a judged (>= 0.3 s) timed repeat, and whether
    any kept repeat was still disturbed after the retries."""
    worst, flagged = None, False
    for r in runs:
        if not r:
            continue
        infos = list(r.get("cpu_per_repeat") or [])
        for v in (r.get("infer") or {}).values():
            infos += v.get("cpu_per_repeat") or []
        for c in infos:
            if c and c.get("wall_s", 0) >= 0.3 and "others_pct" in c:
                worst = c["others_pct"] if worst is None else max(worst, c["others_pct"])
            if c and c.get("clean") is False:
                flagged = True
    return ("n/a" if worst is None else f"{worst:.0f}%") + (" ⚠" if flagged else "")


ARCH = {"h100": "784-100-10", "h512": "784-512-10", "h512x512": "784-512-512-10"}
rows = []      # headline: (figure, ours, reference, ratio, target, verdict)
detail = []


# ---- nn-train's own recipes (run.sh section 1b): samples/s = median of epochs 2-3 of a run -----------
def median(xs):
    xs = sorted(x for x in xs if x is not None)
    return None if not xs else (xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2)


def recipe_runs(name):
    """[(samples/s, peak RSS MB, others' CPU %, test accuracy)] of each repeat of recipe_<name>_r<N>."""
    out, rep = [], 1
    while os.path.exists(os.path.join(D, f"recipe_{name}_r{rep}.proc.json")):
        sps = acc = None
        try:
            if name.startswith("ours_"):
                with open(os.path.join(D, f"recipe_{name}_r{rep}.jsonl")) as f:
                    ep = [json.loads(l) for l in f if l.strip()]
                sps = median([e["samples_per_second"] for e in ep[1:]] or [e["samples_per_second"] for e in ep])
                acc = ep[-1].get("test_accuracy")
            else:
                t = load(f"recipe_{name}_r{rep}.out")
                sps, acc = get(t, "median_after_first"), get(t, "test_accuracy")
        except (OSError, ValueError, KeyError, IndexError):
            pass
        rss = None
        try:
            with open(os.path.join(D, f"recipe_{name}_r{rep}.rss")) as f:
                rss = int(f.read().split()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
        others = get((get(load(f"recipe_{name}_r{rep}.proc.json"), "cpu_per_repeat") or [{}])[-1], "others_pct")
        out.append((sps, rss, others, acc))
        rep += 1
    return out


RECIPES = [("default", "nn-train defaults: 784-300-10, Adam, L2 5e-4, batch 50", 3.0),
           ("fashion", "README Fashion recipe: 784-512-256-10, batch norm, dropout 0.3, cosine, batch 100", 2.5),
           ("sgd", "784-100-10, SGD 0.1, batch 100, no decay", 3.0)]
recipe_rows = []
for key, what, target in RECIPES:
    o, t = recipe_runs(f"ours_{key}"), recipe_runs(f"torch_{key}")
    if not o and not t:
        continue
    os_, ts = median([r[0] for r in o]), median([r[0] for r in t])
    pairs = [ratio(a[0], b[0]) for a, b in zip(o, t)]
    q = ratio(os_, ts)
    worst = max((r[2] for r in o + t if r[2] is not None), default=None)
    rows.append((f"{what}, 2 thr (samples/s)", fmt(os_), fmt(ts), fmt(q, ".2f", "x"), f">= {target:g}x",
                 verdict(None if q is None else q >= target)
                 + (f" (noisy: others used up to {worst:.0f}% of the CPUs)" if worst is not None and worst > 10 else "")))
    orss, trss = max((r[1] for r in o if r[1] is not None), default=None), max((r[1] for r in t if r[1] is not None), default=None)
    rows.append((f"peak RSS, nn-train {key} recipe (MB)", fmt(orss), fmt(trss) + " PyTorch", fmt(ratio(trss, orss), ".1f", "x less"),
                 "< 200 MB", verdict(None if orss is None else orss < 200)))
    recipe_rows.append((what, o, t, pairs))
opt = {k: median([r[0] for r in recipe_runs(f"ours_opt_{k}")]) for k in ("sgd", "momentum", "adagrad")}
for k in ("momentum", "adagrad"):
    if opt[k] is not None and opt["sgd"] is not None:
        q = opt[k] / opt["sgd"]
        rows.append((f"nn-train default network, {k} / sgd throughput", fmt(opt[k]), fmt(opt["sgd"]) + " (sgd)", fmt(q, ".2f", "x"),
                     ">= 0.90x", verdict(q >= 0.9)))

for tag, arch in ARCH.items():
    for t in (2, 1):
        o, r = load(f"ours_train_{tag}_t{t}.json"), load(f"torch_train_{tag}_t{t}.json")
        ot, rt = get(o, "train_samples_per_s", "median"), get(r, "train_samples_per_s", "median")
        q = ratio(ot, rt)
        target = {"h100": 3.0, "h512x512": 2.0}.get(tag)
        rows.append((f"bare loop (nn-bench train, SGD): train {arch}, {t} thr (samples/s)", fmt(ot), fmt(rt), fmt(q, ".2f", "x"),
                     f">= {target:g}x" if target else "—",
                     noisy_verdict(verdict(None if q is None or target is None else q >= target), o, r)))
        ib = {}
        for k in ("full", "b100", "b1"):
            ib[k] = (get(o, "infer", k, "samples_per_s", "median"), get(r, "infer", k, "samples_per_s", "median"))
        detail.append((arch, t, ot, rt, ib, get(o, "test_acc_final"), get(r, "test_acc_final"), noise(o, r),
                       get(o, "ms_per_step"), get(r, "ms_per_step")))

for tag in ("h100", "h512x512"):
    for t in (2, 1):
        o, r = load(f"ours_train_{tag}_t{t}.json"), load(f"torch_train_{tag}_t{t}.json")
        for k, label in (("b100", "batch 100"), ("b1", "batch 1")):
            a, b = get(o, "infer", k, "samples_per_s", "median"), get(r, "infer", k, "samples_per_s", "median")
            q = ratio(a, b)
            rows.append((f"infer {ARCH[tag]} {label}, {t} thr (samples/s)", fmt(a), fmt(b), fmt(q, ".2f", "x"), ">= 2x",
                         noisy_verdict(verdict(None if q is None else q >= 2), o, r)))

# gz load of the 4 files: ours (nn-bench's IDXDataset.load) vs NumPy's common.read_idx_gz
o, n = load("ours_train_h100_t2.json"), load("numpy_train_h100_t2.json")
a, b = get(o, "load", "gz_load_s", "median"), get(n, "load", "gz_load_s", "median")
rows.append(("gz load of the 4 Fashion files (s)", fmt(a, ".3f"), fmt(b, ".3f") + " NumPy", fmt(ratio(b, a), ".2f", "x"),
             "faster", verdict(None if a is None or b is None else a < b)))

# peak RSS of the whole process training Fashion 784-100-10 (2 threads), from wait4
po, pr = load("ours_train_h100_t2.proc.json"), load("torch_train_h100_t2.proc.json")
a, b = get(po, "maxrss_mb"), get(pr, "maxrss_mb")
rows.append(("peak RSS, training Fashion 784-100-10 (MB)", fmt(a, ",.0f"), fmt(b, ",.0f") + " PyTorch",
             fmt(ratio(b, a), ".1f", "x less"), "< 200 MB", verdict(None if a is None else a < 200)))

# gradient check
g, gp, ng = load("ours_gradcheck.json"), load("ours_gradcheck.proc.json"), load("numpy_gradcheck.json")
a, b = get(gp, "wall_s", "median"), get(ng, "numerical_grad_s", "median")
rows.append(("gradcheck 784-50-10 --all, whole process (s)", fmt(a, ".2f"), fmt(b, ".2f") + " NumPy (grad only)",
             fmt(ratio(b, a), ".1f", "x"), "<= 2 s", verdict(None if a is None else a <= 2.0)))
tensors = get(g, "tensors") or []
worst = max((t.get("max_relative_error_gradient_over_1e-6") or 0 for t in tensors), default=None) if tensors else None
nworst = get(ng, "per_param")
nmax = max((v["max_rel_err_where_|g|>1e-6"] for v in nworst.values()), default=None) if nworst else None
rows.append(("gradcheck max rel. error over \\|g\\|>1e-6", fmt(worst, ".1e"), fmt(nmax, ".1e") + " NumPy (h=1e-4)", "",
             "<= 1e-6", verdict(None if worst is None else worst <= 1e-6)))

# PNG
p1, pb = load("png_one.proc.json"), load("png_batch.proc.json")
a = get(p1, "wall_s", "median")
rows.append((f"one PNG, whole process, median of {get(p1, 'repeats') or 'n/a'} (ms)", fmt(None if a is None else 1000 * a, ".1f"),
             "—", "", "<= 20 ms", verdict(None if a is None else a * 1000 <= 20)))
for tag, what in (("", "every PNG kind, 27% 16-bit"), ("8", "bit depths 1-8")):
    nfiles = None
    try:
        with open(os.path.join(D, f"photo{tag}_paths.txt")) as f:
            nfiles = sum(1 for l in f if l.strip())
    except OSError:
        pass
    pbt = load(f"png_batch{tag}.proc.json")
    b = get(pbt, "wall_s", "median")
    rate = None if b is None or not nfiles else nfiles / b
    rows.append((f"{fmt(nfiles, ',')} PNGs (100-400 px; {what}) in one nn-predict run (images/s)", fmt(rate), "—", "",
                 ">= 1,000/s", verdict(None if rate is None else rate >= 1000)))

print("| figure | nn-toolkit | reference | nn-toolkit faster by | target | |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")

if recipe_rows:
    print("\n**nn-train's recipes, every run** (Fashion-MNIST 60k, 3 epochs, 2 threads; samples/s = median of epochs 2-3; "
          "each nn-train run followed by torch_recipes.py's; ratio of each back-to-back pair)\n")
    print("| recipe | nn-train samples/s | PyTorch samples/s | pair ratios | peak RSS ours / PyTorch (MB) | test acc ours / PyTorch | others' CPU during runs |")
    print("|---|---|---|---|---|---|---|")
    for what, o, t, pairs in recipe_rows:
        print(f"| {what} | {', '.join(fmt(r[0]) for r in o)} | {', '.join(fmt(r[0]) for r in t)} | "
              f"{', '.join(fmt(p, '.2f', 'x') for p in pairs)} | {', '.join(fmt(r[1]) for r in o)} / {', '.join(fmt(r[1]) for r in t)} | "
              f"{fmt(median([r[3] for r in o]), '.4f')} / {fmt(median([r[3] for r in t]), '.4f')} | "
              f"{', '.join(fmt(r[2], '.0f', '%') for r in o + t)} |")
    if any(v is not None for v in opt.values()):
        print("\nDefault network (784-300-10, L2 5e-4, batch 50) with each optimizer, nn-train only, runs: " + "; ".join(
            f"{k} {', '.join(fmt(r[0]) for r in recipe_runs(f'ours_opt_{k}'))}" for k in ("sgd", "momentum", "adagrad")) + ".")

print("\n**All runs of the bare training loop** (nn-bench train: Fashion-MNIST 60k, 1 epoch, batch 100, SGD lr 0.1; medians over repeats; "
      "reference = PyTorch; inference over the 10k test set)\n")
print("| arch | thr | train ours | train torch | ratio | ms/step ours / torch | infer full ours / torch "
      "| infer b100 ours / torch | infer b1 ours / torch | test acc ours / torch | worst other load |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for arch, t, ot, rt, ib, ao, ar, nz, mo, mr in detail:
    inf = " | ".join(f"{fmt(ib[k][0])} / {fmt(ib[k][1])} ({fmt(ratio(*ib[k]), '.1f', 'x')})" for k in ("full", "b100", "b1"))
    print(f"| {arch} | {t} | {fmt(ot)} | {fmt(rt)} | {fmt(ratio(ot, rt), '.2f', 'x')} | {fmt(mo, '.3f')} / {fmt(mr, '.3f')} "
          f"| {inf} | {fmt(ao, '.4f')} / {fmt(ar, '.4f')} | {nz} |")

for tag in ("h100", "h512"):
    n = load(f"numpy_train_{tag}_t2.json")
    if n:
        print(f"\nNumPy TwoLayerNet 784-{tag[1:]}-10, 2 thr: train {fmt(get(n, 'train_samples_per_s', 'median'))} samples/s, "
              f"infer b100 {fmt(get(n, 'infer', 'b100', 'samples_per_s', 'median'))}, "
              f"b1 {fmt(get(n, 'infer', 'b1', 'samples_per_s', 'median'))}, test acc {fmt(get(n, 'test_acc_final'), '.4f')}.")

if tensors:
    print("\n**nn-gradcheck per tensor** (784-50-10, 3 seeded random Fashion training samples, float64, h=1e-3, --all)\n")
    print("| tensor | checked | skipped at kinks | max rel. error | max rel. error, \\|g\\|>1e-6 | verdict |")
    print("|---|---|---|---|---|---|")
    for t in tensors:
        print(f"| {t['name']} | {t['checked']:,} | {t['skipped_at_kinks']} | {t['max_relative_error']:.1e} "
              f"| {t['max_relative_error_gradient_over_1e-6']:.1e} | {t['verdict']} |")
    if gp:
        print(f"\nnn-gradcheck whole-process wall times: {gp['wall_s_all']} s; its own reported check time "
              f"{fmt(get(g, 'seconds'), '.2f')} s.")
if ng:
    print(f"NumPy gradcheck (first 3 samples, h=1e-4, 1 thread): numerical gradient {fmt(get(ng, 'numerical_grad_s', 'median'), '.2f')} s "
          f"for {get(ng, 'loss_evals'):,} loss evaluations; max rel. error " +
          ", ".join(f"{k} {v['max_rel_err_where_|g|>1e-6']:.1e}" for k, v in ng["per_param"].items()) + " (|g|>1e-6).")
if p1:
    print(f"\nOne PNG: wall times {fmt(1000 * p1['wall_s']['min'], '.1f')}–{fmt(1000 * p1['wall_s']['max'], '.1f')} ms, "
          f"peak RSS at most {p1['maxrss_mb']:.0f} MB (wait4 cannot read below the harness's own ~20 MB).")
for tag, name in (("", "every kind"), ("8", "bit depths 1-8")):
    pbt, st = load(f"png_batch{tag}.proc.json"), load(f"png_stages{tag}.json")
    if pbt:
        print(f"1,000 PNGs ({name}): wall times {pbt['wall_s_all']} s, peak RSS at most {pbt['maxrss_mb']:.0f} MB.")
    if st:
        print(f"  per image on one thread (nn-bench png-stages, mean {st['mean_pixels']:,} px): read {st['read_ms_per_image']:.3f} ms, "
              f"libpng decode to gray {st['decode_ms_per_image']:.3f} ms, normalise {st['normalize_ms_per_image']:.3f} ms.")
try:
    with open(os.path.join(D, "machine.txt")) as f:
        print("\n```\n" + f.read().strip() + "\n```")
except OSError:
    pass
