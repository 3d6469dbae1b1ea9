// ModelFileInfo.swift: what a model file is made of, for `nn-model info`: its version and its sections
// in file order with their sizes (the decoded content comes from ModelFileReader).

public struct ModelFileLayout: Equatable, Sendable {
    public var major: UInt16
    public var minor: UInt16
    /// Every section, IEND included, in file order: type and data bytes.
    public var sections: [(type: String, bytes: Int)]

    public static func == (a: ModelFileLayout, b: ModelFileLayout) -> Bool {
        a.major == b.major && a.minor == b.minor && a.sections.map(\.type) == b.sections.map(\.type) && a.sections.map(\.bytes) == b.sections.map(\.bytes)
    }
}

extension ModelFileReader {
    /// The layout of a valid model file (framing and CRCs are checked first).
    public static func layout(_ bytes: [UInt8], path: String) throws -> ModelFileLayout {
        _ = try sections(bytes, path: path)
        var r = ByteReader(bytes, offset: 8)
        let major: UInt16 = r.le()!, minor: UInt16 = r.le()!
        var list: [(type: String, bytes: Int)] = []
        while r.remaining > 0 {
            let length: UInt32 = r.le()!
            let type = String(decoding: r.bytes(4)!, as: UTF8.self)
            r.offset += Int(length) + 4
            list.append((type, Int(length)))
        }
        return ModelFileLayout(major: major, minor: minor, sections: list)
    }
}
