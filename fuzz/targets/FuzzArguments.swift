// FuzzArguments.swift: libFuzzer target for the four tools' command-line parsers and option rules
// (ArgumentParser, each command's validate(), NNCommandLine's OptionRules and ToolOutcome). The first byte
// picks the tool (0 nn-train, 1 nn-eval, 2 nn-predict, 3 nn-gradcheck, modulo 4); the rest, split at NUL
// bytes, is the argument list. Nothing is run: parsing only. A refusal must be what runAsTool prints:
// exit 2 with exactly one error line (plus a "Usage:" line for syntax errors), each one line once
// control characters are escaped; --help may exit 0 with text for stdout. Anything else is a crash.
import NNCommandLine
@testable import nn_eval
@testable import nn_gradcheck
@testable import nn_predict
@testable import nn_train

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let arguments = UnsafeBufferPointer(start: data + 1, count: size - 1)
        .split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    let outcome: ToolOutcome?
    do {
        switch data[0] % 4 {
        case 0: _ = try NNTrain.parseAsRoot(arguments)
        case 1: _ = try NNEval.parseAsRoot(arguments)
        case 2: _ = try NNPredict.parseAsRoot(arguments)
        default: _ = try NNGradcheck.parseAsRoot(arguments)
        }
        outcome = nil
    } catch {
        switch data[0] % 4 {
        case 0: outcome = NNTrain.outcome(of: error, parsing: true)
        case 1: outcome = NNEval.outcome(of: error, parsing: true)
        case 2: outcome = NNPredict.outcome(of: error, parsing: true)
        default: outcome = NNGradcheck.outcome(of: error, parsing: true)
        }
    }
    guard let outcome else { return 0 }
    if outcome.code == 0 {
        if outcome.standardOutput == nil || !outcome.errorLines.isEmpty { fatalError("exit 0 without help text: \(outcome)") }
        return 0
    }
    if outcome.code != 2 { fatalError("exit \(outcome.code) for \(arguments)") }
    let errors = outcome.errorLines.filter { !$0.hasPrefix("Usage: ") }
    if errors.count != 1 || outcome.errorLines.count > 2 { fatalError("\(outcome.errorLines.count) lines for \(arguments): \(outcome.errorLines)") }
    for line in outcome.errorLines where escapingControlCharacters(line).contains(where: { $0.isNewline }) {
        fatalError("a line that prints as two: \(line)")
    }
    return 0
}
