#!/usr/bin/env python3
"""interchange.py: nn-model's ONNX and .npz interchange, checked by independent clients: the onnx checker,
onnxruntime, numpy (and torch when it is installed). Run by Tests/EndToEndTests/InterchangeTests.swift
with the built tools (nn-model, nn-train, nn-eval, nn-predict, nn-gradcheck) on PATH:

    python3 Tests/Interchange/interchange.py SCENARIO WORKDIR

    export-shipped   models/mnist-default.nnm and mnist-cnn.nnm -> .onnx: check_model(full_check=True), onnxruntime on all
                     10,000 t10k images against `nn-predict --images`; .onnx -> .nnm gives the same bytes
    export-trained   the same for MLPs trained here by nn-train: batch norm (ReLU, softmax), tanh with
                     dropout and a sigmoid-bce output, sigmoid with an mse output
    import-helper    MLPs built with onnx.helper from weights trained here in numpy (Reshape, Div, Gemm with
                     transB/alpha/beta, Dropout, MatMul+Add, Identity, Softmax; Mul/Sub/Div scaling,
                     BatchNormalization with epsilon 1e-5, Tanh, Sigmoid output), imported with nn-model:
                     nn-eval's accuracy and nn-predict's class per image against onnxruntime
    import-torch     an MLP trained in PyTorch and exported by torch.onnx.export (logits, no scaling:
                     imported with --loss softmax-ce --input-scale 1/255); skipped without torch
    export-conv      Tests/Fixtures/conv-bn.nnm (a CNN with batch norm, conv strides and padding, max and average
                     pooling) -> .onnx with input [N, 1, 28, 28]: the same checks as export-shipped
    import-torch-cnn a CNN trained in PyTorch (Conv2d, BatchNorm2d, MaxPool2d, AvgPool2d, reshape to [-1, n]) and
                     exported by torch.onnx.export, imported with nn-model: nn-eval's accuracy and nn-predict's
                     classes against onnxruntime; skipped without torch
    npz              the book's TwoLayerNet (and a MultiLayerNetExtend with batch norm) trained here in
                     numpy, saved with np.savez, imported; nn-gradcheck passes; classes as numpy's

Each scenario prints one JSON line of figures per model on stdout and exits 0, or prints what failed on
stderr and exits 1. A missing Python module exits 3 with the pip command to run.
"""
import gzip, json, os, shutil, struct, subprocess, sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import onnxruntime as ort
except ImportError as e:
    print(f"interchange.py: {e}: pip install onnx onnxruntime numpy", file=sys.stderr)
    sys.exit(3)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "datasets", "default")
T10K_IMAGES = os.path.join(DATA, "t10k-images-idx3-ubyte.gz")
T10K_LABELS = os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")
PROBABILITY_TOLERANCE = 1e-5
failures = []


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def t10k():
    return idx(T10K_IMAGES).reshape(-1, 784).astype(np.float32), idx(T10K_LABELS).astype(np.int64)


def train_set():
    return (idx(os.path.join(DATA, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32),
            idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz")).astype(np.int64))


def run(*args, expect=0):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != expect:
        raise SystemExit(f"interchange.py: {' '.join(args)} exited {r.returncode}, expected {expect}\n{r.stderr}")
    return r


def fail(message):
    failures.append(message)
    print(f"interchange.py: FAIL: {message}", file=sys.stderr)


def check(model_path):
    onnx.checker.check_model(onnx.load(model_path), full_check=True)


def onnx_outputs(path, feed):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: feed})[0].astype(np.float64)


def nn_predict(model, outputs, classifier=None):
    """nn-predict's outputs per t10k image as a [10000, outputs] array: every class's probability via
    --top-k for a classifier, the values of an mse model (nn-predict prints them as "values").
    classifier: True or False when known, else found out by a first run."""
    r = None
    if classifier is None:
        r = run("nn-predict", "-m", model, "--images", T10K_IMAGES, "--format", "jsonl")
        first = r.stdout.split("\n", 1)[0]
        classifier = '"values"' not in first and '"value"' not in first
    if classifier:
        r = run("nn-predict", "-m", model, "--images", T10K_IMAGES, "--format", "jsonl", "--top-k", str(outputs))
    elif r is None:
        r = run("nn-predict", "-m", model, "--images", T10K_IMAGES, "--format", "jsonl")
    lines = r.stdout.splitlines()
    out = np.zeros((len(lines), outputs))
    for i, line in enumerate(lines):
        record = json.loads(line)
        if "values" in record:
            out[i, :] = record["values"]
        elif "value" in record:
            out[i, 0] = record["value"]
        else:
            for entry in record["top"]:
                out[i, int(entry["label"])] = entry["probability"]
    return out


# Two classes whose outputs differ by less than this, in both runtimes, are a tie: float32 rounding in a
# different order (onnxruntime's kernels and ours) may put either first.
TIE = 1e-6


def compare(name, ours, theirs, labels=None, accuracy=None):
    """Classes per image and values; returns the figures."""
    classes_ours, classes_theirs = ours.argmax(1), theirs.argmax(1)
    agree = int((classes_ours == classes_theirs).sum())
    rows = np.arange(len(ours))
    differ = classes_ours != classes_theirs
    tie = (np.abs(theirs[rows, classes_ours] - theirs[rows, classes_theirs]) <= TIE) & \
          (np.abs(ours[rows, classes_ours] - ours[rows, classes_theirs]) <= TIE)
    ties = int((differ & tie).sum())
    diff = float(np.abs(ours - theirs).max())
    figures = {"model": name, "images": len(ours), "class_agreement": agree, "disagreements_that_are_ties": ties,
               "max_abs_difference": diff}
    if agree + ties != len(ours):
        fail(f"{name}: onnxruntime and nn-toolkit disagree on the class of {len(ours) - agree - ties} images (not ties)")
    if diff > PROBABILITY_TOLERANCE:
        fail(f"{name}: outputs differ by up to {diff:.3g} > {PROBABILITY_TOLERANCE}")
    if labels is not None:
        figures["onnxruntime_accuracy"] = float((classes_theirs == labels).mean())
    if accuracy is not None:
        figures["nn_eval_accuracy"] = accuracy
        if abs(accuracy - figures["onnxruntime_accuracy"]) > 1e-12:
            fail(f"{name}: nn-eval accuracy {accuracy} != onnxruntime's {figures['onnxruntime_accuracy']}")
    print(json.dumps(figures))
    return figures


def export_check(nnm, work, name, byte_round_trip=True):
    """nnm -> onnx: checker, onnxruntime vs nn-predict on t10k; onnx -> nnm: same bytes."""
    path = os.path.join(work, name + ".onnx")
    run("nn-model", "convert", nnm, "-o", path)
    check(path)
    model = onnx.load(path)
    outputs = [o.name for o in model.graph.output]
    k = model.graph.output[0].type.tensor_type.shape.dim[1].dim_value
    images, labels = t10k()
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    theirs = onnx_outputs(path, images.reshape([-1] + dims))   # raw pixels: the scaling is in the graph
    compare(f"{name} ({outputs[0]})", nn_predict(nnm, k, classifier=outputs[0] != "values"), theirs, labels)
    back = os.path.join(work, name + ".back.nnm")
    run("nn-model", "convert", path, "-o", back)
    if byte_round_trip and open(back, "rb").read() != open(nnm, "rb").read():
        fail(f"{name}: .nnm -> .onnx -> .nnm changed the file")


def scenario_export_shipped(work):
    # both shipped models: the MLP and the default CNN
    export_check(os.path.join(ROOT, "models", "mnist-default.nnm"), work, "mnist-default")
    export_check(os.path.join(ROOT, "models", "mnist-cnn.nnm"), work, "mnist-cnn")


def scenario_export_trained(work):
    recipes = {
        "batchnorm-relu": ["--layers", "784-64-32-10", "--batch-norm", "all", "--epochs", "2"],
        "tanh-dropout-sigmoid-bce": ["--layers", "784-32-10", "--activation", "tanh", "--dropout", "0.2", "--loss", "sigmoid-bce", "--epochs", "1"],
        "sigmoid-mse": ["--layers", "784-32-10", "--activation", "sigmoid", "--loss", "mse", "--epochs", "1"],
    }
    for name, flags in recipes.items():
        nnm = os.path.join(work, name + ".nnm")
        run("nn-train", "--seed", "3", *flags, "-o", nnm)
        # dropout is dropped on export (identity at inference): that model comes back without it
        export_check(nnm, work, name, byte_round_trip="--dropout" not in flags)


def scenario_export_conv(work):
    # made by: nn-train --layers 1x28x28-conv4k3-maxpool2-conv8k5s2p1-avgpool2-24-10 --batch-norm all --epochs 4 --seed 3
    nnm = os.path.join(ROOT, "Tests", "Fixtures", "conv-bn.nnm")
    model = os.path.join(work, "conv-bn.onnx")
    export_check(nnm, work, "conv-bn")
    graph = onnx.load(model).graph
    ops = [n.op_type for n in graph.node]
    dims = [d.dim_value or d.dim_param for d in graph.input[0].type.tensor_type.shape.dim]
    print(json.dumps({"model": "conv-bn graph", "ops": ops, "input": dims}))


# ---- MLPs trained here in numpy ----

def train_mlp(hidden=64, activation="relu", epochs=3, seed=0):
    """A 784-hidden-10 MLP with a softmax, trained by SGD on the 5,000 embedded images scaled to [0, 1]."""
    x, t = train_set()
    x = x / 255.0
    rng = np.random.RandomState(seed)
    w1 = rng.randn(784, hidden) * np.sqrt(2.0 / 784)
    b1 = np.zeros(hidden)
    w2 = rng.randn(hidden, 10) * np.sqrt(1.0 / hidden)
    b2 = np.zeros(10)
    act = {"relu": (lambda a: np.maximum(a, 0), lambda h: (h > 0)), "tanh": (np.tanh, lambda h: 1 - h * h)}[activation]
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), 100):
            i = order[s:s + 100]
            h = act[0](x[i] @ w1 + b1)
            z = h @ w2 + b2
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(i)), t[i]] -= 1
            dz = p / len(i)
            dh = dz @ w2.T * act[1](h)
            w2 -= 0.1 * h.T @ dz
            b2 -= 0.1 * dz.sum(0)
            w1 -= 0.1 * x[i].T @ dh
            b1 -= 0.1 * dh.sum(0)
    return [a.astype(np.float32) for a in (w1, b1, w2, b2)]


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def helper_gemm_model(path):
    """[N, 1, 28, 28] raw pixels -> Reshape -> Div 255 -> Gemm (transB, alpha, beta) -> Relu -> Dropout
    -> MatMul + Add -> Identity -> Softmax."""
    w1, b1, w2, b2 = train_mlp()
    nodes = [
        helper.make_node("Reshape", ["image", "flat_shape"], ["flat"], name="flatten"),
        helper.make_node("Div", ["flat", "two55"], ["scaled"], name="scale"),
        # B = 2 W1^T with alpha 0.5; C = b1 / 4 with beta 4
        helper.make_node("Gemm", ["scaled", "w1t", "c1"], ["h1"], name="fc1", transB=1, alpha=0.5, beta=4.0),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("Dropout", ["a1"], ["d1"], name="drop1"),
        helper.make_node("MatMul", ["d1", "w2"], ["m2"], name="fc2"),
        helper.make_node("Add", ["b2", "m2"], ["z"], name="bias2"),
        helper.make_node("Identity", ["z"], ["logits"], name="same"),
        helper.make_node("Softmax", ["logits"], ["prob"], name="softmax"),
    ]
    inits = [const("flat_shape", np.array([-1, 784], dtype=np.int64)), const("two55", np.array(255, dtype=np.float32)),
             const("w1t", (2 * w1).T.copy()), const("c1", b1 / 4), const("w2", w2), const("b2", b2)]
    graph = helper.make_graph(nodes, "helper-gemm", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 10])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7), path)
    return lambda images: images.reshape(-1, 1, 28, 28)


def helper_batchnorm_model(path):
    """[N, 784] -> Mul 1/255, Sub mean, Div std -> Gemm -> BatchNormalization (epsilon 1e-5) -> Tanh
    -> Gemm -> Sigmoid."""
    w1, b1, w2, b2 = train_mlp(hidden=48, activation="tanh", seed=1)
    mean, std = 0.1307, 0.3081
    # The net was trained on x/255; undo the normalisation in the first layer's weights and bias.
    w1n, b1n = w1 * std, b1 + mean * w1.sum(0)
    x, _ = train_set()
    pre = ((x / 255.0 - mean) / std) @ w1n + b1n
    mu, var = pre.mean(0), pre.var(0)
    gamma, beta = np.sqrt(var + 1e-5), mu   # batch norm that gives back its input, on real statistics
    nodes = [
        helper.make_node("Mul", ["pixels", "inv255"], ["s1"], name="to_unit"),
        helper.make_node("Sub", ["s1", "mean"], ["s2"], name="centre"),
        helper.make_node("Div", ["s2", "std"], ["s3"], name="spread"),
        helper.make_node("Gemm", ["s3", "w1", "b1"], ["h1"], name="fc1"),
        helper.make_node("BatchNormalization", ["h1", "gamma", "beta", "mu", "var"], ["n1"], name="bn1", epsilon=1e-5),
        helper.make_node("Tanh", ["n1"], ["a1"], name="tanh1"),
        helper.make_node("Gemm", ["a1", "w2", "b2"], ["z"], name="fc2"),
        helper.make_node("Sigmoid", ["z"], ["p"], name="out"),
    ]
    f = lambda a: np.asarray(a, dtype=np.float32)
    inits = [const("inv255", f([1 / 255])), const("mean", f(mean)), const("std", f([[std]])), const("w1", f(w1n)), const("b1", f(b1n)),
             const("gamma", f(gamma)), const("beta", f(beta)), const("mu", f(mu)), const("var", f(var)), const("w2", w2), const("b2", b2)]
    graph = helper.make_graph(nodes, "helper-batchnorm", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 784])],
                              [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 10])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7), path)
    return lambda images: images


def import_check(name, onnx_path, feed, work, flags=(), probabilities=True, classifier=None):
    """onnx -> nnm; nn-eval accuracy and nn-predict classes (and outputs) against onnxruntime."""
    check(onnx_path)
    nnm = os.path.join(work, name + ".nnm")
    run("nn-model", "convert", onnx_path, "-o", nnm, *flags)
    images, labels = t10k()
    theirs = onnx_outputs(onnx_path, feed(images))
    if not probabilities:   # logits: compare probabilities
        theirs = np.exp(theirs - theirs.max(1, keepdims=True))
        theirs /= theirs.sum(1, keepdims=True)
    accuracy = json.loads(run("nn-eval", "-m", nnm, "--format", "json").stdout)["accuracy"]
    return compare(name, nn_predict(nnm, theirs.shape[1], classifier), theirs, labels, accuracy)


def scenario_import_helper(work):
    for name, build in [("helper-gemm", helper_gemm_model), ("helper-batchnorm", helper_batchnorm_model)]:
        path = os.path.join(work, name + ".onnx")
        feed = build(path)
        import_check(name, path, feed, work)


def scenario_import_torch(work):
    try:
        import torch
    except ImportError:
        print(json.dumps({"skipped": "torch is not installed"}))
        return
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x, t = train_set()
    x, t = torch.tensor(x / 255.0), torch.tensor(t)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.BatchNorm1d(64), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for epoch in range(2):
        order = torch.randperm(len(x))
        for s in range(0, len(x), 50):
            i = order[s:s + 50]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[i].reshape(-1, 1, 28, 28)), t[i])
            loss.backward()
            opt.step()
    net.eval()
    path = os.path.join(work, "torch.onnx")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(2, 1, 28, 28),), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13, dynamo=False)
    feed = lambda images: (images / np.float32(255)).reshape(-1, 1, 28, 28)
    import_check("torch", path, feed, work, flags=("--loss", "softmax-ce", "--input-scale", "1/255"), probabilities=False)


def scenario_import_torch_cnn(work):
    try:
        import torch
    except ImportError:
        print(json.dumps({"skipped": "torch is not installed"}))
        return
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x, t = train_set()
    x, t = torch.tensor(x / 255.0).reshape(-1, 1, 28, 28), torch.tensor(t)
    nn = torch.nn

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                                          nn.Conv2d(6, 12, 3, stride=2, padding=1), nn.ReLU(), nn.AvgPool2d(2))
            self.classifier = nn.Sequential(nn.Linear(108, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10))

        def forward(self, images):
            return self.classifier(self.features(images).reshape(-1, 108))   # a Reshape to [-1, 108]

    net = CNN()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for epoch in range(2):
        order = torch.randperm(len(x))
        for s in range(0, len(x), 50):
            i = order[s:s + 50]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[i]), t[i]).backward()
            opt.step()
    net.eval()
    path = os.path.join(work, "torch-cnn.onnx")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(2, 1, 28, 28),), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13, dynamo=False)
    ops = [n.op_type for n in onnx.load(path).graph.node]
    if "Reshape" not in ops or "Conv" not in ops or "AveragePool" not in ops:
        fail(f"torch-cnn: the exported graph lacks the operators under test: {ops}")
    feed = lambda images: (images / np.float32(255)).reshape(-1, 1, 28, 28)
    import_check("torch-cnn", path, feed, work, flags=("--loss", "softmax-ce", "--input-scale", "1/255"), probabilities=False, classifier=True)
    print(json.dumps({"model": "torch-cnn graph", "ops": ops}))


# ---- the book's networks, in numpy ----

def scenario_npz(work):
    x, t = train_set()
    x = x / 255.0
    rng = np.random.RandomState(7)
    # TwoLayerNet(784, 50, 10) of chapter 5: weight_init_std 0.01, ReLU, SGD lr 0.1, batch 100
    params = {"W1": 0.01 * rng.randn(784, 50), "b1": np.zeros(50), "W2": 0.01 * rng.randn(50, 10), "b2": np.zeros(10)}
    for step in range(300):
        i = rng.choice(len(x), 100)
        h = np.maximum(x[i] @ params["W1"] + params["b1"], 0)
        z = h @ params["W2"] + params["b2"]
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(100), t[i]] -= 1
        dz = p / 100
        dh = dz @ params["W2"].T * (h > 0)
        grads = {"W2": h.T @ dz, "b2": dz.sum(0), "W1": x[i].T @ dh, "b1": dh.sum(0)}
        for k in params:
            params[k] -= 0.1 * grads[k]
    path = os.path.join(work, "two_layer_net.npz")
    np.savez(path, **params)
    nnm = os.path.join(work, "two_layer_net.nnm")
    run("nn-model", "convert", path, "-o", nnm, "--activation", "relu")
    gradcheck = run("nn-gradcheck", "-m", nnm, "--data", DATA).stdout.strip().splitlines()[-1]
    images, labels = t10k()
    h = np.maximum(images / 255.0 @ params["W1"] + params["b1"], 0)
    numpy_classes = (h @ params["W2"] + params["b2"]).argmax(1)
    ours = nn_predict(nnm, 10).argmax(1)
    agree = int((ours == numpy_classes).sum())
    print(json.dumps({"model": "TwoLayerNet npz", "gradcheck": gradcheck, "class_agreement_with_numpy": agree,
                      "numpy_accuracy": float((numpy_classes == labels).mean())}))
    if agree < len(labels) - 5:   # float64 in numpy, float32 here: only near-ties may differ
        fail(f"TwoLayerNet npz: nn-predict and numpy disagree on {len(labels) - agree} images")

    # MultiLayerNetExtend(784, [40, 20], 10, use_batchnorm=True): params W1 b1 gamma1 beta1 W2 b2 gamma2 beta2 W3 b3,
    # the running averages saved too (they live in the book's BatchNormalization layers)
    sizes = [784, 40, 20, 10]
    extend = {}
    for k in range(1, 4):
        extend[f"W{k}"] = rng.randn(sizes[k - 1], sizes[k]) * np.sqrt(2.0 / sizes[k - 1])
        extend[f"b{k}"] = np.zeros(sizes[k])
        if k < 3:
            extend[f"gamma{k}"] = np.ones(sizes[k]) + 0.1 * rng.randn(sizes[k])
            extend[f"beta{k}"] = 0.1 * rng.randn(sizes[k])
            extend[f"running_mean{k}"] = 0.1 * rng.randn(sizes[k])
            extend[f"running_var{k}"] = 1 + 0.1 * rng.rand(sizes[k])
    path = os.path.join(work, "multi_layer_net_extend.npz")
    np.savez(path, **{k: v.astype(np.float32) for k, v in extend.items()})
    nnm = os.path.join(work, "multi_layer_net_extend.nnm")
    run("nn-model", "convert", path, "-o", nnm, "--activation", "relu")
    gradcheck = run("nn-gradcheck", "-m", nnm, "--data", DATA).stdout.strip().splitlines()[-1]
    print(json.dumps({"model": "MultiLayerNetExtend npz", "gradcheck": gradcheck}))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    scenario, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    fn = globals().get("scenario_" + scenario.replace("-", "_"))
    if fn is None:
        print(f"interchange.py: unknown scenario {scenario}", file=sys.stderr)
        sys.exit(2)
    fn(work)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
