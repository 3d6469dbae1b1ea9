// Support.swift: reading the SVG output back through a real XML parser.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed SVG document with the few queries the tests need.
struct SVGDocument {
    /// Kept alive on purpose: in swift-corelibs-foundation the elements live in the document's libxml2
    /// tree, which goes away with the document.
    let document: XMLDocument
    let root: XMLElement

    init(_ text: String) throws {
        document = try XMLDocument(data: Data(text.utf8), options: [])
        guard let root = document.rootElement() else { throw CocoaError(.fileReadCorruptFile) }
        self.root = root
    }

    /// Every element named `name` (local name, ignoring the SVG namespace), in document order,
    /// optionally only those whose class attribute contains `className`.
    func elements(_ name: String, class className: String? = nil, in start: XMLElement? = nil) -> [XMLElement] {
        var found: [XMLElement] = []
        func visit(_ e: XMLElement) {
            if (e.localName ?? e.name) == name,
               className.map({ e.classes.contains($0) }) ?? true {
                found.append(e)
            }
            for case let child as XMLElement in e.children ?? [] { visit(child) }
        }
        visit(start ?? root)
        return found
    }

    /// Text of every `<text>` element with that class.
    func texts(class className: String, in start: XMLElement? = nil) -> [String] {
        elements("text", class: className, in: start).map { $0.stringValue ?? "" }
    }
}

extension XMLElement {
    /// Looked up in `attributes`: swift-corelibs-foundation's `attribute(forName:)` returns nil for every
    /// attribute of an element in a default namespace (as all SVG elements are).
    subscript(attribute name: String) -> String? {
        attributes?.first { ($0.localName ?? $0.name) == name }?.stringValue
    }
    var classes: [String] { (self[attribute: "class"] ?? "").split(separator: " ").map(String.init) }
}
