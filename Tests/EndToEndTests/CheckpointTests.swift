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

    /// The command the interrupt message says continues the run ("continue with: CMD").
    func continueCommand(_ stderr: String) -> String? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.contains("nn-train: interrupted; ") }),
              let r = line.range(of: "continue with: ") else { return nil }
        return String(line[r.upperBound...])
    }

    /// A real signal from outside, wherever it lands: the printed command alone (no data, no outputs
    /// given) continues to the model of the uninterrupted run.
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
        let command = try #require(continueCommand(interrupted.stderr), "\(interrupted.stderr)")
        #expect(command == Tools.buildDirectory + "/nn-train --resume \(dir)/run.nnm.ckpt")

        let resumed = try Tools.sh(command)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at epoch"))
        // samples/s of the resumed epoch: positive and below what 2 cores can do
        for line in resumed.stderr.split(separator: "\n") where line.hasPrefix("epoch ") {
            let rate = Int(line.split(separator: "  ").last!.split(separator: " ")[0].replacingOccurrences(of: ",", with: ""))
            #expect(rate != nil && rate! > 0 && rate! < 10_000_000, "\(line)")
        }
        let a = FileManager.default.contents(atPath: "\(dir)/ref.nnm"), b = FileManager.default.contents(atPath: "\(dir)/run.nnm")
        #expect(a != nil && a == b, "resumed model differs from the uninterrupted one")
        // a checkpoint is also a model file the other tools read
        let eval = try Tools.sh("nn-eval -m \(dir)/run.nnm.ckpt --images \(trI) --labels \(trL)")
        #expect(eval.status == 0, "\(eval.stderr)")
    }

    /// The issue's done-when check, at exact places (NN_TRAIN_INTERRUPT_AFTER): inside epoch 2 and between
    /// epochs 2 and 3. `nn-train --data D -o X` with --metrics and --plot, in a directory whose name a shell
    /// must quote; the printed command, pasted into a shell there, gives the uninterrupted run's model,
    /// metrics (but the times) and plot. The run between epochs is continued from another directory.
    @Test(arguments: ["2:250", "2"])
    func printedCommandContinuesTheRun(at place: String) throws {
        let root = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let reference = root + "/reference", run = root + "/it's a run", elsewhere = root + "/elsewhere"
        for d in [reference, run, elsewhere] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        // the same files under the same relative name in both directories: the model records the path as given
        for d in [reference, run] {
            let data = d + "/data"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let (i, l) = try Tools.subset("train", stride: 10, into: data)   // 500 samples
            try FileManager.default.moveItem(atPath: i, toPath: data + "/train-images-idx3-ubyte")
            try FileManager.default.moveItem(atPath: l, toPath: data + "/train-labels-idx1-ubyte")
            let (ti, tl) = try Tools.subset("test", stride: 50, into: data)  // 200 samples
            try FileManager.default.moveItem(atPath: ti, toPath: data + "/t10k-images-idx3-ubyte")
            try FileManager.default.moveItem(atPath: tl, toPath: data + "/t10k-labels-idx1-ubyte")
        }
        let train = "nn-train --data data -o m.nnm --metrics m.jsonl --plot m.svg --layers 784-24-10 --epochs 4 --batch-size 25 "
            + "--optimizer momentum --dropout 0.1 --validation-split 0.1 --lr-schedule step:2:0.5 --seed 9"
        let full = try Tools.sh("cd '\(reference)' && \(train)")
        #expect(full.status == 0, "\(full.stderr)")

        let quotedRun = "'" + run.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let stopped = try Tools.sh("cd \(quotedRun) && NN_TRAIN_INTERRUPT_AFTER=\(place) \(train)")
        #expect(stopped.status == 130, "\(stopped.stderr)")
        let command = try #require(continueCommand(stopped.stderr), "\(stopped.stderr)")
        #expect(command == "nn-train --resume m.nnm.ckpt")
        #expect(!FileManager.default.fileExists(atPath: run + "/m.nnm"))
        let c = try CheckpointCodec.read(run + "/m.nnm.ckpt")
        #expect(c.progress.epoch == (place == "2" ? 3 : 2) && c.progress.position == (place == "2" ? 0 : 250))
        #expect(c.run.dataSource == .directory && c.run.dataDirectory == "data" && c.run.workingDirectory == run)
        #expect(c.run.dataFiles.map(\.role) == [.trainImages, .trainLabels, .testImages, .testLabels])
        #expect(c.run.output == "m.nnm" && c.run.metrics == "m.jsonl" && c.run.plot == "m.svg" && c.run.checkpoint == "m.nnm.ckpt")

        // between epochs: continued from another directory, by the checkpoint's absolute path
        let resumed = place == "2"
            ? try Tools.sh("cd '\(elsewhere)' && \(command.replacingOccurrences(of: "m.nnm.ckpt", with: quotedRun + "/m.nnm.ckpt"))")
            : try Tools.sh("cd \(quotedRun) && \(command)")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
        for name in ["m.nnm", "m.svg"] {
            let a = FileManager.default.contents(atPath: reference + "/" + name), b = FileManager.default.contents(atPath: run + "/" + name)
            #expect(a != nil && a == b, "\(name) differs from the uninterrupted run's")
        }
        func figures(_ path: String) throws -> [[String: Double]] {
            let text = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
            return try text.split(separator: "\n").map {
                var o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Double]
                o["seconds"] = nil
                o["samples_per_second"] = nil
                return o
            }
        }
        let metrics = try figures(run + "/m.jsonl"), expected = try figures(reference + "/m.jsonl")
        #expect(metrics.count == 4 && metrics == expected)
    }

    /// A resume against other data is refused before training: the same path with one label changed (the
    /// same size), or another directory given beside --resume. Nothing is written.
    @Test func resumeAgainstOtherDataIsRefused() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 25, into: dir)   // 200 samples
        let stopped = try Tools.sh("cd '\(dir)' && NN_TRAIN_INTERRUPT_AFTER=1:100 nn-train --train-images \(trI) --train-labels \(trL) "
            + "--layers 784-8-10 --epochs 2 --batch-size 20 -o m.nnm")
        #expect(stopped.status == 130, "\(stopped.stderr)")
        let command = try #require(continueCommand(stopped.stderr))
        var labels = try #require(FileManager.default.contents(atPath: trL))
        labels[labels.count - 1] = (labels[labels.count - 1] + 1) % 10
        try labels.write(to: URL(fileURLWithPath: trL))
        let r = try Tools.sh("cd '\(dir)' && \(command)")
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("nn-train: m.nnm.ckpt: field data.train-labels: \(trL) is not the file the run trained on"),
                "\(r.stderr)")
        try FileManager.default.createDirectory(atPath: dir + "/other", withIntermediateDirectories: true)
        let (otherI, otherL) = try Tools.subset("train", stride: 25, offset: 1, into: dir + "/other")
        let other = try Tools.sh("cd '\(dir)' && \(command) --train-images \(otherI) --train-labels \(otherL)")
        #expect(other.status == 2 && other.stderr.contains("m.nnm.ckpt: field data.train-images: \(otherI) is not the file"), "\(other.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.nnm"))
    }

    /// Flags beside --resume: the run's own values are accepted, others refused naming the flag; --epochs
    /// may grow (the model is then the one of an uninterrupted longer run), but not under a cosine schedule.
    @Test func flagsBesideResume() throws {
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trI, trL) = try Tools.subset("train", stride: 25, into: dir)
        let train = "nn-train --train-images \(trI) --train-labels \(trL) --layers 784-8-10 --batch-size 20 --seed 3"
        let longer = try Tools.sh("cd '\(dir)' && \(train) --epochs 4 -o long.nnm")
        #expect(longer.status == 0, "\(longer.stderr)")
        let stopped = try Tools.sh("cd '\(dir)' && NN_TRAIN_INTERRUPT_AFTER=2:60 \(train) --epochs 3 -o m.nnm")
        #expect(stopped.status == 130, "\(stopped.stderr)")
        let command = try #require(continueCommand(stopped.stderr))
        for (flags, mention) in [("--epochs 2", "--epochs 2 disagrees with the checkpoint's epochs 3"),
                                 ("--layers 784-9-10", "--layers 784-9-10 disagrees with the checkpoint's layers 784-8-10"),
                                 ("--optimizer sgd", "--optimizer sgd disagrees"), ("--seed 4", "--seed 4 disagrees")] {
            let r = try Tools.sh("cd '\(dir)' && \(command) \(flags)")
            #expect(r.status == 2 && r.stderr.hasPrefix("nn-train: m.nnm.ckpt: \(mention)"), "\(flags): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        // the run's own values, data named again, another output: accepted
        let same = try Tools.sh("cd '\(dir)' && \(command) --layers 784-8-10 --seed 3 --batch-size 20 --train-images \(trI) --train-labels \(trL) "
            + "--epochs 4 -o more.nnm --threads 1")
        #expect(same.status == 0, "\(same.stderr)")
        #expect(FileManager.default.contents(atPath: dir + "/more.nnm") == FileManager.default.contents(atPath: dir + "/long.nnm"),
                "3 epochs interrupted, resumed with --epochs 4: the model of 4 uninterrupted epochs")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.nnm"))

        let cosine = try Tools.sh("cd '\(dir)' && NN_TRAIN_INTERRUPT_AFTER=1 \(train) --epochs 3 --lr-schedule cosine -o c.nnm")
        #expect(cosine.status == 130)
        let r = try Tools.sh("cd '\(dir)' && \(try #require(continueCommand(cosine.stderr))) --epochs 4")
        #expect(r.status == 2 && r.stderr.contains("c.nnm.ckpt: --epochs 4 disagrees") && r.stderr.contains("cosine"), "\(r.stderr)")
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
        #expect(c.run.checkpointEvery == 2 && c.run.config.optimizer == .momentum && c.run.config.seed == 2)
        // the checkpoint names the run's output; -o beside --resume writes elsewhere
        let resumed = try Tools.sh("nn-train --resume \(dir)/c.ckpt -o \(dir)/resumed.nnm")
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
