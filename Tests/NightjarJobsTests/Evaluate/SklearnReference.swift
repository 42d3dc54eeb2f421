import Foundation
import Testing

/// scikit-learn's own values of the outcome metrics, from `fixtures/outcomes/sklearn_metrics.py`
/// (request and answer as JSON; see the script for the kinds). python3 with scikit-learn and numpy
/// (Debian's python3-sklearn, installed by scripts/test.sh): under scripts/test.sh
/// (NIGHTJAR_REQUIRE_PG=1) a missing one is a failure, not a skip.
enum SklearnReference {
    static let script = fixture("outcomes/sklearn_metrics.py")

    /// The first python3 that imports sklearn and numpy: the one on PATH, else the system's.
    static let python: String? = {
        for candidate in ["python3", "/usr/bin/python3"] {
            if let r = try? run(candidate, ["-c", "import sklearn, numpy"], input: nil), r.status == 0 { return candidate }
        }
        return nil
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["NIGHTJAR_REQUIRE_PG"] == "1" }
    static var enabled: Bool { python != nil || required }

    static func run(_ python: String, _ arguments: [String], input: Data?) throws -> (status: Int32, output: Data, errors: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python] + arguments
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin
        try p.run()
        // Write and read concurrently: a large request or answer would otherwise fill a pipe.
        let writer = Thread {
            if let input { stdin.fileHandleForWriting.write(input) }
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data, String(decoding: errors, as: UTF8.self))
    }

    /// The script's answer to `request`.
    static func answer(_ request: [String: Any]) throws -> [String: Any] {
        let interpreter = try #require(python, "python3 with scikit-learn and numpy is missing: install the Debian package python3-sklearn (scripts/test.sh does)")
        let r = try run(interpreter, [script], input: try JSONSerialization.data(withJSONObject: request))
        try #require(r.status == 0, "sklearn_metrics.py failed: \(r.errors)")
        return try #require(try JSONSerialization.jsonObject(with: r.output) as? [String: Any])
    }
}
