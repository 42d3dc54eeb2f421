import Foundation
import Testing

/// Prometheus' own checker, `promtool` (Debian package `prometheus`, installed by scripts/test.sh).
///
/// When the suite runs under scripts/test.sh (NIGHTJAR_REQUIRE_PG=1) a missing promtool is a
/// failure, not a skip, as a missing PostgreSQL server is.
enum Promtool {
    struct Result {
        var status: Int32
        var output: String
    }

    /// The executable: on PATH, or where the Debian package puts it.
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return dirs.map { $0 + "/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["NIGHTJAR_REQUIRE_PG"] == "1" }

    /// Whether the promtool tests run: promtool is there, or it must be (then they fail without it).
    static var enabled: Bool { path != nil || required }

    /// Runs `promtool ARGUMENTS` (in `directory`), its stdout and stderr together; stdin is `input`.
    static func run(_ arguments: [String], in directory: URL? = nil, input: String? = nil) throws -> Result {
        let executable = try #require(path, "promtool is missing: install the Debian package prometheus (scripts/test.sh does)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let stdin = Pipe()
        p.standardInput = stdin
        try p.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// `promtool check metrics` on a metrics file's text: exit status 0 and no lint problem.
    static func checkMetrics(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try run(["check", "metrics"], input: text)
        #expect(r.status == 0, "promtool check metrics: \(r.output)\n\(text)", sourceLocation: sourceLocation)
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(r.output)", sourceLocation: sourceLocation)
    }
}
