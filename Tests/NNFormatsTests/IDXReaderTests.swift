import CZlib
import Foundation
import Testing
@testable import NNCore
@testable import NNFormats

struct IDXReaderTests {
    /// An IDX file: ubyte images n x 2 x 3 (values i + j) or labels.
    func idx(type: UInt8 = 0x08, dims: [Int], data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, type, UInt8(dims.count)]
        for d in dims { out += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return out + data
    }

    func gzip(_ bytes: [UInt8]) -> [UInt8] {
        let path = NSTemporaryDirectory() + "idx-\(UUID().uuidString).gz"
        let f = gzopen(path, "wb")!
        _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
        gzclose(f)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return [UInt8](FileManager.default.contents(atPath: path)!)
    }

    func expectError(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try IDXReader.decode(bytes, path: "bad.idx")
            Issue.record("decoded a bad file (expected '\(fragment)')", sourceLocation: sourceLocation)
        } catch let e as FormatError {
            #expect(e.path == "bad.idx", sourceLocation: sourceLocation)
            #expect(e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func rawAndGzippedDecodeTheSame() throws {
        let data = (0..<24).map { UInt8($0) }
        let raw = idx(dims: [4, 2, 3], data: data)
        for bytes in [raw, gzip(raw)] {
            let a = try IDXReader.decode(bytes, path: "x")
            #expect(a.elementType == .uint8)
            #expect(a.dimensions == [4, 2, 3])
            #expect(a.itemSize == 6)
            #expect(a.data == data)
        }
        // two gzip members back to back decode as one stream
        let split = gzip(Array(raw[0..<10])) + gzip(Array(raw[10...]))
        #expect(try IDXReader.decode(split, path: "x").data == data)
    }

    @Test func otherElementTypes() throws {
        let floats = idx(type: 0x0D, dims: [2], data: [0x3F, 0x80, 0, 0, 0xC0, 0x20, 0, 0])   // 1.0, -2.5
        #expect(try IDXReader.decode(floats, path: "x").values() == [1.0, -2.5])
        let shorts = idx(type: 0x0B, dims: [2], data: [0xFF, 0xFE, 0x01, 0x00])              // -2, 256
        #expect(try IDXReader.decode(shorts, path: "x").values() == [-2, 256])
    }

    @Test func badFiles() {
        let good = idx(dims: [4, 2, 3], data: (0..<24).map { UInt8($0) })
        expectError([0, 0], "too short")
        expectError([0x12, 0x34, 0x08, 0x03] + good[4...], "not an IDX file (magic bytes 12 34 08 03")
        expectError([0, 0, 0x07, 0x03] + good[4...], "unknown IDX element type 0x7")
        expectError(Array(good.dropLast(5)), "truncated: dimensions 4x2x3 need 24 data bytes, file has 19")
        expectError(good + [1, 2], "2 bytes more than its dimensions")
        expectError(Array(good[0..<9]), "truncated IDX header")
        let gz = gzip(good)
        expectError(Array(gz.prefix(gz.count - 12)), "truncated")
        var corrupt = gz
        corrupt[12] ^= 0xFF
        corrupt[13] ^= 0xFF
        expectError(corrupt, "gzip")
        expectError(gzip(good + [9]), "more data than its dimensions")
        expectError(gzip(Array(good.dropLast(3))), "truncated")
    }

    @Test func imagesAndLabelsMustAgree() throws {
        let dir = NSTemporaryDirectory() + "idx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = dir + "/train-images-idx3-ubyte.gz", labels = dir + "/train-labels-idx1-ubyte"
        FileManager.default.createFile(atPath: images, contents: Data(gzip(idx(dims: [4, 2, 3], data: [UInt8](repeating: 9, count: 24)))))
        FileManager.default.createFile(atPath: labels, contents: Data(idx(dims: [3], data: [1, 2, 3])))
        do {
            _ = try IDXDataset.load(IDXDataset.standardFiles(in: dir, split: "train"))
            Issue.record("loaded mismatched files")
        } catch let e as FormatError {
            #expect(e.description == "\(images): holds 4 images but \(labels) holds 3 labels")
        }
        FileManager.default.createFile(atPath: labels, contents: Data(idx(dims: [4], data: [1, 2, 3, 0])))
        let set = try IDXDataset.load(IDXDataset.standardFiles(in: dir, split: "train"))
        #expect(set.dataset.count == 4 && set.sampleShape == [2, 3] && set.dataset.labels == [1, 2, 3, 0])
    }

    @Test func embeddedDefaultData() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/datasets/default"
        let train = try IDXDataset.load(IDXDataset.standardFiles(in: dir, split: "train"))
        let test = try IDXDataset.load(IDXDataset.standardFiles(in: dir, split: "test"))
        #expect(train.dataset.count == 5000 && test.dataset.count == 10000)
        #expect(train.sampleShape == [28, 28])
        #expect(Set(test.dataset.labels) == Set((0..<10).map(Double.init)))
    }
}
