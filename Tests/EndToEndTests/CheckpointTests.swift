import Foundation
import Testing
@testable import NNFormats

/// Interruption, checkpoints and resume, divergence: nn-train under faults.
@Suite(.serialized) struct CheckpointTests {
    /// Starts nn-train, sends `signal` once the first epoch line appears, waits for it to exit.
    func runAndInterrupt(_ arguments: String, signal: Int32) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Tools.buildDirectory + "/nn-train")
        p.arguments = arguments.split(separator: " ").map(String.init)
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var text = ""
        let handle = err.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if text.contains("epoch 1/") {
                kill(p.processIdentifier, signal)
                break
            }
        }
        text += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedAndResumedRunIsByteIdentical(signal: Int32) throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 4, into: dir)     // 1,250 samples
        let common = "--train-images \(trI) --train-labels \(trL) --layers 784-48-10 --epochs 6 --batch-size 25 --dropout 0.2 "
            + "--batch-norm all --augment --validation-split 0.1 --lr-schedule cosine --seed 5"
        let reference = try Tools.sh("nn-train \(common) -o \(dir)/ref.nnm")
        #expect(reference.status == 0, "\(reference.stderr)")

        let interrupted = try runAndInterrupt("\(common) -o \(dir)/run.nnm", signal: signal)
        #expect(interrupted.status == (signal == SIGINT ? 130 : 143), "\(interrupted.stderr)")
        #expect(interrupted.stderr.contains("checkpoint written to \(dir)/run.nnm.ckpt"), "\(interrupted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/run.nnm"))
        let checkpoint = try CheckpointCodec.read("\(dir)/run.nnm.ckpt")
        #expect(checkpoint.progress.epoch < 6 || checkpoint.progress.position > 0)

        let resumed = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --resume \(dir)/run.nnm.ckpt -o \(dir)/run.nnm")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at epoch"))
        let a = FileManager.default.contents(atPath: "\(dir)/ref.nnm"), b = FileManager.default.contents(atPath: "\(dir)/run.nnm")
        #expect(a != nil && a == b, "resumed model differs from the uninterrupted one")
        // a checkpoint is also a model file the other tools read
        let eval = try Tools.sh("nn-eval -m \(dir)/run.nnm.ckpt --images \(trI) --labels \(trL)")
        #expect(eval.status == 0, "\(eval.stderr)")
    }

    @Test func checkpointEveryEpochResumesExactly() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 20, into: dir)
        let common = "--train-images \(trI) --train-labels \(trL) --layers 784-16-10 --epochs 4 --optimizer momentum --seed 2"
        let full = try Tools.sh("nn-train \(common) --checkpoint-every 2 --checkpoint \(dir)/c.ckpt -o \(dir)/full.nnm")
        #expect(full.status == 0, "\(full.stderr)")
        let c = try CheckpointCodec.read("\(dir)/c.ckpt")
        #expect(c.progress.epoch == 3 && c.progress.position == 0 && c.progress.history.count == 2)
        #expect(c.optimizer.slots.count == 1)    // momentum's velocity
        let resumed = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --resume \(dir)/c.ckpt -o \(dir)/resumed.nnm")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.count == 2)
        #expect(FileManager.default.contents(atPath: "\(dir)/full.nnm") == FileManager.default.contents(atPath: "\(dir)/resumed.nnm"))
    }

    @Test func divergenceStopsWithoutWritingAModel() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 25, into: dir)
        _ = FileManager.default.createFile(atPath: "\(dir)/m.nnm", contents: Data("previous".utf8))
        // the largest learning rate --learning-rate allows, on a regression of the labels 0-9: the MSE
        // gradient is unbounded, so plain SGD blows up within a few epochs
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-16-1 --loss mse --optimizer sgd "
            + "--learning-rate 10 --weight-decay 0 -o \(dir)/m.nnm")
        #expect(r.status == 1)
        let line = r.stderr.split(separator: "\n").last { $0.hasPrefix("nn-train: ") }!
        #expect(line.contains("training diverged at epoch "), "\(r.stderr)")
        // in words, with the one remedy that helps (a smaller batch does not)
        #expect(line.contains(": the loss became NaN (not a number)") || line.contains(": the loss became infinite"), "\(line)")
        #expect(line.contains("lower --learning-rate (now 10.0)") && !line.contains("batch size") && !line.contains("nan"), "\(line)")
        #expect(FileManager.default.contents(atPath: "\(dir)/m.nnm") == Data("previous".utf8))
    }

    @Test func earlyStoppingKeepsTheBestEpoch() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 10, into: dir)
        // a learning rate too high for SGD makes validation accuracy fall after the first epochs
        let r = try Tools.sh("nn-train --train-images \(trI) --train-labels \(trL) --layers 784-32-10 --epochs 30 --patience 2 "
            + "--validation-split 0.2 --metrics \(dir)/m.jsonl --plot \(dir)/p.svg -o \(dir)/m.nnm")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = String(decoding: FileManager.default.contents(atPath: "\(dir)/m.jsonl")!, as: UTF8.self).split(separator: "\n")
        let accs = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }.map { $0["validation_accuracy"] as! Double }
        let best = accs.firstIndex(of: accs.max()!)! + 1
        if accs.count < 30 {
            #expect(r.stderr.contains("keeping the weights of epoch \(best)"), "\(r.stderr)")
            #expect(accs.count == best + 2)
        }
        let model = try ModelFileReader.read("\(dir)/m.nnm")
        #expect(model.metadataValue("final-epoch") == String(best))
        #expect(Double(model.metadataValue("final-validation-accuracy")!)! == (accs.max()! * 1e6).rounded() / 1e6)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/p.svg"))
    }

    /// SIGKILL at several moments: the model and the checkpoint are each either the old file or a whole new one.
    @Test func sigkillLeavesOldOrNewFiles() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 20, into: dir)
        let old = Data("old model".utf8)
        for delay in [0.05, 0.3, 0.8, 1.5] {
            FileManager.default.createFile(atPath: "\(dir)/m.nnm", contents: old)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Tools.buildDirectory + "/nn-train")
            p.arguments = ["--train-images", trI, "--train-labels", trL, "--layers", "784-16-10", "--epochs", "3",
                           "--checkpoint-every", "1", "-o", "\(dir)/m.nnm"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let now = FileManager.default.contents(atPath: "\(dir)/m.nnm")!
            if now != old { #expect((try? ModelFileReader.decode([UInt8](now), path: "m.nnm")) != nil, "delay \(delay): torn model") }
            if let c = FileManager.default.contents(atPath: "\(dir)/m.nnm.ckpt") {
                #expect((try? CheckpointCodec.decode([UInt8](c), path: "ckpt")) != nil, "delay \(delay): torn checkpoint")
            }
        }
    }
}
