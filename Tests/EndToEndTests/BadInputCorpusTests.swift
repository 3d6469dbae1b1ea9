// BadInputCorpusTests.swift: the four tools against the committed corpus of bad inputs in Tests/BadInputs/
// (made by Tests/BadInputs/make.py). One table of cases; each says the command, the exit code, what the
// one error line must name, and how many lines stdout gets. For every case the test also checks that no
// file appeared or changed: neither in the case's working directory (which may hold a pre-existing output
// file) nor in the corpus.
//
// Cases that show a known bug run inside `withKnownIssue`: they pass while the bug is there and fail with
// "Known issue was not recorded" once it is fixed, so the fix only has to drop the `bug:` argument.
import Foundation
import Testing

/// One bad input and what a tool must do with it.
struct BadInputCase: CustomTestStringConvertible, Sendable {
    /// Shell command run in a fresh empty directory; `$IN` is Tests/BadInputs, `$T` the directory itself.
    var command: String
    /// Expected exit status.
    var exit: Int32
    /// Substrings the single error line must contain: the input's name and the problem.
    var mentions: [String]
    /// Lines expected on stdout (predictions of the good inputs next to a bad one).
    var stdoutLines = 0
    /// A usage error may add a second line, "Usage: ...".
    var usage = false
    /// Error lines expected on stderr: 1, or 0 when stderr itself cannot be written.
    var errorLines = 1
    /// Files created in the working directory before the run; they must keep their bytes.
    var existing: [String] = []
    /// A known bug, with where it is reported; the case then runs as a known issue.
    var bug: String? = nil

    var testDescription: String { command.replacingOccurrences(of: "$IN/", with: "") }
}

private let train = "nn-train --epochs 1 --threads 1"
private let tiny = "--train-images $IN/tiny-images.idx --train-labels $IN/tiny-labels.idx --layers 4-3-3"
private let eval = "nn-eval -m $IN/good.nnm"
private let evalData = "\(eval) --images $IN/good-images.idx --labels $IN/good-labels.idx"
private let predict = "nn-predict -m $IN/good.nnm"

enum BadInputCases {
    // MARK: data files: gzip, IDX header, sizes, labels
    static let data: [BadInputCase] = [
        .init(command: "\(eval) --images $IN/images-truncated.idx.gz --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-truncated.idx.gz", "truncated"]),
        .init(command: "\(eval) --images $IN/images-corrupt.idx.gz --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-corrupt.idx.gz", "corrupt gzip data"]),
        .init(command: "\(eval) --images $IN/images-bad-gzip-crc.idx.gz --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-bad-gzip-crc.idx.gz", "corrupt gzip data: incorrect data check"]),
        .init(command: "\(eval) --images $IN/images-garbage-after-gzip.idx.gz --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-garbage-after-gzip.idx.gz", "corrupt gzip data"]),
        .init(command: "\(eval) --images $IN/images-not-gzip.idx.gz --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-not-gzip.idx.gz", "corrupt gzip data"]),
        .init(command: "\(eval) --images $IN/images-4GiB-claim.idx.gz --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-4GiB-claim.idx.gz", "truncated"]),
        .init(command: "\(eval) --images $IN/good-images.idx --labels $IN/labels-4GB-claim.idx.gz", exit: 2,
              mentions: ["labels-4GB-claim.idx.gz", "truncated"]),  // found by fuzz/run.sh idx
        .init(command: "\(eval) --images $IN/images-bad-magic.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-bad-magic.idx", "not an IDX file"]),
        .init(command: "\(eval) --images $IN/images-unknown-type.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-unknown-type.idx", "unknown IDX element type"]),
        .init(command: "\(eval) --images $IN/images-int16.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-int16.idx", "unsigned bytes", "int16"]),
        .init(command: "\(eval) --images $IN/images-short.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-short.idx", "truncated", "15680", "15580"]),
        .init(command: "\(eval) --images $IN/images-long.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-long.idx", "5 bytes more"]),
        .init(command: "\(eval) --images $IN/images-1dim.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-1dim.idx", "at least 2 dimensions"]),
        .init(command: "\(eval) --images $IN/images-0dims.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-0dims.idx", "0 dimensions"]),
        .init(command: "\(eval) --images $IN/images-header-cut.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-header-cut.idx", "truncated IDX header"]),
        .init(command: "\(eval) --images $IN/images-empty.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-empty.idx", "0 bytes"]),
        .init(command: "\(eval) --images $IN/images-none.idx --labels $IN/labels-none.idx", exit: 2,
              mentions: ["images-none.idx", "no images"]),
        .init(command: "\(eval) --images $IN/nonexistent.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["nonexistent.idx", "No such file"]),
        .init(command: "\(eval) --images $IN --labels $IN/good-labels.idx", exit: 2,
              mentions: ["BadInputs", "is a directory"]),
        .init(command: "\(eval) --images $IN/good-images.idx --labels $IN/labels-19.idx", exit: 2,
              mentions: ["good-images.idx", "20 images", "labels-19.idx", "19 labels"]),
        .init(command: "\(eval) --images $IN/good-images.idx --labels $IN/labels-12-classes.idx", exit: 2,
              mentions: ["labels-12-classes.idx", "10 classes"]),
        .init(command: "\(eval) --images $IN/good-images.idx --labels $IN/labels-negative.idx", exit: 2,
              mentions: ["labels-negative.idx", "not a class index"]),
        .init(command: "\(eval) --images $IN/good-images.idx --labels $IN/labels-nan.idx", exit: 2,
              mentions: ["labels-nan.idx", "not a finite number"]),
        .init(command: "\(eval) --images $IN/good-images.idx --labels $IN/labels-2dim.idx", exit: 2,
              mentions: ["labels-2dim.idx", "1-dimensional"]),
        .init(command: "\(eval) --images $IN/tiny-images.idx --labels $IN/tiny-labels.idx", exit: 2,
              mentions: ["tiny-images.idx", "4 values", "784"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/images-corrupt.idx.gz --train-labels $IN/good-labels.idx --layers 784-4-10",
              exit: 2, mentions: ["images-corrupt.idx.gz", "corrupt gzip data"], existing: ["m.nnm"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/good-images.idx --train-labels $IN/labels-12-classes.idx --layers 784-4-10",
              exit: 2, mentions: ["labels-12-classes.idx", "10 classes"], existing: ["m.nnm"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/good-images.idx --train-labels $IN/labels-negative.idx --layers 784-4-10",
              exit: 2, mentions: ["labels-negative.idx", "not a class index"]),
        .init(command: "\(train) -o m.nnm \(tiny) --test-images $IN/images-short.idx --test-labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-short.idx", "truncated"]),
        .init(command: "\(train) -o m.nnm \(tiny) --test-images $IN/good-images.idx --test-labels $IN/good-labels.idx", exit: 2,
              mentions: ["good-images.idx", "784 values", "training samples 4"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/good-images.idx --train-labels $IN/good-labels.idx --layers 4-3-10", exit: 2,
              mentions: ["--layers", "4 inputs", "784 values"]),
        .init(command: "\(train) -o m.nnm --data $IN/not-a-directory.txt --layers 4-3-3", exit: 2,
              mentions: ["not-a-directory.txt", "is not a directory"]),
        .init(command: "nn-gradcheck --images $IN/good-images.idx --labels $IN/labels-12-classes.idx", exit: 2,
              mentions: ["labels-12-classes.idx", "10 classes"]),
        .init(command: "nn-gradcheck --images $IN/images-long.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["images-long.idx", "5 bytes more"]),
        .init(command: "nn-gradcheck --images $IN/tiny-images.idx --labels $IN/tiny-labels.idx", exit: 2,
              mentions: ["tiny-images.idx", "4 values", "784"]),
    ]

    // MARK: model files
    static let models: [BadInputCase] = [
        .init(command: "nn-eval -m $IN/model-bad-crc.nnm", exit: 2, mentions: ["model-bad-crc.nnm", "CRC mismatch in section 'HEAD'"]),
        .init(command: "nn-eval -m $IN/model-truncated.nnm", exit: 2, mentions: ["model-truncated.nnm", "truncated: section 'WGHT'"]),
        .init(command: "nn-eval -m $IN/model-v2.nnm", exit: 2,
              mentions: ["model-v2.nnm", "model format 2.0 is newer than this build reads (1.x)"]),
        .init(command: "nn-eval -m $IN/model-v0.nnm", exit: 2, mentions: ["model-v0.nnm", "0.9", "not a released version"]),
        .init(command: "nn-eval -m $IN/model-nan.nnm", exit: 2, mentions: ["model-nan.nnm", "tensor W2 has a non-finite value (nan) at index 3"]),
        .init(command: "nn-predict -m $IN/model-inf.nnm $IN/digit.png", exit: 2,
              mentions: ["model-inf.nnm", "tensor b1 has a non-finite value (inf) at index 0"]),
        .init(command: "nn-gradcheck -m $IN/model-sizes-disagree.nnm", exit: 2,
              mentions: ["model-sizes-disagree.nnm", "inconsistent sizes: tensor W1 is 784x5, the architecture needs 784x4"]),
        .init(command: "nn-eval -m $IN/model-input-shape.nnm", exit: 2, mentions: ["model-input-shape.nnm", "inconsistent sizes", "28x27"]),
        .init(command: "nn-predict -m $IN/model-unknown-required.nnm $IN/digit.png", exit: 2,
              mentions: ["model-unknown-required.nnm", "unknown required section 'QUUX'"]),
        .init(command: "nn-eval -m $IN/model-trailing.nnm", exit: 2, mentions: ["model-trailing.nnm", "12 bytes after the IEND section"]),
        .init(command: "nn-gradcheck -m $IN/model-no-iend.nnm", exit: 2, mentions: ["model-no-iend.nnm", "without an IEND section"]),
        .init(command: "nn-eval -m $IN/model-wrong-magic.nnm", exit: 2, mentions: ["model-wrong-magic.nnm", "not a model file"]),
        .init(command: "nn-predict -m $IN/model-text.nnm $IN/digit.png", exit: 2, mentions: ["model-text.nnm", "not a model file"]),
        .init(command: "nn-eval -m $IN/model-empty.nnm", exit: 2, mentions: ["model-empty.nnm", "empty file, not a model"]),
        .init(command: "nn-eval -m - < $IN/model-bad-crc.nnm", exit: 2, mentions: ["<stdin>", "CRC mismatch"]),
        .init(command: "nn-eval -m - < /dev/null", exit: 2, mentions: ["<stdin>", "empty file, not a model"]),
        .init(command: "nn-gradcheck -m - < /dev/null", exit: 2, mentions: ["<stdin>", "empty file, not a model"]),
        .init(command: "nn-eval -m $IN/nonexistent.nnm", exit: 2, mentions: ["nonexistent.nnm", "No such file"]),
    ]

    // MARK: PNG files (nn-predict exits 1 when an input fails, and goes on with the others)
    static let pngs: [BadInputCase] = [
        .init(command: "\(predict) $IN/png-not-a-png.png", exit: 1, mentions: ["png-not-a-png.png", "not a PNG file"]),
        .init(command: "\(predict) $IN/png-empty.png", exit: 1, mentions: ["png-empty.png", "not a PNG file (empty)"]),
        .init(command: "\(predict) $IN/png-0x0.png", exit: 1, mentions: ["png-0x0.png", "image is empty (0x0)"]),
        .init(command: "\(predict) $IN/png-30000x30000.png", exit: 1,
              mentions: ["png-30000x30000.png", "30000x30000", "over the limit of 40000000"]),
        .init(command: "\(predict) $IN/png-6000x6600-no-data.png", exit: 1,
              mentions: ["png-6000x6600-no-data.png", "Not enough image data"]),  // but it costs 370 MB first (fuzz/README.md)
        .init(command: "\(predict) --max-pixels 100 $IN/digit.png", exit: 1, mentions: ["digit.png", "28x28", "over the limit of 100"]),
        .init(command: "\(predict) $IN/png-truncated.png", exit: 1, mentions: ["png-truncated.png", "truncated or corrupt PNG"]),
        .init(command: "\(predict) $IN/png-bad-crc.png", exit: 1, mentions: ["png-bad-crc.png", "CRC error"]),
        .init(command: "\(predict) $IN/png-no-idat.png", exit: 1, mentions: ["png-no-idat.png", "truncated or corrupt PNG"]),
        .init(command: "\(predict) --no-normalize $IN/digit-1x1.png", exit: 1, mentions: ["digit-1x1.png", "1x1", "28x28"]),
        .init(command: "\(predict) $IN/nonexistent.png", exit: 1, mentions: ["nonexistent.png", "No such file"]),
        .init(command: "\(predict) $IN", exit: 1, mentions: ["BadInputs", "is a directory"]),
        .init(command: "\(predict) $IN/digit.png $IN/png-0x0.png $IN/digit-1x1.png", exit: 1,
              mentions: ["png-0x0.png", "image is empty"], stdoutLines: 2),
        .init(command: "printf '%s\\n' $IN/digit.png $IN/png-truncated.png | \(predict) -", exit: 1,
              mentions: ["png-truncated.png", "truncated or corrupt PNG"], stdoutLines: 1),
        // what libpng lets pass by default: each is refused naming the rule it breaks (probe F7)
        .init(command: "\(predict) $IN/png-no-iend.png", exit: 1,
              mentions: ["png-no-iend.png", "truncated or corrupt PNG: the file ends after chunk IDAT, without an IEND chunk"]),
        .init(command: "\(predict) $IN/png-iend-bad-crc.png", exit: 1, mentions: ["png-iend-bad-crc.png", "chunk IEND at byte 130: CRC error"]),
        .init(command: "\(predict) $IN/png-after-iend.png", exit: 1, mentions: ["png-after-iend.png", "3 bytes after the IEND chunk"]),
        .init(command: "\(predict) $IN/png-iend-with-data.png", exit: 1,
              mentions: ["png-iend-with-data.png", "IEND holds 4 bytes of data (it must be empty)"]),
        .init(command: "\(predict) $IN/png-ancillary-bad-crc.png", exit: 1, mentions: ["png-ancillary-bad-crc.png", "chunk tEXt at byte 33: CRC error"]),
        .init(command: "\(predict) $IN/png-bad-adler.png", exit: 1, mentions: ["png-bad-adler.png", "IDAT: incorrect data check"]),
        .init(command: "\(predict) $IN/png-zlib-trailing.png", exit: 1, mentions: ["png-zlib-trailing.png", "IDAT: Extra compressed data"]),
        .init(command: "\(predict) $IN/png-data-long.png", exit: 1, mentions: ["png-data-long.png", "IDAT: Too much image data"]),
        .init(command: "\(predict) $IN/png-1x1-16MiB-data.png", exit: 1,
              mentions: ["png-1x1-16MiB-data.png", "the compressed image data goes on for 8124 bytes after the image's last row"]),
        .init(command: "\(predict) $IN/png-palette-index.png", exit: 1,
              mentions: ["png-palette-index.png", "palette index 200 in row 0, the palette has 2 entries"]),
        .init(command: "\(predict) $IN/png-gray-with-plte.png", exit: 1,
              mentions: ["png-gray-with-plte.png", "a PLTE chunk in a gray image (colour type 0)"]),
        .init(command: "\(predict) $IN/png-trns-wrong-length.png", exit: 1,
              mentions: ["png-trns-wrong-length.png", "tRNS of a gray image holds 1 bytes, not 2"]),
        .init(command: "\(predict) $IN/png-rgba-with-trns.png", exit: 1,
              mentions: ["png-rgba-with-trns.png", "a tRNS chunk in an image with an alpha channel (colour type 6)"]),
        .init(command: "\(predict) $IN/digit.png $IN/png-bad-adler.png $IN/png-good-variants.png", exit: 1,
              mentions: ["png-bad-adler.png", "incorrect data check"], stdoutLines: 2),
        // `-` with a PNG on stdin is that picture, named <stdin> (probe F10); non-UTF-8 path lines are shown escaped
        .init(command: "\(predict) - < $IN/png-no-iend.png", exit: 1, mentions: ["nn-predict: <stdin>: ", "without an IEND chunk"]),
        .init(command: "printf 'a\\211b.png\\n' | \(predict) -", exit: 1,
              mentions: ["nn-predict: a\\x89b.png: not UTF-8 text, so not a path this tool can open"]),
        // a model that can take no picture is the problem, said once naming it, before any picture (probe F12)
        .init(command: "nn-predict -m $IN/model-flat-784.nnm $IN/digit.png $IN/digit-1x1.png", exit: 2,
              mentions: ["nn-predict: ", "model-flat-784.nnm: the model takes 784 inputs, not the 28x28 images its PNG recipe makes"]),
        .init(command: "nn-predict -m $IN/model-flat-784.nnm --no-normalize $IN/digit.png", exit: 2,
              mentions: ["model-flat-784.nnm: the model takes 784 inputs, not images (HxW or 1xHxW)"]),
        .init(command: "\(predict) --images $IN/images-truncated.idx.gz", exit: 2, mentions: ["images-truncated.idx.gz", "truncated"]),
        .init(command: "\(predict) --images $IN/tiny-images.idx", exit: 2, mentions: ["tiny-images.idx", "2x2", "28x28"]),
        .init(command: "\(predict) --save-normalized $IN/not-a-directory.txt $IN/digit.png", exit: 2,
              mentions: ["not-a-directory.txt", "existing directory"]),
    ]

    // MARK: ONNX and .npz files (nn-model)
    static let interchange: [BadInputCase] = [
        .init(command: "nn-model convert $IN/onnx-truncated.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-truncated.onnx", "truncated or corrupt protobuf", "runs past the end"], existing: ["m.nnm"]),
        .init(command: "nn-model convert $IN/onnx-empty.onnx -o m.nnm", exit: 2, mentions: ["onnx-empty.onnx", "empty file"]),
        .init(command: "nn-model convert $IN/onnx-tensor-exceeds-file.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-tensor-exceeds-file.onnx", "tensor 'W1' declares dims 100000x784", "holds 64 bytes"]),
        .init(command: "nn-model convert $IN/onnx-dims-2pow40.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-dims-2pow40.onnx", "tensor 'W1'", "1099511627776x784", "more than the 268435456 elements"]),
        .init(command: "nn-model info $IN/onnx-dims-2pow40.onnx", exit: 2, mentions: ["onnx-dims-2pow40.onnx", "tensor 'W1'"]),
        .init(command: "nn-model convert $IN/onnx-unknown-data-type.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-unknown-data-type.onnx", "tensor 'W1' has data type an unknown code (999)"]),
        .init(command: "nn-model convert $IN/onnx-external-data.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-external-data.onnx", "tensor 'W1' keeps its data in an external file ('weights.bin')"]),
        .init(command: "nn-model convert $IN/onnx-unsupported-op.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-unsupported-op.onnx", "node 'fc1' (ConvTranspose): operator not supported"], existing: ["m.nnm"]),
        // convolutional graphs (good-conv.onnx with one fault each)
        .init(command: "nn-model convert $IN/onnx-conv-kernel-vs-weight.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-conv-kernel-vs-weight.onnx", "node 'conv1' (Conv)", "kernel_shape [5, 5] disagrees with weight 'CW1' of shape [2, 1, 3, 3]"],
              existing: ["m.nnm"]),
        .init(command: "nn-model convert $IN/onnx-conv-dims-2pow40.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-conv-dims-2pow40.onnx", "tensor 'CW1'", "2x1x1099511627776x3", "more than the 268435456 elements"]),
        .init(command: "nn-model convert $IN/onnx-conv-negative-pads.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-conv-negative-pads.onnx", "node 'conv1' (Conv)", "pads [-1, -1, -1, -1]"]),
        .init(command: "nn-model convert $IN/onnx-conv-zero-strides.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-conv-zero-strides.onnx", "node 'conv1' (Conv)", "strides [0, 0]"], existing: ["m.nnm"]),
        .init(command: "nn-model convert $IN/onnx-conv-asymmetric-pads.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-conv-asymmetric-pads.onnx", "node 'conv1' (Conv)", "pads [0, 0, 1, 1] are asymmetric"]),
        .init(command: "nn-model convert $IN/onnx-conv-group.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-conv-group.onnx", "node 'conv1' (Conv)", "group = 2"]),
        .init(command: "nn-model convert $IN/onnx-conv-dilations.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-conv-dilations.onnx", "node 'conv1' (Conv)", "dilations [2, 2]"]),
        .init(command: "nn-model convert $IN/onnx-pool-2pow40-window.onnx -o - --to nnm", exit: 2,
              mentions: ["onnx-pool-2pow40-window.onnx", "node 'pool1' (MaxPool)", "kernel_shape [1099511627776, 1099511627776]"]),
        .init(command: "nn-model convert $IN/onnx-pool-ceil-mode.onnx -o m.nnm", exit: 2,
              mentions: ["onnx-pool-ceil-mode.onnx", "node 'pool1' (MaxPool)", "ceil_mode = 1"]),
        .init(command: "nn-model convert - --from onnx -o m.nnm < $IN/onnx-truncated.onnx", exit: 2,
              mentions: ["<stdin>", "truncated or corrupt protobuf"]),
        .init(command: "nn-model convert $IN/npz-zip-bomb.npz -o m.nnm --activation relu", exit: 2,
              mentions: ["npz-zip-bomb.npz", "member 'W1.npy'", "shape (3, 2)", "declares 20000176"]),
        .init(command: "nn-model convert $IN/npz-inflates-past-size.npz -o m.nnm --activation relu", exit: 2,
              mentions: ["npz-inflates-past-size.npz", "member 'W1.npy'", "inflates to more than its declared 176 bytes"]),
        .init(command: "nn-model convert $IN/npz-size-lie.npz -o m.nnm --activation relu", exit: 2,
              mentions: ["npz-size-lie.npz", "member 'W1.npy'", "declares 2147483648 bytes"]),
        .init(command: "nn-model convert $IN/npy-bad-dtype.npz -o m.nnm --activation relu", exit: 2,
              mentions: ["npy-bad-dtype.npz", "member 'W1.npy'", "dtype '>f8' is not supported"]),
        .init(command: "nn-model convert $IN/npy-bad-header.npz -o m.nnm --activation relu", exit: 2,
              mentions: ["npy-bad-header.npz", "member 'W1.npy'", "bad .npy header", "'extra'"], existing: ["m.nnm"]),
        .init(command: "nn-model convert $IN/npz-truncated.npz -o m.nnm --activation relu", exit: 2,
              mentions: ["npz-truncated.npz", "no zip end-of-directory record"]),
        .init(command: "nn-model info $IN/npz-zip-bomb.npz", exit: 2, mentions: ["npz-zip-bomb.npz", "member 'W1.npy'"]),
        // every shape mismatch, one line each
        .init(command: "nn-model convert $IN/npz-shapes-disagree.npz -o m.nnm --activation relu", exit: 2,
              mentions: ["npz-shapes-disagree.npz"], errorLines: 2),
        .init(command: "nn-model convert $IN/good.npz -o m.nnm", exit: 2, mentions: ["--activation"]),
        .init(command: "nn-model convert $IN/good.nnm -o m.nnm --activation relu", exit: 2, mentions: ["--activation is for .npz input"]),
        .init(command: "nn-model convert $IN/good.nnm -o -", exit: 2, mentions: ["writing stdout needs --to"]),
        .init(command: "nn-model convert $IN/good.nnm -o m.npz", exit: 2, mentions: ["m.npz", "writing .npz is not supported"]),
        .init(command: "nn-model convert $IN/good.nnm -o m.bin", exit: 2, mentions: ["m.bin", "--to"]),
        // the output rules of every tool (RunFiles): the output is never the input, by any name
        .init(command: "nn-model convert m.nnm -o ./m.nnm", exit: 2, mentions: ["-o ./m.nnm", "is also the input"], existing: ["m.nnm"]),
        .init(command: "nn-model convert m.nnm -o m.nnm", exit: 2, mentions: ["-o m.nnm", "is also the input"], existing: ["m.nnm"]),
        .init(command: "nn-model info m.nnm >> m.nnm", exit: 2, mentions: ["the report (stdout)", "is also the input the argument"],
              existing: ["m.nnm"]),
        .init(command: "cat $IN/good.nnm | nn-model convert $IN/good.onnx -o /dev/stdin --to nnm", exit: 2,
              mentions: ["-o /dev/stdin", "is also the input standard input"]),
        .init(command: "nn-model convert $IN/good.nnm -o '' --to onnx", exit: 2, mentions: ["-o", "empty path"]),
        .init(command: "nn-model convert $IN/model-bad-crc.nnm -o m.onnx", exit: 2, mentions: ["model-bad-crc.nnm", "CRC mismatch"]),
        .init(command: "nn-model convert $IN/good.onnx -o m.nnm --input-scale 0", exit: 2, mentions: ["--input-scale"]),
        .init(command: "nn-model convert $IN/good.onnx -o m.nnm --input-scale 1/255", exit: 2,
              mentions: ["good.onnx", "scales its input already", "scale_input"]),
        .init(command: "nn-model convert $IN/good.onnx -o $IN/not-a-directory.txt/m.nnm", exit: 2,
              mentions: ["not-a-directory.txt/m.nnm", "Not a directory"]),
        .init(command: "nn-model convert $IN/good.onnx -o - --to nnm > /dev/full", exit: 2, mentions: ["No space left on device"]),
        .init(command: "nn-model info $IN/model-text.nnm", exit: 2, mentions: ["model-text.nnm", "not a model file (.nnm), an ONNX model or an .npz archive"]),
        .init(command: "nn-model --bogus", exit: 2, mentions: ["nn-model", "--bogus"], usage: true),
    ]

    // MARK: usage errors
    static let usage: [BadInputCase] = [
        .init(command: "nn-train --bogus", exit: 2, mentions: ["nn-train", "--bogus"], usage: true),
        .init(command: "nn-eval --bogus", exit: 2, mentions: ["nn-eval", "--bogus"], usage: true),
        .init(command: "nn-predict --bogus $IN/digit.png", exit: 2, mentions: ["nn-predict", "--bogus"], usage: true),
        .init(command: "nn-gradcheck --bogus", exit: 2, mentions: ["nn-gradcheck", "--bogus"], usage: true),
        .init(command: "nn-eval -m $IN/good.nnm --format xml", exit: 2, mentions: ["xml", "--format"]),   // a bad value: one line naming it, no usage line
        .init(command: "\(predict)", exit: 2, mentions: ["no input"]),
        .init(command: "\(predict) --top-k 0 $IN/digit.png", exit: 2, mentions: ["--top-k"]),
        .init(command: "nn-eval --images $IN/good-images.idx", exit: 2, mentions: ["--images and --labels go together"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/tiny-images.idx --layers 4-3-3", exit: 2,
              mentions: ["--train-images and --train-labels go together"]),
        .init(command: "\(train) -o m.nnm \(tiny) --epochs 0", exit: 2, mentions: ["--epochs"], existing: ["m.nnm"]),
        .init(command: "nn-gradcheck --layers 784-x-10", exit: 2, mentions: ["--layers", "784-x-10"]),
        .init(command: "nn-gradcheck --samples 0", exit: 2, mentions: ["--samples"]),
        // a negative number as the next word reaches the option's rule (one line naming flag and value)
        .init(command: "\(train) -o m.nnm \(tiny) --epochs -1", exit: 2, mentions: ["--epochs", "-1"], existing: ["m.nnm"]),
        .init(command: "\(evalData) --batch-size -inf", exit: 2, mentions: ["--batch-size", "-inf"]),
        // options that would be silently ignored
        .init(command: "nn-gradcheck -m $IN/good.nnm --layers 4-3-3", exit: 2, mentions: ["-m", "--layers"]),
        .init(command: "nn-gradcheck --layers 4-3-3 --positive-class 1", exit: 2, mentions: ["--positive-class", "yes/no"]),
        .init(command: "nn-gradcheck --layers 4-3-1 --loss sigmoid-bce --positive-class 9223372036854775807", exit: 2,
              mentions: ["--positive-class", "9223372036854775807"]),
        .init(command: "nn-gradcheck -m $IN/good.nnm --images $IN/good-images.idx --labels $IN/good-labels.idx --samples 21", exit: 2,
              mentions: ["good-images.idx", "only 20 samples", "--samples 21"]),
        .init(command: "\(train) -o m.nnm \(tiny) --augment-flip 0.5", exit: 2, mentions: ["--augment-flip", "--augment"], existing: ["m.nnm"]),
        .init(command: "\(evalData) --errors-per-class 5", exit: 2, mentions: ["--errors-per-class", "--errors"]),
    ]

    // MARK: output that cannot be written
    static let output: [BadInputCase] = [
        .init(command: "\(train) \(tiny) -o $IN/not-a-directory.txt/m.nnm", exit: 2,
              mentions: ["not-a-directory.txt/m.nnm", "Not a directory"]),
        .init(command: "\(train) \(tiny) -o /proc/nope/m.nnm", exit: 2, mentions: ["/proc/nope/m.nnm", "No such file or directory"]),
        .init(command: "mkdir out && \(train) \(tiny) -o out", exit: 2, mentions: ["out: is a directory"]),
        .init(command: "nn-eval -m $IN/model-nan.nnm 2> /dev/full", exit: 2, mentions: [], errorLines: 0),
        .init(command: "\(train) \(tiny) -o - > /dev/full", exit: 2, mentions: ["stdout", "No space left on device"]),
        .init(command: "\(train) \(tiny) --metrics metrics.jsonl -o $IN/not-a-directory.txt/m.nnm", exit: 2,
              mentions: ["not-a-directory.txt/m.nnm", "Not a directory"]),
        .init(command: "\(evalData) > /dev/full", exit: 2, mentions: ["No space left on device"]),
        .init(command: "\(predict) $IN/digit.png > /dev/full", exit: 2, mentions: ["No space left on device"]),
        .init(command: "nn-gradcheck --layers 4-3-2 > /dev/full", exit: 2, mentions: ["No space left on device"]),
    ]

    // MARK: hostile input (issue 14): one case per bug class the probe found
    static let hostile: [BadInputCase] = [
        // sizes from files and flags: overflow and unbounded claims
        .init(command: "nn-gradcheck --samples 9223372036854775807", exit: 2, mentions: ["--samples", "1 to 10000", "9223372036854775807"]),
        .init(command: "\(eval) --images $IN/good-images.idx --labels $IN/labels-1e30.idx", exit: 2, mentions: ["labels-1e30.idx", "10 classes"]),
        .init(command: "\(eval) --images $IN/images-item-overflow.idx --labels $IN/labels-none.idx", exit: 2,
              mentions: ["images-item-overflow.idx", "4294967295x4294967295", "overflows"]),
        .init(command: "\(predict) --images $IN/images-item-overflow.idx", exit: 2, mentions: ["images-item-overflow.idx", "overflows"]),
        .init(command: "nn-eval -m $IN/model-input-overflow.nnm", exit: 2,
              mentions: ["model-input-overflow.nnm", "inconsistent sizes", "4294967295x4294967295x4294967295"]),
        // the recipe's images cannot be the model's input: the model is at fault, not the picture
        .init(command: "nn-predict -m $IN/model-recipe-1e300.nnm $IN/digit.png", exit: 2,
              mentions: ["model-recipe-1e300.nnm", "the model takes 28x28 inputs, not the 4096x4096 images its PNG recipe makes"]),
        .init(command: "nn-eval -m /dev/zero", exit: 2, mentions: ["/dev/zero", "not a model file"]),
        .init(command: "\(predict) /dev/zero", exit: 1, mentions: ["/dev/zero", "not a PNG file"]),
        .init(command: "\(predict) - < /dev/zero", exit: 2, mentions: ["<stdin>", "longer than 4096 bytes"]),
        .init(command: "\(train) -o m.nnm --train-images /dev/zero --train-labels $IN/tiny-labels.idx --layers 4-3-3", exit: 2,
              mentions: ["/dev/zero", "IDX element type"]),
        .init(command: "\(eval) --images /dev/urandom --labels $IN/good-labels.idx", exit: 2, mentions: ["/dev/urandom"]),
        // outputs that would destroy inputs, or each other
        .init(command: "\(train) \(tiny) -o $IN/tiny-images.idx", exit: 2, mentions: ["tiny-images.idx", "is also the input --train-images"]),
        .init(command: "\(train) \(tiny) -o m.nnm --metrics ./m.nnm", exit: 2, mentions: ["-o m.nnm and --metrics ./m.nnm", "same file"],
              existing: ["m.nnm"]),
        .init(command: "\(train) \(tiny) -o - --metrics -", exit: 2, mentions: ["-o - and --metrics -", "standard output"]),
        .init(command: "\(evalData) --confusion /dev/stdout", exit: 2, mentions: ["--confusion /dev/stdout", "standard output"]),
        .init(command: "\(evalData) -o $IN/good-labels.idx", exit: 2, mentions: ["good-labels.idx", "is also the input --labels"]),
        .init(command: "cat $IN/good.nnm | nn-predict -m - -", exit: 2, mentions: ["-m - and the argument -", "standard input"]),
        .init(command: "cat $IN/good.nnm | nn-eval -m - --images - --labels $IN/good-labels.idx", exit: 2,
              mentions: ["-m - and --images -", "standard input"]),
        // all or nothing in nn-eval
        .init(command: "\(evalData) --confusion c.svg --errors nodir/e.png", exit: 2, mentions: ["nodir/e.png", "No such file"],
              existing: ["c.svg"]),
        .init(command: "\(evalData) --confusion c.svg --errors e.png > /dev/full", exit: 2, mentions: ["stdout", "No space left on device"],
              existing: ["c.svg"]),
        // option values
        .init(command: "\(predict) --threads 0 $IN/digit.png", exit: 2, mentions: ["--threads", "1 to 256", "0"]),
        .init(command: "\(predict) --threads=-1 $IN/digit.png", exit: 2, mentions: ["--threads", "1 to 256", "-1"]),
        .init(command: "nn-eval --batch-size 9223372036854775807", exit: 2, mentions: ["--batch-size", "1 to 65536"]),
        .init(command: "nn-gradcheck --rtol nan", exit: 2, mentions: ["--rtol", "(0, 1]", "nan"]),
        .init(command: "\(train) -o m.nnm \(tiny) --augment-rotation inf", exit: 2, mentions: ["--augment-rotation", "[0, 180]", "inf"]),
        .init(command: "\(train) -o m.nnm \(tiny) --learning-rate 1e300", exit: 2, mentions: ["--learning-rate", "(0, 10]"]),
        .init(command: "\(train) -o m.nnm \(tiny) --validation-split 1", exit: 2, mentions: ["--validation-split", "[0, 1)"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/good-images.idx --train-labels $IN/good-labels.idx --layers 784-3-10 --augment --augment-shift 30",
              exit: 2, mentions: ["--augment-shift", "28x28", "30"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/tiny-images.idx --train-labels $IN/tiny-labels.idx --layers 4-1 --loss sigmoid-bce --positive-class=-5",
              exit: 2, mentions: ["--positive-class", "a label from 0", "-5"]),
        .init(command: "\(train) -o m.nnm --train-images $IN/tiny-images.idx --train-labels $IN/tiny-labels.idx --layers 4-1 --loss sigmoid-bce --positive-class 7",
              exit: 2, mentions: ["tiny-labels.idx", "--positive-class 7", "labels here: 0-2"]),
        .init(command: "\(train) -o m.nnm \(tiny) --positive-class 1", exit: 2, mentions: ["--positive-class", "sigmoid-bce with 1 output"]),
        // output that a path can break: the error line stays one line
        .init(command: "\(predict) \"$(printf 'no\\nsuch.png')\"", exit: 1, mentions: ["no\\nsuch.png", "No such file"]),
        .init(command: "\(predict) \"$(printf 'a\\tb.png')\"", exit: 1, mentions: ["a\\tb.png", "No such file"]),
        // silent nonsense
        .init(command: "nn-predict -m $IN/model-huge-weights.nnm $IN/digit.png", exit: 2,
              mentions: ["model-huge-weights.nnm", "digit.png", "not a number"]),
        .init(command: "nn-eval -m $IN/model-huge-weights.nnm --images $IN/good-images.idx --labels $IN/good-labels.idx", exit: 2,
              mentions: ["model-huge-weights.nnm", "not a number"]),
        .init(command: "\(predict) --images $IN/images-none.idx", exit: 2, mentions: ["images-none.idx", "no images"]),
        .init(command: "nn-predict -m $IN/model-mse.nnm --top-k 3 $IN/digit.png", exit: 2, mentions: ["--top-k", "regression"]),
    ]

    // MARK: checkpoints (issue 14): crafted by make.py with correct CRCs, one bad section or field each.
    // The run's own directory does not exist, so each case names its data beside --resume (which must be
    // the recorded files); its outputs are /dev/null.
    static func resume(_ name: String, _ extra: String = "") -> String {
        "nn-train --threads 1 --resume $IN/\(name) --train-images $IN/tiny-images.idx --train-labels $IN/tiny-labels.idx" + extra
    }
    static let checkpoints: [BadInputCase] = [
        // framing and format
        .init(command: resume("ckpt-old-format.ckpt"), exit: 2, mentions: ["ckpt-old-format.ckpt", "earlier nn-train", "section ckpt"]),
        .init(command: resume("good.nnm"), exit: 2, mentions: ["good.nnm", "not a checkpoint"]),
        .init(command: resume("ckpt-no-opts.ckpt"), exit: 2, mentions: ["ckpt-no-opts.ckpt", "section 'opts' is missing"]),
        .init(command: resume("ckpt-bad-crc.ckpt"), exit: 2, mentions: ["ckpt-bad-crc.ckpt", "CRC mismatch in section 'conf'"]),
        .init(command: resume("model-truncated.nnm"), exit: 2, mentions: ["model-truncated.nnm", "truncated"]),
        // fields: type, presence, names
        .init(command: resume("ckpt-epochs-as-text.ckpt"), exit: 2, mentions: ["ckpt-epochs-as-text.ckpt", "field epochs", "type text, expected int"]),
        .init(command: resume("ckpt-no-seed.ckpt"), exit: 2, mentions: ["ckpt-no-seed.ckpt", "field seed: missing"]),
        .init(command: resume("ckpt-duplicate-field.ckpt"), exit: 2, mentions: ["ckpt-duplicate-field.ckpt", "field epochs: appears twice"]),
        .init(command: resume("ckpt-unknown-field.ckpt"), exit: 2, mentions: ["ckpt-unknown-field.ckpt", "unknown field 'colour'"]),
        .init(command: resume("ckpt-field-past-end.ckpt"), exit: 2, mentions: ["ckpt-field-past-end.ckpt", "section conf", "past the section's end"]),
        .init(command: resume("ckpt-directory-relative.ckpt"), exit: 2, mentions: ["ckpt-directory-relative.ckpt", "field directory", "not an absolute path"]),
        .init(command: resume("ckpt-digest-short.ckpt"), exit: 2, mentions: ["ckpt-digest-short.ckpt", "field data.train-images.sha256", "16 bytes"]),
        // a checkpoint can never make nn-train print --help or exit 0 without training
        .init(command: resume("ckpt-optimizer-help.ckpt"), exit: 2, mentions: ["ckpt-optimizer-help.ckpt", "field optimizer", "'--help'"]),
        // settings out of their options' ranges, or not the network held
        .init(command: resume("ckpt-epochs-zero.ckpt"), exit: 2, mentions: ["ckpt-epochs-zero.ckpt", "field epochs", "1 to 100000, not 0"]),
        .init(command: resume("ckpt-batch-size-zero.ckpt"), exit: 2, mentions: ["ckpt-batch-size-zero.ckpt", "field batch-size", "not 0"]),
        .init(command: resume("ckpt-learning-rate-nan.ckpt"), exit: 2, mentions: ["ckpt-learning-rate-nan.ckpt", "field learning-rate", "nan"]),
        .init(command: resume("ckpt-network-differs.ckpt"), exit: 2, mentions: ["ckpt-network-differs.ckpt", "section conf", "layers", "4-5-3", "4-3-3"]),
        // progress out of range
        .init(command: resume("ckpt-position-negative.ckpt"), exit: 2, mentions: ["ckpt-position-negative.ckpt", "field position", "-10 is negative"]),
        .init(command: resume("ckpt-position-not-batch.ckpt"), exit: 2, mentions: ["ckpt-position-not-batch.ckpt", "field position", "batch size 10"]),
        .init(command: resume("ckpt-position-past-data.ckpt"), exit: 2, mentions: ["ckpt-position-past-data.ckpt", "field position", "1000", "the training set has 40 samples"]),
        .init(command: resume("ckpt-epoch-negative.ckpt"), exit: 2, mentions: ["ckpt-epoch-negative.ckpt", "field epoch", "-1"]),
        .init(command: resume("ckpt-epoch-past-end.ckpt"), exit: 2, mentions: ["ckpt-epoch-past-end.ckpt", "field epoch", "past the run's 2 epochs"]),
        .init(command: resume("ckpt-seen-mismatch.ckpt"), exit: 2, mentions: ["ckpt-seen-mismatch.ckpt", "field seen"]),
        .init(command: resume("ckpt-loss-sum-nan.ckpt"), exit: 2, mentions: ["ckpt-loss-sum-nan.ckpt", "field loss-sum"]),
        .init(command: resume("ckpt-history-count.ckpt"), exit: 2, mentions: ["ckpt-history-count.ckpt", "section hist"]),
        .init(command: resume("ckpt-best-wrong-shape.ckpt"), exit: 2, mentions: ["ckpt-best-wrong-shape.ckpt", "section best", "W1 is 3x4", "4x3"]),
        .init(command: resume("ckpt-opts-wrong-size.ckpt"), exit: 2, mentions: ["ckpt-opts-wrong-size.ckpt", "section opts", "W1: 11 values", "12"]),
        .init(command: resume("ckpt-opts-one-slot.ckpt"), exit: 2, mentions: ["ckpt-opts-one-slot.ckpt", "section opts", "adam keeps 2"]),
        .init(command: resume("ckpt-opts-step.ckpt"), exit: 2, mentions: ["ckpt-opts-step.ckpt", "section opts", "step 7", "is step 2"]),
        .init(command: resume("ckpt-rng-zero.ckpt"), exit: 2, mentions: ["ckpt-rng-zero.ckpt", "field rng", "all-zero"]),
        .init(command: resume("ckpt-rng-short.ckpt"), exit: 2, mentions: ["ckpt-rng-short.ckpt", "field rng", "24 bytes"]),
        .init(command: resume("ckpt-rng-dropout.ckpt"), exit: 2, mentions: ["ckpt-rng-dropout.ckpt", "field rng.dropout", "0 dropout layers"]),
        .init(command: resume("ckpt-rng-no-epoch-start.ckpt"), exit: 2, mentions: ["ckpt-rng-no-epoch-start.ckpt", "field rng.epoch-start"]),
        // other data, the run's data missing, flags that disagree with the run
        .init(command: "nn-train --threads 1 --resume $IN/ckpt-good.ckpt --train-images $IN/good-images.idx --train-labels $IN/good-labels.idx",
              exit: 2, mentions: ["ckpt-good.ckpt", "field data.train-images", "good-images.idx is not the file the run trained on"]),
        .init(command: resume("ckpt-good.ckpt", " --test-images $IN/tiny-images.idx --test-labels $IN/tiny-labels.idx"), exit: 2,
              mentions: ["ckpt-good.ckpt", "field data.test-images", "the run had none"]),
        .init(command: "nn-train --resume $IN/ckpt-good.ckpt", exit: 2,
              mentions: ["ckpt-good.ckpt", "field data.train-images.path", "/nonexistent-nn-toolkit-corpus/tiny-images.idx", "No such file"]),
        .init(command: resume("ckpt-good.ckpt", " --epochs 1"), exit: 2, mentions: ["ckpt-good.ckpt", "--epochs 1 disagrees", "epochs 2"]),
        .init(command: resume("ckpt-good.ckpt", " --layers 4-5-3"), exit: 2, mentions: ["ckpt-good.ckpt", "--layers 4-5-3 disagrees", "4-3-3"]),
        .init(command: resume("ckpt-good.ckpt", " --activation tanh"), exit: 2, mentions: ["ckpt-good.ckpt", "--activation tanh disagrees"]),
        .init(command: resume("ckpt-good.ckpt", " --lr-schedule cosine"), exit: 2, mentions: ["ckpt-good.ckpt", "--lr-schedule cosine disagrees"]),
        .init(command: resume("ckpt-good.ckpt", " --augment"), exit: 2, mentions: ["ckpt-good.ckpt", "--augment"]),
        .init(command: resume("ckpt-good.ckpt", " -o m.nnm --checkpoint $IN/tiny-images.idx"), exit: 2,
              mentions: ["--checkpoint", "tiny-images.idx", "is also the input --train-images"]),
    ]

    static let all = data + models + pngs + interchange + usage + output + hostile + checkpoints

    /// Good inputs next to the bad ones: they must work, so each bad case fails for its own reason.
    static let controls: [(command: String, stdoutLines: Int?)] = [
        ("\(evalData)", nil),
        ("\(eval) --images $IN/good-images.idx.gz --labels $IN/good-labels.idx --format json", 1),
        ("\(predict) $IN/digit.png", 1),
        ("\(predict) $IN/digit-1x1.png", 1),  // a 1x1 picture is a valid (blank) digit
        ("\(predict) $IN/png-plte-too-big.png", 1),  // a palette longer than 1 bit indexes: the extra entry is never used
        ("\(predict) - < /dev/null", 0),  // no paths on stdin: nothing to do, not an error
        ("\(predict) - < $IN/digit.png | grep -qx '<stdin>.8.0.1052' && \(predict) $IN/digit.png - $IN/digit-1x1.png < $IN/png-good-variants.png", 3),
        ("\(predict) $IN/png-good-variants.png", 1),  // APNG and unknown chunks, text after the data, empty IDATs
        ("\(predict) --images $IN/good-images.idx", 20),
        ("nn-gradcheck -m $IN/good.nnm --images $IN/good-images.idx --labels $IN/good-labels.idx --samples 2 --coordinates 3", nil),
        ("nn-gradcheck -m $IN/good.nnm --samples 2 --coordinates 3 --atol -0", nil),   // -0 is in [0, 1]
        ("\(train) \(tiny) -o m.nnm", 0),
        ("nn-model convert $IN/good.onnx -o m.nnm && \(eval.replacingOccurrences(of: "$IN/good.nnm", with: "m.nnm")) --images $IN/good-images.idx --labels $IN/good-labels.idx", nil),
        ("nn-model convert $IN/good-conv.onnx -o m.nnm && nn-model convert m.nnm -o m.onnx && nn-model convert m.onnx -o m2.nnm && cmp m.nnm m2.nnm && \(eval.replacingOccurrences(of: "$IN/good.nnm", with: "m2.nnm")) --images $IN/good-images.idx --labels $IN/good-labels.idx", nil),
        ("nn-model convert $IN/good.npz -o m.nnm --activation relu && nn-gradcheck -m m.nnm --images $IN/good-images.idx --labels $IN/good-labels.idx --samples 2 --coordinates 3", nil),
        ("nn-model convert $IN/good.nnm -o m.onnx && nn-model info m.onnx --format json", 1),
        ("nn-model info $IN/good.npz", nil),
        // issue 14: what a regression or multi-label model prints; outputs on devices
        ("nn-predict -m $IN/model-mse.nnm --header $IN/digit.png", 2),
        ("nn-predict -m $IN/model-multilabel.nnm --top-k 3 $IN/digit.png", 1),
        ("\(evalData) --confusion /dev/null --errors /dev/null -o /dev/null", 0),
        ("\(train) \(tiny) -o /dev/null --metrics /dev/null", 0),
        // the corpus checkpoint resumes (to /dev/null), also with more epochs, its own values and another output
        (resume("ckpt-good.ckpt"), 0),
        (resume("ckpt-good.ckpt", " --epochs 3 --layers 4-3-3 --optimizer adam --seed 1 -o m.nnm") + " && nn-eval -m m.nnm --images $IN/tiny-images.idx --labels $IN/tiny-labels.idx --format json", 1),
        // nn-model writes a device in place
        ("nn-model convert $IN/good.nnm -o /dev/null --to onnx && nn-model info $IN/ckpt-good.ckpt --format json", 1),
    ]
}

/// Names and bytes of the regular files under a directory (recursively).
private func snapshot(_ dir: String) -> [String: Data] {
    var out: [String: Data] = [:]
    guard let e = FileManager.default.enumerator(atPath: dir) else { return out }
    while let name = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir), !isDir.boolValue {
            out[name] = FileManager.default.contents(atPath: dir + "/" + name) ?? Data()
        }
    }
    return out
}

private let corpus = Tools.packageRoot + "/Tests/BadInputs"

private func expand(_ command: String, _ dir: String) -> String {
    "cd '\(dir)' && " + command.replacingOccurrences(of: "$IN", with: "'\(corpus)'").replacingOccurrences(of: "$T", with: "'\(dir)'")
}

/// nn-train's progress on stderr: the summary lines before training (the run, the PNG recipe) and one
/// line per epoch.
private func isProgress(_ line: String) -> Bool {
    line.hasPrefix("epoch ") || line.hasPrefix("nn-train: nn-predict will read PNGs with the ")
        || (line.hasPrefix("nn-train: ") && line.range(of: "[0-9] training samples", options: .regularExpression) != nil)
}

/// Runs one case and records every way it differs from what it says.
private func check(_ c: BadInputCase) throws {
    let dir = try Tools.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (i, name) in c.existing.enumerated() {
        try Data("pre-existing \(name) \(i)\n".utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
    }
    let before = snapshot(dir)
    let r = try Tools.sh(expand(c.command, dir))
    let context = "\(c.command)\nexit \(r.status)\nstderr:\n\(r.stderr.prefix(400))"  // crash dumps are long

    #expect(r.status == c.exit, "\(context)")
    let lines = r.stderr.split(separator: "\n").map(String.init).filter { !isProgress($0) }
    let usageLines = lines.filter { $0.hasPrefix("Usage: ") }
    let errors = lines.filter { !$0.hasPrefix("Usage: ") }
    #expect(errors.count == c.errorLines, "expected \(c.errorLines) error line(s); \(context)")
    #expect(usageLines.count == (c.usage ? 1 : 0), "usage line; \(context)")
    if let line = errors.first {
        for m in c.mentions { #expect(line.contains(m), "error line lacks \"\(m)\"; \(context)") }
        let tool = c.command.split(whereSeparator: { "|&".contains($0) }).last!.split(separator: " ").first!
        #expect(line.hasPrefix(tool + ": "),
                "the error line starts with the tool's name; \(context)")
    }
    let out = r.out.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(out.count == c.stdoutLines, "stdout:\n\(r.out)\n\(context)")
    #expect(snapshot(dir) == before, "files created or changed in the working directory: \(snapshot(dir).keys.sorted()); \(context)")
}

@Suite struct BadInputCorpusTests {
    /// The corpus is what make.py writes (run `python3 Tests/BadInputs/make.py` after changing it).
    @Test func corpusIsPresent() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus)
        #expect(names.filter { $0 != "make.py" && $0 != "README.md" }.count >= 50)
        #expect(BadInputCases.all.count >= 30)
    }

    @Test(arguments: BadInputCases.all)
    func badInput(_ c: BadInputCase) throws {
        let corpusBefore = snapshot(corpus)
        if let bug = c.bug {
            withKnownIssue(Comment(rawValue: bug)) { try check(c) }
        } else {
            try check(c)
        }
        #expect(snapshot(corpus).keys.sorted() == corpusBefore.keys.sorted(), "files appeared in Tests/BadInputs")
    }

    @Test(arguments: BadInputCases.controls.indices)
    func goodInputWorks(_ i: Int) throws {
        let (command, stdoutLines) = BadInputCases.controls[i]
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Tools.sh(expand(command, dir))
        #expect(r.status == 0, "\(command)\n\(r.stderr)")
        if let stdoutLines { #expect(r.out.split(separator: "\n").count == stdoutLines, "\(command)\n\(r.out)") }
    }

    /// A full file system (a 64 KB tmpfs, filled) for -o: a clear write error and no file left behind.
    /// Needs mount(2) (root in a container that allows it); skipped otherwise.
    @Test(.enabled(if: Tmpfs.canMount, "needs mount(2) of a tmpfs (root in a container that allows it)")) func fullDisk() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let disk = dir + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        #expect(try Tools.sh("mount -t tmpfs -o size=64k tmpfs '\(disk)'").status == 0)
        defer { _ = try? Tools.sh("umount '\(disk)'") }
        // Leave 4 KB free: the 784-16-10 model (50 KB) cannot fit, the temporary file can be created.
        _ = try Tools.sh("dd if=/dev/zero of='\(disk)/filler' bs=1k count=60 2>/dev/null")
        try Data("old model\n".utf8).write(to: URL(fileURLWithPath: disk + "/m.nnm"))
        let before = snapshot(disk)
        let r = try Tools.sh(expand("""
            \(train) --train-images $IN/good-images.idx --train-labels $IN/good-labels.idx --layers 784-16-10 -o '\(disk)/m.nnm'
            """, dir))
        #expect(r.status == 2, "\(r.stderr)")
        let errors = r.stderr.split(separator: "\n").map(String.init).filter { !isProgress($0) }
        #expect(errors.count == 1 && errors[0].contains("m.nnm") && errors[0].contains("No space left on device"), "\(r.stderr)")
        #expect(snapshot(disk) == before, "the old model must be intact and no temporary file left")
    }
}

enum Tmpfs {
    /// Whether this process may mount a tmpfs (tried once, on a scratch directory).
    static let canMount: Bool = {
        guard let dir = try? Tools.temporaryDirectory() else { return false }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let r = try? Tools.sh("mount -t tmpfs -o size=16k tmpfs '\(dir)' 2>/dev/null && umount '\(dir)'") else { return false }
        return r.status == 0
    }()
}
