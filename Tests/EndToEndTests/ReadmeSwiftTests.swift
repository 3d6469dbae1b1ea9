// ReadmeSwiftTests.swift: every ```swift block of README.md's "Use from Swift" section is code of
// Examples/DigitReader (which ConsumerTests builds and runs), so the snippets cannot drift from code that
// works.
import Foundation
import Testing

@Test func readmeSwiftSnippetsAreExampleCode() throws {
    let readme = try String(contentsOfFile: Tools.packageRoot + "/README.md", encoding: .utf8)
    let section = try #require(readme.components(separatedBy: "## Use from Swift").dropFirst().first?
        .components(separatedBy: "\n## ").first)
    let blocks = section.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```").first! }
    #expect(blocks.count >= 4)
    let root = Tools.packageRoot + "/Examples/DigitReader/"
    let example = try ["Package.swift", "Sources/DigitReader/main.swift", "Sources/Classify/main.swift"]
        .map { try String(contentsOfFile: root + $0, encoding: .utf8) }.joined(separator: "\n")
    for block in blocks {
        for line in block.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            #expect(example.contains(line), "README line not in Examples/DigitReader: \(line)")
        }
    }
}
