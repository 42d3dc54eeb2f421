import Foundation
import Testing

/// `nightjar validate` says what a run would meet: missing versions, model files and bad cron
/// strings are errors with their exit status; `--offline` lints without source or database; a
/// directory validates every job in it.
@Suite struct ValidateCommandTests {
    let cli = CLITests()

    func job(_ body: String) throws -> URL {
        let dir = cli.temporaryDirectory()
        let file = dir.appendingPathComponent("job.yaml")
        try body.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    static let registry = CLITests.root.appendingPathComponent("models").path
    static let input = CLITests.root.appendingPathComponent("fixtures/churn/score_input.csv").path

    @Test func aVersionNotInTheRegistryIsAnError() throws {
        let file = try job("""
            name: v
            model: churn@7
            registry: \(Self.registry)
            source: { csv: \(Self.input) }
            sink: { sqlite: { path: out.db, table: s } }
            """)
        for offline in [false, true] {
            let r = try cli.run(["validate", file.path] + (offline ? ["--offline"] : []))
            #expect(r.status == 78, "\(r.stdout)\(r.stderr)")
            #expect(r.stderr.hasPrefix("error: \(file.path): ") && r.stderr.contains("no version 7 of churn"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func aMissingModelFileIsOneClearLine() throws {
        let file = try job("""
            name: m
            model: { path: nope/model.json }
            source: { csv: \(Self.input) }
            sink: { sqlite: { path: out.db, table: s } }
            """)
        let r = try cli.run(["validate", file.path, "--offline"])
        #expect(r.status == 78)
        #expect(r.stderr.contains("nope/model.json: no such file") && !r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func aBadCronStringIsAnErrorNamingTheLine() throws {
        let file = try job("""
            name: c
            model: churn@1
            registry: \(Self.registry)
            source: { csv: \(Self.input) }
            sink: { sqlite: { path: out.db, table: s } }
            schedule:
              cron: "61 2 * * *"
            """)
        let r = try cli.run(["validate", file.path, "--offline"])
        #expect(r.status == 78)
        #expect(r.stderr.hasPrefix("error: \(file.path):7: 'schedule.cron'"), "\(r.stderr)")
    }

    /// The shipped jobs lint with no database, no DSN and no input: only the file, the model and
    /// its bundle are read.
    @Test func theShippedJobsValidateOffline() throws {
        let r = try cli.run(["validate", "--offline", "jobs"], environment: ["NIGHTJAR_PG_DSN": "", "PGHOST": "/nonexistent"])
        #expect(r.status == 0, "\(r.stderr)")
        let count = try FileManager.default.contentsOfDirectory(atPath: CLITests.root.appendingPathComponent("jobs").path)
            .filter { $0.hasSuffix(".yaml") }.count
        #expect(r.stdout.contains("\(count) job files: \(count) valid, 0 invalid"))
        #expect(r.stdout.contains("aliases are not looked up offline"))
    }

    /// A directory: every job is checked even after one fails; the status is the first failure's.
    @Test func aDirectoryValidatesEveryJob() throws {
        let dir = cli.temporaryDirectory()
        try "name: a\nmodel: churn@1\nregistry: \(Self.registry)\nsource: { csv: \(Self.input) }\nsink: { sqlite: { path: o.db, table: s } }\n"
            .write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "name: b\nmodel: churn@1\nsource: { csv: x.csv }\nsink: { sqlite: { path: o.db } }\nbogus: 1\n"
            .write(to: dir.appendingPathComponent("b.yml"), atomically: true, encoding: .utf8)
        let r = try cli.run(["validate", dir.path, "--offline"])
        #expect(r.status == 78)
        #expect(r.stdout.contains("job a: ") && r.stdout.contains("2 job files: 1 valid, 1 invalid"))
        #expect(r.stderr.contains("b.yml:5: 'bogus'"))
    }

    @Test func onlineValidationNeedsTheInput() throws {
        let dir = cli.temporaryDirectory()
        let file = try job("""
            name: i
            model: churn@1
            registry: \(Self.registry)
            source: { csv: "\(dir.path)/{{ ds }}.csv" }
            sink: { sqlite: { path: out.db, table: s } }
            """)
        let r = try cli.run(["validate", file.path, "--date", "2026-11-28"])
        #expect(r.status == 75, "input not there yet: \(r.stderr)")
        #expect(try cli.run(["validate", file.path, "--date", "2026-11-28", "--offline"]).status == 0)
    }
}
