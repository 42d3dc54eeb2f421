import Foundation
import Testing

/// scripts/sanitize.sh builds the `nightjar` binary the CLI tests run with the sanitizer too, and
/// gives it (through the inherited ASAN_OPTIONS/TSAN_OPTIONS) halt_on_error and exit status 86: a
/// test that expects a status sees 86 instead. A test that only expects a failure would still
/// pass, so the helpers that run the binary also look for a report on its stderr.
enum SanitizerReport {
    /// The exit status scripts/sanitize.sh gives a process that made a report.
    static let exitStatus: Int32 = 86

    static let markers = ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                          "ERROR: ThreadSanitizer", "SUMMARY: UndefinedBehaviorSanitizer"]

    /// The first lines of the first sanitizer report in `stderr`, if any.
    static func firstReport(in stderr: String) -> String? {
        guard let range = markers.lazy.compactMap({ stderr.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) else {
            return nil
        }
        let start = stderr[..<range.lowerBound].lastIndex(of: "\n").map { stderr.index(after: $0) } ?? stderr.startIndex
        return stderr[start...].split(separator: "\n", omittingEmptySubsequences: false).prefix(30).joined(separator: "\n")
    }

    /// Fails the current test when `stderr` (a `nightjar` child's) holds a sanitizer report.
    static func check(stderr: String, status: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let report = firstReport(in: stderr) else { return }
        Issue.record("nightjar exited \(status) with a sanitizer report:\n\(report)", sourceLocation: sourceLocation)
    }

    /// The sanitizer options of this process, for a child started with an environment of its own.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS"].contains($0.key) }
    }
}
