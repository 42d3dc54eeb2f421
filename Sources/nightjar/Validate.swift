import ArgumentParser
import Foundation
import NightjarJobs

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check job files, their models and their sources without scoring.",
        discussion: "Exits 0 when every job is valid, otherwise with the status of the first failure (see nightjar --help).")

    @Argument(help: "Job file (YAML), or a directory: every *.yaml / *.yml job in it.")
    var job: String

    @Option(help: "Logical date whose source is checked: YYYY-MM-DD, today or yesterday (default: yesterday in the job's time zone, as `run`).")
    var date: String?

    @Flag(help: "Check the file, the model and its bundle only: no source, no database (CI, image builds). Aliases are not looked up; the newest version is checked.")
    var offline = false

    func run() throws {
        var files = [job]
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: job, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: job)) ?? []
            files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                .map { URL(fileURLWithPath: job).appendingPathComponent($0).path }
            guard !files.isEmpty else { throw ValidationError("\(job): no job files (*.yaml, *.yml) in this directory") }
        }
        var firstFailure: ExitCode? = nil
        var failed = 0
        for file in files {
            var day: LogicalDate? = nil
            if let date {
                let timeZone = (try? JobSpec.load(path: file))?.timeZone ?? .current  // a bad job file is reported below
                guard let d = LogicalDate(argument: date, in: timeZone) else { throw ValidationError("--date must be YYYY-MM-DD, today or yesterday; got '\(date)'") }
                day = d
            }
            do {
                let report = try runReportingErrors { try JobValidator.validate(path: file, date: day, offline: offline) }
                print(report.lines.joined(separator: "\n"))
            } catch let code as ExitCode {
                if firstFailure == nil { firstFailure = code }
                failed += 1
            }
        }
        if files.count > 1 {
            print("\(files.count) job files: \(files.count - failed) valid, \(failed) invalid")
        }
        if let firstFailure { throw firstFailure }
    }
}
