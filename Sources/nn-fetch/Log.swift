// Everything nn-fetch says goes to stderr, through here: status lines, and on a terminal a live
// byte counter that the next status line overwrites.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes status lines to stderr; clears a live progress line first.
final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var live = false

    func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        write((live ? "\r\u{1B}[K" : "") + text + "\n")
        live = false
    }

    func progress(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        write("\r\u{1B}[K" + text)
        live = true
    }

    func clearProgress() {
        lock.lock(); defer { lock.unlock() }
        if live { write("\r\u{1B}[K") }
        live = false
    }

    private func write(_ s: String) {
        FileHandle.standardError.write(s.data(using: .utf8)!)
    }

    static func size(_ bytes: Double) -> String {
        if bytes >= 1e6 { return String(format: "%.1f MB", bytes / 1e6) }
        if bytes >= 1e3 { return String(format: "%.1f kB", bytes / 1e3) }
        return String(format: "%.0f B", bytes)
    }
}

/// On a terminal: polls the size of the file being written and shows bytes and rate, 4 times a second.
final class Meter: @unchecked Sendable {
    private let label: String, path: String, expected: Int?, log: Log
    private var timer: DispatchSourceTimer?
    private let began = Date()
    private var startBytes: Int?

    init(label: String, path: String, expected: Int?, log: Log) {
        self.label = label; self.path = path; self.expected = expected; self.log = log
    }

    func start() {
        startBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + 0.25, repeating: 0.25)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
    }

    func stop() {
        timer?.cancel()
        timer = nil
        log.clearProgress()
    }

    private func tick() {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let rate = Double(bytes - (startBytes ?? 0)) / max(Date().timeIntervalSince(began), 0.001)
        let total = expected.map { " / " + Log.size(Double($0)) } ?? ""
        log.progress("\(label): \(Log.size(Double(bytes)))\(total)  \(Log.size(rate))/s")
    }
}
