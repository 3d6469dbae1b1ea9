#!/usr/bin/env python3
"""make-corpus.py: writes the committed seed corpus fuzz/corpus/{model,idx,png,onnx,npz,args,checkpoint}/.

    python3 fuzz/make-corpus.py NN-TRAIN [NN-MODEL]   # built tools, e.g. .build/debug/nn-train (nn-model next to it)
    python3 fuzz/make-corpus.py --args-only            # only corpus/args (no nn-train needed)
    python3 fuzz/make-corpus.py --checkpoint-only NN-TRAIN   # only corpus/checkpoint

Checkpoint seeds: runs of nn-train on a 2x2 IDX set stopped at exact places (NN_TRAIN_INTERRUPT_AFTER: inside
and between epochs; Adam, momentum with batch norm and dropout, early stopping with its best weights,
augmentation, a step schedule, a test set), and the crafted checkpoints of Tests/BadInputs (ckpt-*.ckpt).

ONNX seeds: the small trained models exported by nn-model, the files of Tests/Fixtures (onnx.helper,
torch.onnx.export) and the small ONNX files of the bad-input corpus. npz seeds: Tests/Fixtures' archives,
small TwoLayerNet / batch-norm params written here with zipfile (stored and deflated), and faults.

Valid models come from nn-train itself (tiny networks on a tiny IDX set, plus one 784-4-10 model on the
embedded data); the invalid ones and every IDX and PNG file are built here with struct and zlib.
Deterministic for a given nn-train build (the trained weights change when the training code does).

IDX seeds start with one selector byte that the idx target consumes (see targets/FuzzIDX.swift): an even
byte means "the rest is the file", an odd one "gzip the rest first". Model and PNG seeds are plain files.
Argument seeds (targets/FuzzArguments.swift): one byte choosing the tool (0 nn-train, 1 nn-eval,
2 nn-predict, 3 nn-gradcheck), then the arguments separated by NUL bytes.
"""
import io, os, shutil, struct, subprocess, sys, tempfile, zipfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def write(kind, name, data):
    with open(os.path.join(OUT, kind, name), "wb") as f:
        f.write(data)


# ---- IDX ----
def idx(type_code, dims, data):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


def gz(data):  # mtime 0 so the bytes are reproducible
    import gzip, io
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


# ---- PNG ----
def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def png(w, h, color, depth, rows, plte=None, trns=None, interlace=0, ihdr_size=None):
    """rows: list of bytes, already packed at `depth` (filter bytes are added here, type 0)."""
    sig = b"\x89PNG\r\n\x1a\n"
    iw, ih = ihdr_size or (w, h)
    out = sig + chunk(b"IHDR", struct.pack(">IIBBBBB", iw, ih, depth, color, 0, 0, interlace))
    if plte: out += chunk(b"PLTE", plte)
    if trns: out += chunk(b"tRNS", trns)
    raw = b"".join(b"\x00" + r for r in rows)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def digit(w, h):
    """A ring (a zero) of ink 255 on 0, as a list of rows of ints."""
    cx, cy, r = (w - 1) / 2, (h - 1) / 2, min(w, h) * 0.35
    return [[255 if abs(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 - r) < max(1, r * 0.25) else 0 for x in range(w)] for y in range(h)]


def pack(values, depth):
    if depth == 8: return bytes(values)
    if depth == 16: return b"".join(struct.pack(">H", v * 257) for v in values)
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(values), per):
        b = 0
        for k in range(per):
            v = values[i + k] >> (8 - depth) if i + k < len(values) else 0
            b |= v << (8 - depth * (k + 1))
        out.append(b)
    return bytes(out)


def adam7(img, depth):
    """Interlaced rows (Adam7) of a gray image: the passes' rows, packed."""
    h, w = len(img), len(img[0])
    rows = []
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        if x0 >= w: continue
        for y in range(y0, h, dy):
            rows.append(pack([img[y][x] for x in range(x0, w, dx)], depth))
    return rows


# ---- models ----
def sections(blob):
    """Splits a model file into (header, [(type, data)])."""
    head, off, out = blob[:12], 12, []
    while off < len(blob):
        n, = struct.unpack_from("<I", blob, off)
        out.append((blob[off + 4:off + 8], blob[off + 8:off + 8 + n]))
        off += 12 + n
    return head, out


def section(t, data):
    return struct.pack("<I", len(data)) + t + data + struct.pack("<I", zlib.crc32(t + data) & 0xFFFFFFFF)


def assemble(head, secs):
    return head + b"".join(section(t, d) for t, d in secs)


ARG_SEEDS = {
    0: [["--epochs", "2", "--batch-size", "50", "-o", "m.nnm"], ["--learning-rate", "0.1", "--optimizer", "sgd"],
        ["--lr-schedule", "step:10:0.5", "--warmup", "1.5"], ["--augment", "--augment-shift", "2", "--augment-rotation", "12"],
        ["--validation-split", "0.1", "--patience", "3"], ["--threads=2", "--checkpoint-every", "1", "--metrics", "m.jsonl"],
        ["--layers", "784-100-10", "--dropout", "0.2", "--batch-norm", "all", "--loss", "sigmoid-bce", "--positive-class", "3"]],
    1: [["-m", "m.nnm", "--batch-size", "500"], ["--images", "i.idx", "--labels", "l.idx", "--format", "json"],
        ["--confusion", "c.svg", "--errors", "e.png", "--errors-per-class", "5", "-o", "r.txt"], ["--threads", "1", "--errors-list"]],
    2: [["x.png"], ["-m", "m.nnm", "--top-k", "3", "--header", "a.png", "b.png"], ["--images", "i.idx", "--format", "jsonl"],
        ["--max-pixels", "1000000", "--threads=1", "--no-normalize", "-"], ["--save-normalized", "dir", "x.png"]],
    3: [["--samples", "3", "--coordinates", "10"], ["--step", "1e-3", "--rtol", "1e-6", "--atol", "0", "--floor", "1e-6"],
        ["--all", "--layers", "4-3-2", "--format", "junit"], ["-m", "m.nnm", "--weight-decay", "0.01", "--threads", "2"]],
}


def write_args():
    shutil.rmtree(os.path.join(OUT, "args"), ignore_errors=True)
    os.makedirs(os.path.join(OUT, "args"))
    for tool, lines in ARG_SEEDS.items():
        for k, args in enumerate(lines):
            write("args", f"tool{tool}-{k}", bytes([tool]) + b"\0".join(a.encode() for a in args))


def write_checkpoints(nn_train):
    shutil.rmtree(os.path.join(OUT, "checkpoint"), ignore_errors=True)
    os.makedirs(os.path.join(OUT, "checkpoint"))
    bad = os.path.join(ROOT, "Tests", "BadInputs")
    for name in sorted(os.listdir(bad)):
        if name.startswith("ckpt-"):
            shutil.copy(os.path.join(bad, name), os.path.join(OUT, "checkpoint", "bad-" + name))
    tmp = tempfile.mkdtemp()
    try:
        n = 40
        with open(f"{tmp}/x", "wb") as f: f.write(idx(0x08, [n, 2, 2], bytes((i * 53 + k * 97) % 256 for i in range(n) for k in range(4))))
        with open(f"{tmp}/y", "wb") as f: f.write(idx(0x08, [n], bytes(i % 3 for i in range(n))))
        runs = {
            "adam-mid-epoch": ("2:16", ["--layers", "4-3-3", "--epochs", "3"]),
            "momentum-bn-dropout-between": ("1", ["--layers", "4-5-3", "--optimizer", "momentum", "--batch-norm", "all", "--dropout", "0.2", "--epochs", "3"]),
            "early-stopping": ("3:8", ["--layers", "4-3-3", "--patience", "5", "--validation-split", "0.25", "--epochs", "5"]),
            "augment-step-test": ("2", ["--layers", "4-4-3", "--augment", "--augment-shift", "1", "--lr-schedule", "step:1:0.5",
                                        "--test-images", f"{tmp}/x", "--test-labels", f"{tmp}/y", "--optimizer", "adagrad", "--epochs", "3"]),
            "sigmoid-bce-positive": ("1:24", ["--layers", "4-2-1", "--loss", "sigmoid-bce", "--positive-class", "2", "--optimizer", "sgd", "--epochs", "2"]),
        }
        for name, (place, args) in runs.items():
            subprocess.run([nn_train, "--train-images", f"{tmp}/x", "--train-labels", f"{tmp}/y", "--batch-size", "8", "--threads", "1",
                            "-o", f"{tmp}/{name}.nnm"] + args, env=dict(os.environ, NN_TRAIN_INTERRUPT_AFTER=place), stderr=subprocess.DEVNULL)
            shutil.copy(f"{tmp}/{name}.nnm.ckpt", os.path.join(OUT, "checkpoint", name + ".ckpt"))
    finally:
        shutil.rmtree(tmp)


def main():
    write_args()
    if sys.argv[1:] == ["--args-only"]:
        return
    if sys.argv[1:2] == ["--checkpoint-only"]:
        write_checkpoints(os.path.abspath(sys.argv[2]))
        return
    nn_train = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/nn-train")
    nn_model = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.join(os.path.dirname(nn_train), "nn-model")
    for k in ("model", "idx", "png", "onnx", "npz"):
        shutil.rmtree(os.path.join(OUT, k), ignore_errors=True)
        os.makedirs(os.path.join(OUT, k))

    # IDX: raw (selector 0x00) and gzipped-by-the-target (selector 0x0d), and gzip files given raw.
    images = bytes((i * 37) % 256 for i in range(6 * 2 * 2))
    seeds = {
        "images-u8-6x2x2": idx(0x08, [6, 2, 2], images),
        "labels-u8-6": idx(0x08, [6], bytes([0, 1, 2, 1, 0, 9])),
        "i8-3": idx(0x09, [3], bytes([0x80, 0, 0x7F])),
        "i16-2x2": idx(0x0B, [2, 2], struct.pack(">4h", -1, 2, -300, 32767)),
        "i32-3": idx(0x0C, [3], struct.pack(">3i", -5, 0, 1 << 30)),
        "f32-2": idx(0x0D, [2], struct.pack(">2f", 1.5, float("nan"))),
        "f64-1x2": idx(0x0E, [1, 2], struct.pack(">2d", -2.25, float("inf"))),
        "zero-count": idx(0x08, [0, 28, 28], b""),
        "bad-magic": b"\x01\x00\x08\x01\x00\x00\x00\x01\x05",
        "bad-type": idx(0x0A, [1], b"\x00"),
        "short-data": idx(0x08, [4, 2], b"\x01\x02\x03"),
        "extra-data": idx(0x08, [1], b"\x01\x02"),
        "huge-dims": idx(0x08, [0xFFFFFFFF, 0xFFFFFFFF], b""),
    }
    for name, data in seeds.items():
        write("idx", name + ".raw", b"\x00" + data)
        write("idx", name + ".gz-by-target", b"\x0d" + data)
    g = gz(seeds["images-u8-6x2x2"])
    write("idx", "images.gz", b"\x00" + g)
    write("idx", "images-truncated.gz", b"\x00" + g[:len(g) // 2])
    write("idx", "images-corrupt.gz", b"\x00" + g[:12] + bytes(b ^ 0x55 for b in g[12:20]) + g[20:])
    write("idx", "two-members.gz", b"\x00" + gz(seeds["labels-u8-6"][:8]) + gz(seeds["labels-u8-6"][8:]))
    write("idx", "zlib-wrapped", b"\x00" + zlib.compress(seeds["labels-u8-6"]))

    # PNG
    ring = digit(28, 28)
    flat = [v for row in ring for v in row]
    inv = [[255 - v for v in row] for row in digit(40, 30)]
    write("png", "gray8-28x28.png", png(28, 28, 0, 8, [bytes(r) for r in ring]))
    write("png", "gray8-inverted-40x30.png", png(40, 30, 0, 8, [bytes(r) for r in inv]))
    write("png", "gray1-16x16.png", png(16, 16, 0, 1, [pack(r, 1) for r in digit(16, 16)]))
    write("png", "gray4-adam7-20x20.png", png(20, 20, 0, 4, adam7(digit(20, 20), 4), interlace=1))
    write("png", "gray16-adam7-12x12.png", png(12, 12, 0, 16, adam7(digit(12, 12), 16), interlace=1))
    write("png", "rgb8-20x20.png", png(20, 20, 2, 8, [bytes(c for v in r for c in (v, v // 2, 255 - v)) for r in digit(20, 20)]))
    write("png", "rgba8-20x20.png", png(20, 20, 6, 8, [bytes(c for v in r for c in (0, 0, 0, v)) for r in digit(20, 20)]))
    write("png", "gray-alpha16-8x8.png", png(8, 8, 4, 16, [b"".join(struct.pack(">HH", 0, v * 257) for v in r) for r in digit(8, 8)]))
    write("png", "palette2-trns-16x16.png", png(16, 16, 3, 2, [pack([v >> 6 << 6 for v in r], 2) for r in digit(16, 16)],
                                                plte=bytes([255, 255, 255, 0, 0, 0, 90, 90, 90, 10, 10, 10]), trns=b"\x00"))
    write("png", "gray-trns-12x12.png", png(12, 12, 0, 8, [bytes(r) for r in digit(12, 12)], trns=b"\x00\x00"))
    write("png", "1x1.png", png(1, 1, 0, 8, [b"\x80"]))
    write("png", "blank-10x10.png", png(10, 10, 0, 8, [bytes(10)] * 10))
    write("png", "0x0-header.png", png(1, 1, 0, 8, [b"\x00"], ihdr_size=(0, 0)))
    write("png", "huge-header-30000x30000.png", png(1, 1, 0, 8, [b"\x00"], ihdr_size=(30000, 30000)))
    write("png", "wide-header-1000000x1.png", png(1, 1, 0, 8, [b"\x00"], ihdr_size=(1000000, 1)))
    good = png(28, 28, 0, 8, [bytes(r) for r in ring])
    write("png", "truncated.png", good[:len(good) * 2 // 3])
    write("png", "bad-crc.png", good[:29] + bytes([good[29] ^ 1]) + good[30:])
    write("png", "no-iend.png", good[:-12])
    write("png", "not-png.png", b"GIF89a\x01\x00\x01\x00")
    write("png", "signature-only.png", good[:8])

    # Models: tiny ones trained by nn-train on a 2x2 IDX set, and one 784-4-10 on the embedded data.
    tmp = tempfile.mkdtemp()
    try:
        n = 40
        xs = bytes((i * 53 + k * 97) % 256 for i in range(n) for k in range(4))
        ys = bytes(i % 3 for i in range(n))
        with open(f"{tmp}/x", "wb") as f: f.write(idx(0x08, [n, 2, 2], xs))
        with open(f"{tmp}/y", "wb") as f: f.write(idx(0x08, [n], ys))
        models = {
            "relu-4-3-3.nnm": ["--layers", "4-3-3"],
            "tanh-4-5-2-3.nnm": ["--layers", "4-5-2-3", "--activation", "tanh"],
            "sigmoid-bce-4-2-1.nnm": ["--layers", "4-2-1", "--loss", "sigmoid-bce", "--positive-class", "2"],
            "mse-4-1.nnm": ["--layers", "4-1", "--loss", "mse", "--activation", "sigmoid"],
        }
        for name, args in models.items():
            subprocess.run([nn_train, "--train-images", f"{tmp}/x", "--train-labels", f"{tmp}/y", "--epochs", "1",
                            "--batch-size", "8", "--threads", "1", "-o", f"{tmp}/{name}"] + args, check=True, stderr=subprocess.DEVNULL)
            shutil.copy(f"{tmp}/{name}", os.path.join(OUT, "model", name))
        subprocess.run([nn_train, "--layers", "784-4-10", "--epochs", "1", "--threads", "1", "-o", f"{tmp}/mnist.nnm"],
                       check=True, stderr=subprocess.DEVNULL)
        shutil.copy(f"{tmp}/mnist.nnm", os.path.join(OUT, "model", "mnist-784-4-10.nnm"))
        for name in models:
            subprocess.run([nn_model, "convert", os.path.join(OUT, "model", name), "-o", os.path.join(OUT, "onnx", name[:-4] + ".onnx")], check=True)
    finally:
        shutil.rmtree(tmp)

    base = open(os.path.join(OUT, "model", "relu-4-3-3.nnm"), "rb").read()
    head, secs = sections(base)
    d = dict((t, x) for t, x in secs)
    write("model", "with-labl-and-unknown-optional.nnm",
          assemble(head, secs[:-1] + [(b"labl", struct.pack("<I", 3) + b"".join(struct.pack("<I", len(s)) + s for s in (b"a", b"bb", b"c"))),
                                      (b"zzzz", b"skip me")] + secs[-1:]))
    write("model", "unknown-required.nnm", assemble(head, secs[:-1] + [(b"ABCD", b"")] + secs[-1:]))
    write("model", "bad-crc.nnm", base[:20] + bytes([base[20] ^ 1]) + base[21:])
    write("model", "truncated.nnm", base[:len(base) // 2])
    write("model", "version-2.0.nnm", base[:8] + struct.pack("<HH", 2, 0) + base[12:])
    wght = bytearray(d[b"WGHT"]); wght[4 + 8:4 + 12] = struct.pack("<f", float("nan"))
    write("model", "nan-weight.nnm", assemble(head, [(t, bytes(wght) if t == b"WGHT" else x) for t, x in secs]))
    hd = bytearray(d[b"HEAD"]); hd[4 + 1 + 4:4 + 1 + 8] = struct.pack("<I", 4)  # first layer 4->4, weights say 4x3
    write("model", "sizes-disagree.nnm", assemble(head, [(t, bytes(hd) if t == b"HEAD" else x) for t, x in secs]))
    write("model", "missing-wght.nnm", assemble(head, [(t, x) for t, x in secs if t != b"WGHT"]))
    write("model", "duplicate-head.nnm", assemble(head, secs[:1] + secs))
    write("model", "trailing-bytes.nnm", base + b"\0\0\0")
    write("model", "empty.nnm", b"")
    write("model", "magic-only.nnm", base[:8])

    # ONNX: files of other tools, and faults
    fixtures, bad = os.path.join(ROOT, "Tests", "Fixtures"), os.path.join(ROOT, "Tests", "BadInputs")
    for name in ("helper-mlp.onnx", "torch-mlp.onnx", "torch-cnn.onnx"):
        shutil.copy(os.path.join(fixtures, name), os.path.join(OUT, "onnx", name))
    for name in sorted(os.listdir(bad)):
        if name.endswith(".onnx") and os.path.getsize(os.path.join(bad, name)) <= 16384:
            shutil.copy(os.path.join(bad, name), os.path.join(OUT, "onnx", "bad-" + name))
    relu = open(os.path.join(OUT, "onnx", "relu-4-3-3.onnx"), "rb").read()
    write("onnx", "truncated.onnx", relu[:len(relu) // 2])

    # npz: archives numpy wrote, small book params stored and deflated, and faults
    for name in ("twolayer-f8.npz", "compressed-f4.npz"):
        shutil.copy(os.path.join(fixtures, name), os.path.join(OUT, "npz", name))
    shutil.copy(os.path.join(bad, "npz-size-lie.npz"), os.path.join(OUT, "npz", "size-lie.npz"))

    def npy(shape, values, descr="<f8", fortran="False"):
        dims = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {dims}, }}"
        header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(descr[0] + ("%dd" if descr[2] == "8" else "%df") % len(values), *values)

    def npz(members, method=zipfile.ZIP_STORED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, data)
        return buf.getvalue()

    two = [("W1.npy", npy((4, 3), [k / 8 - 1 for k in range(12)])), ("b1.npy", npy((3,), [0, 0.25, 0.5])),
           ("W2.npy", npy((3, 2), [1 - k / 4 for k in range(6)])), ("b2.npy", npy((2,), [0.5, -0.5]))]
    write("npz", "two-layer-stored.npz", npz(two))
    write("npz", "two-layer-deflated.npz", npz(two, zipfile.ZIP_DEFLATED))
    bn = two[:2] + [("gamma1.npy", npy((3,), [1, 2, 3], "<f4")), ("beta1.npy", npy((1, 3), [0, 1, 0], "<f4")),
                    ("running_mean1.npy", npy((3,), [0, 0.5, 1])), ("running_var1.npy", npy((3,), [1, 2, 3]))] + two[2:]
    write("npz", "batchnorm-deflated.npz", npz(bn, zipfile.ZIP_DEFLATED))
    write("npz", "shapes-disagree.npz", npz([two[0], ("b1.npy", npy((4,), [0] * 4)), ("W2.npy", npy((2, 2), [1] * 4)), two[3]]))
    write("npz", "big-endian.npz", npz([("W1.npy", npy((2,), [1, 2], ">f8"))]))
    write("npz", "fortran.npz", npz([("W1.npy", npy((2,), [1, 2], "<f8", "True"))]))
    write("npz", "not-npy.npz", npz([("readme.txt", b"hello")]))
    d = npz(two, zipfile.ZIP_DEFLATED)
    write("npz", "truncated.npz", d[:len(d) // 2])
    write_checkpoints(nn_train)


if __name__ == "__main__":
    main()
