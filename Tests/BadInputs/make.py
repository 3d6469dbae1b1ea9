#!/usr/bin/env python3
"""make.py: writes the bad-input corpus that Tests/EndToEndTests/BadInputCorpusTests.swift feeds the tools.

    python3 Tests/BadInputs/make.py          # rewrites every file in Tests/BadInputs/ (deterministic)

Everything is built here with struct, zlib, gzip and zipfile, independently of the Swift code: the model
files follow docs/model-format.md, so `good.nnm` being accepted by nn-eval is itself a check of that spec;
the ONNX files are protobuf written by hand with onnx.proto's field numbers (`good.onnx` is accepted by
onnx.checker and onnxruntime too), the .npz files are zip archives of .npy arrays as np.savez writes them.
Each bad file differs from a good one in one way only, so a test that fails on it fails for that reason.
"""
import gzip, io, os, struct, zipfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# ---- IDX ----
def idx(type_code, dims, data=b""):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


# ---- model file (docs/model-format.md) ----
MAGIC = b"\x89NNM\r\n\x1a\n"


def section(t, data, crc=None):
    c = zlib.crc32(t + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack("<I", len(data)) + t + data + struct.pack("<I", c)


def head(sizes, out_kind=1, positive=-1, act=1):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(b"\x01" + struct.pack("<II", sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(b"\x02" + bytes([act]))
    return struct.pack("<I", len(layers)) + b"".join(layers) + bytes([out_kind]) + struct.pack("<i", positive)


def inpt(shape, scale=1 / 255, offset=0.0):
    return struct.pack("<I", len(shape)) + b"".join(struct.pack("<I", d) for d in shape) + struct.pack("<dd", scale, offset)


def wght(sizes, shapes=None, poison=None, fill=None):
    """Deterministic small weights; shapes overrides the stored (rows, cols); poison = (tensor, index, value);
    fill: every value of every tensor (finite but huge weights)."""
    tensors = []
    for i in range(len(sizes) - 1):
        tensors.append((sizes[i], sizes[i + 1]))
        tensors.append((1, sizes[i + 1]))
    out = struct.pack("<I", len(tensors))
    for t, (r, c) in enumerate(tensors):
        sr, sc = shapes[t] if shapes and t in shapes else (r, c)
        vals = [((k * 2654435761 + t * 97) % 2001 - 1000) / 20000.0 if fill is None else fill for k in range(sr * sc)]
        if poison and poison[0] == t:
            vals[poison[1]] = poison[2]
        out += struct.pack("<II", sr, sc) + struct.pack(f"<{sr * sc}f", *vals)
    return out


def model(sizes=(784, 4, 10), shape=(28, 28), version=(1, 0), extra=(), out_kind=1, **kw):
    secs = [(b"HEAD", head(list(sizes), out_kind=out_kind)), (b"INPT", inpt(list(shape))), (b"WGHT", wght(list(sizes), **kw))]
    secs += list(extra)
    return MAGIC + struct.pack("<HH", *version) + b"".join(section(t, d) for t, d in secs) + section(b"IEND", b"")


# ---- PNG ----
def chunk(t, data, crc=None):
    c = zlib.crc32(t + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", c)


def png_gray(w, h, pixels, ihdr_size=None):
    iw, ih = ihdr_size or (w, h)
    raw = b"".join(b"\x00" + bytes(pixels[y * w:(y + 1) * w]) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", iw, ih, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def digit(w, h):
    """A dark ring (a zero) on white paper."""
    cx, cy, r = (w - 1) / 2, (h - 1) / 2, min(w, h) * 0.35
    return [0 if abs(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 - r) < max(1.0, r * 0.25) else 255 for y in range(h) for x in range(w)]


# ---- ONNX: protobuf by hand, field numbers from onnx/onnx.proto ----
def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def pb_int(field, v):
    return varint(field << 3) + varint(v)


def pb_bytes(field, data):
    return varint(field << 3 | 2) + varint(len(data)) + data


def pb_str(field, s):
    return pb_bytes(field, s.encode())


def pb_float(field, v):
    return varint(field << 3 | 5) + struct.pack("<f", v)


def tensor(name, dims, values=(), data_type=1, raw=None, extra=b""):
    """TensorProto: 1 dims, 2 data_type, 8 name, 9 raw_data (float32 little-endian unless given)."""
    if raw is None:
        raw = struct.pack(f"<{len(values)}f", *values)
    return b"".join(pb_int(1, d) for d in dims) + pb_int(2, data_type) + pb_str(8, name) + pb_bytes(9, raw) + extra


def node(op, inputs, outputs, name, attributes=()):
    """NodeProto: 1 input, 2 output, 3 name, 4 op_type, 5 attribute."""
    return (b"".join(pb_str(1, i) for i in inputs) + b"".join(pb_str(2, o) for o in outputs) + pb_str(3, name) + pb_str(4, op)
            + b"".join(pb_bytes(5, a) for a in attributes))


def attr_int(name, v):  # AttributeProto: 1 name, 3 i, 20 type (INT = 2)
    return pb_str(1, name) + pb_int(3, v) + pb_int(20, 2)


def attr_ints(name, values):  # AttributeProto: 1 name, 8 ints, 20 type (INTS = 7)
    return pb_str(1, name) + b"".join(pb_int(8, v) for v in values) + pb_int(20, 7)


def value_info(name, dims):
    """ValueInfoProto: 1 name, 2 TypeProto{1 tensor_type{1 elem_type FLOAT, 2 shape{1 dim{1 dim_value | 2 dim_param}}}}."""
    shape = b"".join(pb_bytes(1, pb_str(2, d) if isinstance(d, str) else pb_int(1, d)) for d in dims)
    return pb_str(1, name) + pb_bytes(2, pb_bytes(1, pb_int(1, 1) + pb_bytes(2, shape)))


def onnx_model(nodes, initializers, inputs, outputs, ir=7, opset=13):
    """ModelProto: 1 ir_version, 2 producer_name, 7 graph{1 node, 2 name, 5 initializer, 11 input, 12 output}, 8 opset_import{2 version}."""
    graph = (b"".join(pb_bytes(1, n) for n in nodes) + pb_str(2, "bad-inputs") + b"".join(pb_bytes(5, t) for t in initializers)
             + b"".join(pb_bytes(11, v) for v in inputs) + b"".join(pb_bytes(12, v) for v in outputs))
    return pb_int(1, ir) + pb_str(2, "make.py") + pb_bytes(7, graph) + pb_bytes(8, pb_int(2, opset))


def weights(rows, cols, t):
    return [((k * 2654435761 + t * 97) % 2001 - 1000) / 20000.0 for k in range(rows * cols)]


def good_onnx(w1=None, first="Gemm", extra_nodes=()):
    """784-4-10: Mul(pixels, 1/255) -> Gemm -> Relu -> Gemm -> Softmax. w1 replaces W1's TensorProto."""
    inits = [tensor("scale", [], [1 / 255]), w1 or tensor("W1", [784, 4], weights(784, 4, 0)), tensor("b1", [4], weights(1, 4, 1)),
             tensor("W2", [4, 10], weights(4, 10, 2)), tensor("b2", [10], weights(1, 10, 3))]
    nodes = [node("Mul", ["pixels", "scale"], ["x"], "scale_input"),
             node(first, ["x", "W1", "b1"], ["h"], "fc1"),
             node("Relu", ["h"], ["a"], "relu1"),
             node("Gemm", ["a", "W2", "b2"], ["z"], "fc2"),
             node("Softmax", ["z"], ["p"], "softmax", [attr_int("axis", 1)])] + list(extra_nodes)
    return onnx_model(nodes, inits, [value_info("pixels", ["N", 784])], [value_info("p", ["N", 10])])


def good_conv_onnx(conv=None, pool=None, conv_weight=None):
    """[N, 1, 28, 28] -> Mul 1/255 -> Conv 2x3x3 pad 1 -> Relu -> MaxPool 2 -> Flatten -> Gemm 392x10 -> Softmax.
    conv / pool replace the Conv / MaxPool attributes, conv_weight the Conv weight's TensorProto."""
    conv = conv if conv is not None else [attr_ints("kernel_shape", [3, 3]), attr_ints("pads", [1, 1, 1, 1]), attr_ints("strides", [1, 1])]
    pool = pool if pool is not None else [attr_ints("kernel_shape", [2, 2]), attr_ints("strides", [2, 2])]
    inits = [tensor("scale", [], [1 / 255]), conv_weight or tensor("CW1", [2, 1, 3, 3], weights(2, 9, 0)), tensor("cb1", [2], weights(1, 2, 1)),
             tensor("W2", [392, 10], weights(392, 10, 2)), tensor("b2", [10], weights(1, 10, 3))]
    nodes = [node("Mul", ["pixels", "scale"], ["x"], "scale_input"),
             node("Conv", ["x", "CW1", "cb1"], ["c"], "conv1", conv),
             node("Relu", ["c"], ["r"], "relu1"),
             node("MaxPool", ["r"], ["m"], "pool1", pool),
             node("Flatten", ["m"], ["f"], "flatten", [attr_int("axis", 1)]),
             node("Gemm", ["f", "W2", "b2"], ["z"], "fc2"),
             node("Softmax", ["z"], ["p"], "softmax", [attr_int("axis", 1)])]
    return onnx_model(nodes, inits, [value_info("pixels", ["N", 1, 28, 28])], [value_info("p", ["N", 10])])


# ---- .npz: zip archives of .npy arrays ----
def npy(shape, values, descr="<f8", header=None):
    """An .npy file, version 1.0, as numpy.lib.format writes it (header padded to 64 bytes)."""
    if header is None:
        dims = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}"
    pad = 64 - (10 + len(header) + 1) % 64
    h = (header + " " * pad + "\n").encode()
    fmt = {"<f8": "<%dd", "<f4": "<%df", ">f8": ">%dd"}.get(descr, "<%dd")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + struct.pack(fmt % len(values), *values)


def npz(members, compressed=False):
    """A zip of name -> bytes, like np.savez (stored) or np.savez_compressed (deflated)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
            z.writestr(info, data)
    return buf.getvalue()


def deflate_member(name, declared_size, deflated, crc):
    """A one-member zip whose central directory declares `declared_size` bytes for raw deflate data `deflated`."""
    n = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), declared_size, len(n), 0) + n
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(deflated), declared_size, len(n), 0, 0, 0, 0, 0, 0) + n
    body = local + deflated
    return body + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(body), 0)


def raw_deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def good_npz(shapes=None, names=None):
    """The book's TwoLayerNet params for 784-4-10 (float64), W1 b1 W2 b2."""
    shapes = shapes or {"W1": (784, 4), "b1": (4,), "W2": (4, 10), "b2": (10,)}
    out = []
    for t, (name, shape) in enumerate(shapes.items()):
        count = 1
        for d in shape:
            count *= d
        out.append((name + ".npy", npy(shape, weights(1, count, t))))
    return npz(out)


# ---- checkpoints (docs/model-format.md, "Checkpoints"): a model file plus conf, prog, opts, best, hist ----
def fields(items):
    """Typed, length-prefixed fields: u32 count, then per field string name, u8 type, u32 length, value."""
    out = struct.pack("<I", len(items))
    for name, t, v in items:
        n = name.encode()
        out += struct.pack("<I", len(n)) + n + bytes([t]) + struct.pack("<I", len(v)) + v
    return out


def f_int(name, v): return (name, 1, struct.pack("<q", v))
def f_uint(name, v): return (name, 2, struct.pack("<Q", v))
def f_real(name, v): return (name, 3, struct.pack("<d", v))
def f_text(name, v): return (name, 4, v.encode())
def f_bytes(name, v): return (name, 5, v)
def f_gens(name, states): return (name, 6, b"".join(struct.pack("<4Q", *st) for st in states))


def sha_first_mib(data):
    import hashlib
    return hashlib.sha256(data[:1 << 20]).digest()


# The run of ckpt-good.ckpt: 4-3-3 ReLU softmax on tiny-images.idx/tiny-labels.idx (40 samples of 2x2),
# Adam, 2 epochs of batches of 10, stopped after 20 samples of epoch 1 (so Adam has taken 2 steps).
TINY_SIZES = [4, 3, 3]
TRAINED = [(4, 3), (1, 3), (3, 3), (1, 3)]  # W1 b1 W2 b2


def conf(tiny_images, tiny_labels, override=None, drop=(), extra=()):
    items = [
        f_text("layers", "4-3-3"), f_text("activation", "relu"), f_text("loss", "softmax-ce"), f_text("init", "he"),
        f_text("optimizer", "adam"), f_real("learning-rate", 0.001), f_text("lr-schedule", "constant"), f_real("warmup", 0.0),
        f_int("batch-size", 10), f_int("epochs", 2), f_uint("seed", 1), f_real("weight-decay", 0.0005),
        f_real("validation-split", 0.0), f_text("directory", "/nonexistent-nn-toolkit-corpus"), f_text("data.source", "files"),
        f_text("data.name", "tiny-images.idx"),
        f_text("data.train-images.path", "tiny-images.idx"), f_int("data.train-images.size", len(tiny_images)),
        f_bytes("data.train-images.sha256", sha_first_mib(tiny_images)),
        f_text("data.train-labels.path", "tiny-labels.idx"), f_int("data.train-labels.size", len(tiny_labels)),
        f_bytes("data.train-labels.sha256", sha_first_mib(tiny_labels)),
        f_text("output", "/dev/null"), f_text("checkpoint", "/dev/null"),
    ]
    override = override or {}
    items = [override.get(name, (name, t, v)) for name, t, v in items if name not in drop]
    return fields(items + list(extra))


def prog(override=None, drop=(), extra=()):
    items = [f_int("epoch", 1), f_int("position", 20), f_real("loss-sum", 22.0), f_int("correct", 8), f_int("seen", 20),
             f_int("best-epoch", 0), f_gens("rng", [(1, 2, 3, 4)]), f_gens("rng.epoch-start", [(5, 6, 7, 8)]), f_gens("rng.dropout", [])]
    override = override or {}
    return fields([override.get(name, (name, t, v)) for name, t, v in items if name not in drop] + list(extra))


def opts(step=2, slots=2, sizes=None):
    sizes = sizes or [r * c for r, c in TRAINED]
    out = struct.pack("<QII", step, slots, len(sizes))
    for s in range(slots):
        for n in sizes:
            out += struct.pack("<I", n) + struct.pack(f"<{n}f", *[0.01 * (k % 5) for k in range(n)])
    return out


def best(shapes=()):
    out = struct.pack("<I", len(shapes))
    for r, c in shapes:
        out += struct.pack("<II", r, c) + struct.pack(f"<{r * c}f", *[0.1] * (r * c))
    return out


def hist(epochs=()):
    """One record per finished epoch: u32 epoch, 5 f64, validation and test reports (1 = classification)."""
    out = struct.pack("<I", len(epochs))
    for e, validation in epochs:
        out += struct.pack("<I5d", e, 1.1, 0.4, 0.01, 4000.0, 0.001)
        out += (b"\x01" + struct.pack("<dII", 1.0, 5, 10)) if validation else b"\x00"
        out += b"\x00"
    return out


def checkpoint(sections):
    """The tiny 4-3-3 model (input 2x2) followed by `sections` [(type, data)], then IEND."""
    secs = [(b"HEAD", head(TINY_SIZES)), (b"INPT", inpt([2, 2])), (b"WGHT", wght(TINY_SIZES))] + sections
    return MAGIC + struct.pack("<HH", 1, 1) + b"".join(section(t, d) for t, d in secs) + section(b"IEND", b"")


def main():
    for f in os.listdir(HERE):
        if f not in ("make.py", "README.md"):
            os.remove(os.path.join(HERE, f))

    # Good data, the controls: 20 images of 28x28 with labels 0-9, and 40 of 2x2 with labels 0-2.
    images = bytes((i * 7 + i // 784 * 13) % 256 for i in range(20 * 784))
    put("good-images.idx", idx(0x08, [20, 28, 28], images))
    put("good-labels.idx", idx(0x08, [20], bytes(i % 10 for i in range(20))))
    put("good-images.idx.gz", gz(idx(0x08, [20, 28, 28], images)))
    put("tiny-images.idx", idx(0x08, [40, 2, 2], bytes((i * 53) % 256 for i in range(160))))
    put("tiny-labels.idx", idx(0x08, [40], bytes(i % 3 for i in range(40))))

    # Bad data.
    g = gz(idx(0x08, [20, 28, 28], images))
    put("images-truncated.idx.gz", g[:len(g) // 2])
    put("images-corrupt.idx.gz", g[:10] + bytes([0xFF] * 8) + g[18:])  # deflate data overwritten
    put("images-bad-gzip-crc.idx.gz", g[:-8] + bytes([g[-8] ^ 0xFF]) + g[-7:])  # trailer CRC-32
    put("images-garbage-after-gzip.idx.gz", g + b"this is not gzip")
    put("images-not-gzip.idx.gz", b"\x1f\x8b" + b"\x00" * 30)  # gzip magic, nonsense header
    put("images-bad-magic.idx", b"\x08\x00\x08\x03" + images[:64])
    put("images-unknown-type.idx", idx(0x0A, [20, 28, 28], images))
    put("images-int16.idx", idx(0x0B, [20, 28, 14], images))  # same byte count, wrong element type
    put("images-short.idx", idx(0x08, [20, 28, 28], images[:-100]))
    put("images-long.idx", idx(0x08, [20, 28, 28], images + b"\x00" * 5))
    put("images-1dim.idx", idx(0x08, [20 * 784], images))
    put("images-0dims.idx", idx(0x08, [], b""))
    put("images-header-cut.idx", idx(0x08, [20, 28, 28])[:10])
    put("images-empty.idx", b"")
    put("images-none.idx", idx(0x08, [0, 28, 28]))
    put("labels-none.idx", idx(0x08, [0]))
    put("labels-19.idx", idx(0x08, [19], bytes(i % 10 for i in range(19))))
    put("labels-12-classes.idx", idx(0x08, [20], bytes(i % 13 for i in range(20))))  # up to 12, model has 10
    put("labels-negative.idx", idx(0x09, [20], bytes([0xFF] + [1] * 19)))  # int8 -1
    put("labels-nan.idx", idx(0x0D, [20], struct.pack(">20f", *([float("nan")] + [1.0] * 19))))
    put("labels-2dim.idx", idx(0x08, [20, 1], bytes(i % 10 for i in range(20))))
    # Issue 14: a float label of 1e30 (finite, whole, and past Int: converting it trapped); a header whose
    # first dimension is 0, so the data size is 0, but whose item size 2^32-1 x 2^32-1 overflows Int.
    put("labels-1e30.idx", idx(0x0D, [20], struct.pack(">20f", *([1e30] + [1.0] * 19))))
    put("images-item-overflow.idx", idx(0x08, [0, 0xFFFFFFFF, 0xFFFFFFFF]))
    # Claims 65537x256x256 bytes (just over 4 GiB) in a 50-byte gzip file.
    put("images-4GiB-claim.idx.gz", gz(idx(0x08, [0x10001, 256, 256], b"\x01" * 100)))
    # Found by fuzz/run.sh idx (fuzz/crashes/idx-oom-4GB-allocation-from-11-bytes): 4,194,304,030 labels
    # claimed, 2 present; the reader allocates the claimed size before inflating anything.
    put("labels-4GB-claim.idx.gz", gz(bytes([0, 0, 8, 1, 0xF9, 0xFF, 0xFF, 0xFE, 1, 2])))

    # Models: a good 784-4-10 ReLU softmax model, and one fault each.
    good = model()
    put("good.nnm", good)
    put("model-bad-crc.nnm", good[:40] + bytes([good[40] ^ 0x01]) + good[41:])  # a byte of HEAD's data
    put("model-truncated.nnm", good[:len(good) // 2])
    put("model-v2.nnm", model(version=(2, 0)))
    put("model-v0.nnm", model(version=(0, 9)))
    put("model-nan.nnm", model(poison=(2, 3, float("nan"))))  # W2[3]
    put("model-inf.nnm", model(poison=(1, 0, float("inf"))))  # b1[0]
    put("model-sizes-disagree.nnm", model(shapes={0: (784, 5)}))  # W1 stored 784x5, HEAD says 784x4
    put("model-input-shape.nnm", model(shape=(28, 27)))  # 756 values, the first layer takes 784
    put("model-flat-784.nnm", model(shape=(784,)))  # valid, but no picture fits a flat input
    put("model-unknown-required.nnm", model(extra=[(b"QUUX", b"\x00")]))
    put("model-trailing.nnm", good + b"\x00" * 12)
    put("model-no-iend.nnm", good[:-12])
    put("model-wrong-magic.nnm", b"\x89PNG\r\n\x1a\n" + good[8:])
    put("model-text.nnm", b"this is a README, not a model\n")
    put("model-empty.nnm", b"")
    # Issue 14 (hostile input): finite weights whose products overflow Float (every weight 3e38); a regression
    # (MSE) model and a multi-label (sigmoid-bce, 10 outputs) model, whose outputs are no class probabilities;
    # an input shape whose product overflows Int (3 x 2^32-1); a normalisation recipe of absurd size.
    put("model-huge-weights.nnm", model(fill=3e38))
    put("model-mse.nnm", model(sizes=(784, 4, 1), out_kind=3))
    put("model-mse-3.nnm", model(sizes=(784, 4, 3), out_kind=3))
    put("model-multilabel.nnm", model(out_kind=2))
    put("model-input-overflow.nnm", model(shape=(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)))
    norm = struct.pack("<I", 12) + b"mnist-com-v1" + struct.pack("<I", 2) \
        + struct.pack("<I", 3) + b"box" + struct.pack("<d", -1e300) + struct.pack("<I", 6) + b"canvas" + struct.pack("<d", 1e300)
    put("model-recipe-1e300.nnm", model(extra=[(b"norm", norm)]))
    # Class names holding a tab, a newline and a backslash: nn-predict's TSV escapes them.
    names = [b"zero\tnull", b"one\nline", b"two\\2"] + [str(k).encode() for k in range(3, 10)]
    put("model-odd-class-names.nnm", model(extra=[(b"labl", struct.pack("<I", 10) + b"".join(struct.pack("<I", len(n)) + n for n in names))]))

    # ONNX: a good 784-4-10 model (its weights are those of good.nnm), and one fault each.
    good_o = good_onnx()
    put("good.onnx", good_o)
    put("onnx-truncated.onnx", good_o[:len(good_o) // 2])
    put("onnx-empty.onnx", b"")
    # W1 declares 100000x784 float32 (313 MB) and holds 64 bytes
    put("onnx-tensor-exceeds-file.onnx", good_onnx(w1=tensor("W1", [100000, 784], weights(4, 4, 0))))
    # W1 declares 2^40 x 784 elements
    put("onnx-dims-2pow40.onnx", good_onnx(w1=tensor("W1", [1 << 40, 784], weights(4, 4, 0))))
    put("onnx-unknown-data-type.onnx", good_onnx(w1=tensor("W1", [784, 4], data_type=999, raw=b"\x00" * 16)))
    # TensorProto 13 external_data {key "location", value "weights.bin"}, 14 data_location EXTERNAL
    put("onnx-external-data.onnx", good_onnx(w1=pb_int(1, 784) + pb_int(1, 4) + pb_int(2, 1) + pb_str(8, "W1")
                                             + pb_bytes(13, pb_str(1, "location") + pb_str(2, "weights.bin")) + pb_int(14, 1)))
    put("onnx-unsupported-op.onnx", good_onnx(first="ConvTranspose"))
    # Convolutional graphs: a good one, and one fault each in its Conv or MaxPool
    put("good-conv.onnx", good_conv_onnx())
    put("onnx-conv-kernel-vs-weight.onnx", good_conv_onnx(conv=[attr_ints("kernel_shape", [5, 5]), attr_ints("pads", [1, 1, 1, 1])]))
    put("onnx-conv-dims-2pow40.onnx", good_conv_onnx(conv_weight=tensor("CW1", [2, 1, 1 << 40, 3], weights(2, 9, 0))))
    put("onnx-conv-negative-pads.onnx", good_conv_onnx(conv=[attr_ints("kernel_shape", [3, 3]), attr_ints("pads", [-1, -1, -1, -1])]))
    put("onnx-conv-zero-strides.onnx", good_conv_onnx(conv=[attr_ints("kernel_shape", [3, 3]), attr_ints("strides", [0, 0])]))
    put("onnx-conv-asymmetric-pads.onnx", good_conv_onnx(conv=[attr_ints("pads", [0, 0, 1, 1])]))
    put("onnx-conv-group.onnx", good_conv_onnx(conv=[attr_ints("pads", [1, 1, 1, 1]), attr_int("group", 2)]))
    put("onnx-conv-dilations.onnx", good_conv_onnx(conv=[attr_ints("pads", [2, 2, 2, 2]), attr_ints("dilations", [2, 2])]))
    put("onnx-pool-2pow40-window.onnx", good_conv_onnx(pool=[attr_ints("kernel_shape", [1 << 40, 1 << 40])]))
    put("onnx-pool-ceil-mode.onnx", good_conv_onnx(pool=[attr_ints("kernel_shape", [3, 3]), attr_ints("strides", [3, 3]), attr_int("ceil_mode", 1)]))

    # .npz: the book's TwoLayerNet params for 784-4-10 (float64, stored like np.savez), and one fault each.
    put("good.npz", good_npz())
    # A zip bomb: 20 MB of zeros deflated to ~20 KB, declared honestly, behind an .npy header of 6 values
    bomb = npy((3, 2), [0.0] * 6)
    bomb_data = bomb + b"\x00" * (20_000_000)
    put("npz-zip-bomb.npz", deflate_member("W1.npy", len(bomb_data), raw_deflate(bomb_data), zlib.crc32(bomb_data)))
    # The same data declared as the header's 176 bytes: inflating must stop there
    put("npz-inflates-past-size.npz", deflate_member("W1.npy", len(bomb), raw_deflate(bomb_data), zlib.crc32(bomb)))
    # A member that declares 2 GiB from 100 compressed bytes
    put("npz-size-lie.npz", deflate_member("W1.npy", 1 << 31, raw_deflate(bomb)[:100], 0))
    put("npy-bad-dtype.npz", npz([("W1.npy", npy((784, 4), weights(784, 4, 0), descr=">f8"))]))
    put("npy-bad-header.npz", npz([("W1.npy", npy((784, 4), weights(784, 4, 0), header="{'descr': '<f8', 'fortran_order': False, 'shape': (784, 4), 'extra': 1, }"))]))
    put("npz-truncated.npz", good_npz()[:5000])
    # b1 (5,) does not fit W1 (784, 4); W2 (3, 10) does not take W1's 4 outputs
    put("npz-shapes-disagree.npz", good_npz({"W1": (784, 4), "b1": (5,), "W2": (3, 10), "b2": (10,)}))

    # Checkpoints (issue 14): a good one that resumes on the tiny set, then one bad field or section each.
    # The run's directory does not exist here, so the cases name the data beside --resume (checked by
    # fingerprint); its outputs are /dev/null.
    ti = open(os.path.join(HERE, "tiny-images.idx"), "rb").read()
    tl = open(os.path.join(HERE, "tiny-labels.idx"), "rb").read()

    def ckpt(conf_=None, prog_=None, opts_=None, best_=None, hist_=None, omit=()):
        secs = [(b"conf", conf(ti, tl) if conf_ is None else conf_), (b"prog", prog() if prog_ is None else prog_),
                (b"opts", opts() if opts_ is None else opts_), (b"best", best() if best_ is None else best_),
                (b"hist", hist() if hist_ is None else hist_)]
        return checkpoint([(t, d) for t, d in secs if t.decode() not in omit])

    put("ckpt-good.ckpt", ckpt())
    # the format before issue 14: the settings as nn-train's command line in a key/value section ckpt
    kv = [("nn-train.arguments", "--layers\x1f4-3-3"), ("progress.epoch", "1"), ("progress.position", "0")]
    old_ckpt = struct.pack("<I", len(kv)) + b"".join(struct.pack("<I", len(k)) + k.encode() + struct.pack("<I", len(v)) + v.encode() for k, v in kv)
    put("ckpt-old-format.ckpt", checkpoint([(b"ckpt", old_ckpt), (b"opts", opts()), (b"best", best()), (b"hist", hist())]))
    put("ckpt-no-opts.ckpt", ckpt(omit=("opts",)))
    good_ckpt = ckpt()
    k = good_ckpt.index(b"conf") + 40
    put("ckpt-bad-crc.ckpt", good_ckpt[:k] + bytes([good_ckpt[k] ^ 1]) + good_ckpt[k + 1:])
    # progress out of range
    put("ckpt-position-negative.ckpt", ckpt(prog_=prog({"position": f_int("position", -10)})))
    put("ckpt-position-not-batch.ckpt", ckpt(prog_=prog({"position": f_int("position", 15), "seen": f_int("seen", 15)})))
    put("ckpt-position-past-data.ckpt", ckpt(prog_=prog({"position": f_int("position", 1000), "seen": f_int("seen", 1000)})))
    put("ckpt-epoch-negative.ckpt", ckpt(prog_=prog({"epoch": f_int("epoch", -1)})))
    put("ckpt-epoch-past-end.ckpt", ckpt(prog_=prog({"epoch": f_int("epoch", 3), "position": f_int("position", 0)}, drop=("rng.epoch-start",)),
                                         hist_=hist([(1, False), (2, False)])))
    put("ckpt-seen-mismatch.ckpt", ckpt(prog_=prog({"seen": f_int("seen", 10)})))
    put("ckpt-loss-sum-nan.ckpt", ckpt(prog_=prog({"loss-sum": f_real("loss-sum", float("nan"))})))
    put("ckpt-history-count.ckpt", ckpt(hist_=hist([(1, False)])))
    # early stopping's weights of the wrong shape (W1 stored 3x4, the network's is 4x3)
    es_conf = conf(ti, tl, {"epochs": f_int("epochs", 3), "validation-split": f_real("validation-split", 0.25)}, extra=[f_int("patience", 2)])
    es_prog = prog({"epoch": f_int("epoch", 2), "position": f_int("position", 0), "best-epoch": f_int("best-epoch", 1)},
                   drop=("rng.epoch-start",), extra=[f_real("best-score", 0.5)])
    put("ckpt-best-wrong-shape.ckpt", ckpt(conf_=es_conf, prog_=es_prog, opts_=opts(step=3), best_=best([(3, 4), (1, 3), (3, 3), (1, 3)]),
                                           hist_=hist([(1, True)])))
    # optimizer memory of the wrong size, or the wrong number of slots for Adam, or a negative second moment
    put("ckpt-opts-wrong-size.ckpt", ckpt(opts_=opts(sizes=[11, 3, 9, 3])))
    put("ckpt-opts-one-slot.ckpt", ckpt(opts_=opts(slots=1)))
    put("ckpt-opts-step.ckpt", ckpt(opts_=opts(step=7)))
    # generator states: all zero, too short, one for a dropout layer the network does not have, missing mid-epoch
    put("ckpt-rng-zero.ckpt", ckpt(prog_=prog({"rng": f_gens("rng", [(0, 0, 0, 0)])})))
    put("ckpt-rng-short.ckpt", ckpt(prog_=prog({"rng": ("rng", 6, struct.pack("<3Q", 1, 2, 3))})))
    put("ckpt-rng-dropout.ckpt", ckpt(prog_=prog({"rng.dropout": f_gens("rng.dropout", [(9, 9, 9, 9)])})))
    put("ckpt-rng-no-epoch-start.ckpt", ckpt(prog_=prog(drop=("rng.epoch-start",))))
    # settings out of range or malformed
    put("ckpt-epochs-zero.ckpt", ckpt(conf_=conf(ti, tl, {"epochs": f_int("epochs", 0)})))
    put("ckpt-batch-size-zero.ckpt", ckpt(conf_=conf(ti, tl, {"batch-size": f_int("batch-size", 0)})))
    put("ckpt-learning-rate-nan.ckpt", ckpt(conf_=conf(ti, tl, {"learning-rate": f_real("learning-rate", float("nan"))})))
    put("ckpt-optimizer-help.ckpt", ckpt(conf_=conf(ti, tl, {"optimizer": f_text("optimizer", "--help")})))
    put("ckpt-epochs-as-text.ckpt", ckpt(conf_=conf(ti, tl, {"epochs": f_text("epochs", "2")})))
    put("ckpt-no-seed.ckpt", ckpt(conf_=conf(ti, tl, drop=("seed",))))
    put("ckpt-duplicate-field.ckpt", ckpt(conf_=conf(ti, tl, extra=[f_int("epochs", 5)])))
    put("ckpt-unknown-field.ckpt", ckpt(conf_=conf(ti, tl, extra=[f_text("colour", "blue")])))
    put("ckpt-field-past-end.ckpt", ckpt(conf_=conf(ti, tl)[:-3]))
    put("ckpt-network-differs.ckpt", ckpt(conf_=conf(ti, tl, {"layers": f_text("layers", "4-5-3")})))
    put("ckpt-directory-relative.ckpt", ckpt(conf_=conf(ti, tl, {"directory": f_text("directory", "relative/dir")})))
    put("ckpt-digest-short.ckpt", ckpt(conf_=conf(ti, tl, {"data.train-images.sha256": f_bytes("data.train-images.sha256", b"\x00" * 16)})))

    # PNGs
    put("digit.png", png_gray(28, 28, digit(28, 28)))
    put("digit-1x1.png", png_gray(1, 1, [0]))
    put("png-not-a-png.png", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;")
    put("png-empty.png", b"")
    put("png-0x0.png", png_gray(1, 1, [0], ihdr_size=(0, 0)))
    put("png-30000x30000.png", png_gray(1, 1, [0], ihdr_size=(30000, 30000)))
    # Under the 40,000,000-pixel limit: RGBA 16-bit 6000x6600 with 100 bytes of image data (69 bytes in all).
    put("png-6000x6600-no-data.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 6000, 6600, 16, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))
    d = png_gray(28, 28, digit(28, 28))
    put("png-truncated.png", d[:len(d) // 2])
    put("png-bad-crc.png", d[:29] + bytes([d[29] ^ 0x01]) + d[30:])  # IHDR CRC
    put("png-no-idat.png", d[:33] + chunk(b"IEND", b""))
    # Each breaks one rule of the PNG specification that libpng lets pass by default (its "benign errors").
    sig, ihdr_gray = d[:8], d[8:33]
    idat = d[33:-12]
    stream = idat[8:-4]
    put("png-no-iend.png", d[:-12])
    put("png-iend-bad-crc.png", d[:-1] + bytes([d[-1] ^ 1]))
    put("png-after-iend.png", d + b"\0\0\0")
    put("png-iend-with-data.png", d[:-12] + chunk(b"IEND", b"data"))
    put("png-ancillary-bad-crc.png", sig + ihdr_gray + chunk(b"tEXt", b"Comment\0hello", crc=0) + idat + chunk(b"IEND", b""))
    put("png-bad-adler.png", sig + ihdr_gray + chunk(b"IDAT", stream[:-1] + bytes([stream[-1] ^ 1])) + chunk(b"IEND", b""))
    put("png-zlib-trailing.png", sig + ihdr_gray + chunk(b"IDAT", stream + b"\0\0\0") + chunk(b"IEND", b""))
    put("png-data-long.png", png_gray(28, 29, digit(28, 29), ihdr_size=(28, 28)))
    # a 1x1 image whose data inflates to 16 MiB: refused once its one row is out, the rest not inflated
    put("png-1x1-16MiB-data.png", sig + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(1 << 24), 9)) + chunk(b"IEND", b""))
    pal_ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 3, 0, 0, 0))
    put("png-palette-index.png", sig + pal_ihdr + chunk(b"PLTE", b"\xff\xff\xff\0\0\0")
        + chunk(b"IDAT", zlib.compress(b"\x00\x01\xc8")) + chunk(b"IEND", b""))
    put("png-plte-too-big.png", sig + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 1, 3, 0, 0, 0)) + chunk(b"PLTE", b"\x80" * 9)
        + chunk(b"IDAT", zlib.compress(b"\x00\x40")) + chunk(b"IEND", b""))
    put("png-gray-with-plte.png", sig + ihdr_gray + chunk(b"PLTE", b"\0\0\0\xff\xff\xff") + idat + chunk(b"IEND", b""))
    put("png-trns-wrong-length.png", sig + ihdr_gray + chunk(b"tRNS", b"\0") + idat + chunk(b"IEND", b""))
    rgba_ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
    put("png-rgba-with-trns.png", sig + rgba_ihdr + chunk(b"tRNS", b"\0" * 6) + chunk(b"IDAT", zlib.compress(b"\0" * 5)) + chunk(b"IEND", b""))
    # valid: unknown ancillary chunks (APNG's), text after the data, the stream in 3 IDATs and empty ones
    third = len(stream) // 3
    put("png-good-variants.png", sig + ihdr_gray + chunk(b"acTL", struct.pack(">II", 1, 0)) + chunk(b"fcTL", bytes(26))
        + chunk(b"IDAT", b"") + chunk(b"IDAT", stream[:third]) + chunk(b"IDAT", b"") + chunk(b"IDAT", stream[third:2 * third])
        + chunk(b"IDAT", stream[2 * third:]) + chunk(b"tEXt", b"Title\0digit") + chunk(b"zzZz", b"") + chunk(b"IEND", b""))
    put("not-a-directory.txt", b"a file where a directory is expected\n")


if __name__ == "__main__":
    main()
