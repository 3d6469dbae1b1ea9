#!/usr/bin/env python3
"""make.py: writes the bad-input corpus that Tests/EndToEndTests/BadInputCorpusTests.swift feeds the tools.

    python3 Tests/BadInputs/make.py          # rewrites every file in Tests/BadInputs/ (deterministic)

Everything is built here with struct, zlib and gzip, independently of the Swift code: the model files
follow docs/model-format.md, so `good.nnm` being accepted by nn-eval is itself a check of that spec.
Each bad file differs from a good one in one way only, so a test that fails on it fails for that reason.
"""
import gzip, io, os, struct, zlib

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
    put("not-a-directory.txt", b"a file where a directory is expected\n")


if __name__ == "__main__":
    main()
