import Foundation
import Testing
@testable import NNCore
@testable import NNFormats

/// Whole-file reads with ceilings, and the write rules: symlinks followed, devices written in place,
/// stale temporary files of killed writes removed.
@Suite(.serialized) struct FileIOTests {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "nn-fileio-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aRegularFileOverTheLimitIsRefusedBeforeReading() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: dir + "/f"))
        #expect(try readWholeFile(dir + "/f", limit: 1000).count == 1000)
        #expect(throws: FormatError(dir + "/f", "is 1000 bytes, over the limit of 999 bytes for a model file")) {
            try readWholeFile(dir + "/f", limit: 999, kind: "a model file")
        }
    }

    /// /dev/zero never ends: the start check refuses it after one read, the ceiling without one.
    @Test func endlessInputStopsAtTheStartCheckOrTheLimit() throws {
        #expect(throws: FormatError("/dev/zero", "not a model file (wrong magic bytes)")) {
            try readWholeFile("/dev/zero", limit: 1 << 30, checkStart: ModelFileReader.startCheck("/dev/zero"))
        }
        #expect(throws: FormatError("/dev/zero", "holds more than 1 MiB, over the limit of 1 MiB for an IDX file")) {
            try readWholeFile("/dev/zero", limit: 1 << 20, kind: "an IDX file")
        }
        #expect(throws: FormatError("/dev/zero", "unknown IDX element type 0x0")) { try IDXReader.read("/dev/zero") }
    }

    @Test func aSymlinkIsFollowedAndKept() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/target"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "target")
        try writeFileAtomically(Array("new".utf8), to: dir + "/link")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link") == "target")
        #expect(FileManager.default.contents(atPath: dir + "/target") == Data("new".utf8))
        // a dangling link: the file it names is created
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: "created")
        try writeFileAtomically(Array("x".utf8), to: dir + "/dangling")
        #expect(FileManager.default.contents(atPath: dir + "/created") == Data("x".utf8))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/dangling") == "created")
    }

    /// A device is written where it is: /dev/null stays a character device.
    @Test func devicesAreWrittenInPlace() throws {
        #expect(try OutputTarget(resolving: "/dev/null") == .inPlace("/dev/null"))
        #expect(try OutputTarget(resolving: "-") == .standardOutput)
        try writeFilesAtomically([("/dev/null", Array("discarded".utf8))])
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        #expect(throws: FormatError("/tmp", "is a directory")) { try OutputTarget(resolving: "/tmp") }
        // all or none: the failing device write leaves the regular file untouched
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/a"))
        #expect(throws: FormatError.self) { try writeFilesAtomically([(dir + "/a", Array("new".utf8)), ("/dev/full", [1])]) }
        #expect(FileManager.default.contents(atPath: dir + "/a") == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a"])
    }

    @Test func temporaryNamesAreRecognised() {
        #expect(StaleTemporaries.parse(".m.nnm.1234-aB3dE9.tmp")! == ("m.nnm", 1234))
        #expect(StaleTemporaries.parse(".m.nnm.aB3dE9.tmp")! == ("m.nnm", nil))   // before the PID was in the name
        #expect(StaleTemporaries.parse(".a.b.c.77-zzzzzz.tmp")! == ("a.b.c", 77))
        for name in ["m.nnm", ".m.nnm.tmp", ".m.nnm.12-abc.tmp", ".m.nnm.x1-abcdef.tmp", "..12-abcdef.tmp", ".m.nnm.0-abcdef.tmp"] {
            #expect(StaleTemporaries.parse(name) == nil, "\(name)")
        }
    }

    /// What a SIGKILL mid-write leaves behind is removed by the next write of the same file, once its
    /// writer is gone or it is an hour old; a live writer's file and other files' are kept.
    @Test func staleTemporaryFilesAreRemovedByTheNextWrite() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dead = ".m.nnm.999999999-abcdef.tmp"      // no such PID (above pid_max)
        let live = ".m.nnm.\(getpid())-abcdef.tmp"
        let oldFormatOld = ".m.nnm.ABC123.tmp", oldFormatNew = ".m.nnm.XYZ123.tmp", other = ".x.nnm.999999999-abcdef.tmp"
        for name in [dead, live, oldFormatOld, oldFormatNew, other] {
            FileManager.default.createFile(atPath: dir + "/" + name, contents: Data("partial".utf8))
        }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: dir + "/" + oldFormatOld)
        try writeFileAtomically(Array("model".utf8), to: dir + "/m.nnm")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(left == ["m.nnm", live, oldFormatNew, other])
    }
}
