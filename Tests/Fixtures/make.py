#!/usr/bin/env python3
"""make.py: writes the interchange fixtures the unit tests read (Tests/NNFormatsTests/ONNXTests.swift,
NPZTests.swift), so those tests run without Python. Needs numpy, onnx and onnxruntime; torch for
torch-mlp.onnx (kept as it is when torch is missing).

    python3 Tests/Fixtures/make.py

    twolayer-f8.npz      np.savez: the book's TwoLayerNet params for 4-3-2, float64, value = k / 8 - 1 ...
    compressed-f4.npz    np.savez_compressed: float32 arrays a (2, 3), scalar b (), empty c (0,)
    v2-header.npy        an .npy file with a version 2.0 header
    helper-mlp.onnx      onnx.helper: [N, 4] -> Div 2 -> Gemm (transB, alpha 0.5, beta 2) -> Relu -> MatMul + Add
                         -> Softmax
    torch-mlp.onnx       torch.onnx.export (TorchScript exporter, opset 13): [N, 1, 2, 2] -> Flatten -> Linear(4, 3)
                         -> BatchNorm1d(3) -> ReLU -> Dropout -> Linear(3, 2), logits
    torch-cnn.onnx       torch.onnx.export (TorchScript exporter, opset 13): [N, 1, 8, 8] -> Conv2d(1, 3, 3, padding 1)
                         -> BatchNorm2d(3) -> ReLU -> MaxPool2d(2) -> Conv2d(3, 4, 2, stride 2, padding 1) -> ReLU
                         -> AvgPool2d(2, stride 1) -> Flatten -> Linear(16, 5) -> ReLU -> Linear(5, 2), logits
    expected.json        inputs and onnxruntime's outputs for the ONNX files
"""
import json, os
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def main():
    k = lambda n: np.arange(n, dtype=np.float64)
    np.savez(path("twolayer-f8.npz"), W1=(k(12) / 8 - 1).reshape(4, 3), b1=k(3) / 4, W2=(1 - k(6) / 4).reshape(3, 2), b2=np.array([0.5, -0.5]))
    np.savez_compressed(path("compressed-f4.npz"), a=(k(6) * 1.5 - 2).astype(np.float32).reshape(2, 3),
                        b=np.array(3.25, dtype=np.float32), c=np.zeros(0, dtype=np.float32))
    with open(path("v2-header.npy"), "wb") as f:
        np.lib.format.write_array(f, np.array([[1.0, 2.0], [3.0, 4.0]]), version=(2, 0))

    rng = np.random.RandomState(5)
    w1 = rng.randn(3, 4).astype(np.float32)   # stored transposed: transB = 1
    c1 = rng.randn(3).astype(np.float32)
    w2 = rng.randn(3, 2).astype(np.float32)
    b2 = rng.randn(2).astype(np.float32)
    nodes = [helper.make_node("Div", ["x", "two"], ["s"], name="halve"),
             helper.make_node("Gemm", ["s", "w1", "c1"], ["h"], name="fc1", transB=1, alpha=0.5, beta=2.0),
             helper.make_node("Relu", ["h"], ["a"], name="relu"),
             helper.make_node("MatMul", ["a", "w2"], ["m"], name="fc2"),
             helper.make_node("Add", ["m", "b2"], ["z"], name="bias2"),
             helper.make_node("Softmax", ["z"], ["p"], name="softmax")]
    inits = [numpy_helper.from_array(np.array(2, dtype=np.float32), "two"), numpy_helper.from_array(w1, "w1"),
             numpy_helper.from_array(c1, "c1"), numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")]
    graph = helper.make_graph(nodes, "helper-mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path("helper-mlp.onnx"))

    inputs = rng.randn(5, 4).astype(np.float32) * 3
    expected = {"inputs": inputs.tolist()}
    expected["helper-mlp"] = ort.InferenceSession(path("helper-mlp.onnx")).run(None, {"x": inputs})[0].tolist()

    try:
        import torch, warnings
        torch.manual_seed(3)
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(),
                                  torch.nn.Dropout(0.5), torch.nn.Linear(3, 2))
        net.train()
        for _ in range(3):   # running statistics that are not 0 and 1
            net(torch.randn(16, 1, 2, 2) * 2 + 1)
        net.eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (torch.zeros(2, 1, 2, 2),), path("torch-mlp.onnx"), input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13, dynamo=False)
    except ImportError:
        print("make.py: torch is not installed; torch-mlp.onnx kept as it is")
    expected["torch-mlp"] = ort.InferenceSession(path("torch-mlp.onnx")).run(None, {"input": inputs.reshape(-1, 1, 2, 2)})[0].tolist()

    cnn_inputs = np.random.RandomState(6).randn(5, 64).astype(np.float32) * 3
    try:
        import torch, warnings
        torch.manual_seed(4)
        nn = torch.nn
        net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(3, 4, 2, stride=2, padding=1), nn.ReLU(), nn.AvgPool2d(2, stride=1), nn.Flatten(),
                            nn.Linear(16, 5), nn.ReLU(), nn.Linear(5, 2))
        net.train()
        for _ in range(3):   # running statistics that are not 0 and 1
            net(torch.randn(16, 1, 8, 8) * 2 + 1)
        net.eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (torch.zeros(2, 1, 8, 8),), path("torch-cnn.onnx"), input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13, dynamo=False)
    except ImportError:
        print("make.py: torch is not installed; torch-cnn.onnx kept as it is")
    onnx.checker.check_model(onnx.load(path("torch-cnn.onnx")), full_check=True)
    expected["torch-cnn-inputs"] = cnn_inputs.tolist()
    expected["torch-cnn"] = ort.InferenceSession(path("torch-cnn.onnx")).run(None, {"input": cnn_inputs.reshape(-1, 1, 8, 8)})[0].tolist()
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
