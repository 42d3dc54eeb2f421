import Foundation
import Testing

/// The checks behind scripts/sanitize.sh: that a report in a child is found, and (under the
/// script, NIGHTJAR_SANITIZER=address|thread) that the binary the CLI tests run was built with
/// that sanitizer — not a plain build left in another build directory.
@Suite struct SanitizerBuildTests {
    static let sanitizer = ProcessInfo.processInfo.environment["NIGHTJAR_SANITIZER"]

    @Test func aReportInAChildsStderrIsFound() {
        let stderr = """
            warning: something ordinary
            ==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010
            READ of size 8 at 0x602000000010 thread T0
            """
        let report = SanitizerReport.firstReport(in: stderr)
        #expect(report?.hasPrefix("==4242==ERROR: AddressSanitizer: heap-use-after-free") == true, "\(report ?? "nil")")
        #expect(report?.contains("READ of size 8") == true)
        #expect(SanitizerReport.firstReport(in: "WARNING: ThreadSanitizer: data race (pid=7)\n")?.contains("data race") == true)
        #expect(SanitizerReport.firstReport(in: "error: run 3 failed: an AddressSanitizer is not a column\n") == nil)
        #expect(SanitizerReport.firstReport(in: "") == nil)
    }

    @Test(.enabled(if: sanitizer != nil, "only under scripts/sanitize.sh"))
    func theBinaryIsBuiltWithTheSanitizer() throws {
        let marker = Self.sanitizer == "thread" ? "ThreadSanitizer" : "AddressSanitizer"
        let binary = try Data(contentsOf: CLITests.binary, options: .alwaysMapped)
        #expect(binary.range(of: Data(marker.utf8)) != nil, "\(CLITests.binary.path) has no \(marker) runtime")
        let options = Self.sanitizer == "thread" ? "TSAN_OPTIONS" : "ASAN_OPTIONS"
        #expect(ProcessInfo.processInfo.environment[options]?.contains("exitcode=\(SanitizerReport.exitStatus)") == true,
                "the children inherit \(options) with exitcode=\(SanitizerReport.exitStatus)")
        let r = try CLITests().run(["--version"])
        #expect(r.status == 0 && !r.stdout.isEmpty, "\(r.stderr)")
    }
}
