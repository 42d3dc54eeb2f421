import Foundation
import Testing
import NightjarIO

/// A password in a malformed connection string never reaches any output: stderr, the run store,
/// `runs show`, the HTML report, the metrics file.
@Suite(.serialized) struct SecretTests {
    static let password = "NjPa55wordXYZZY"

    /// Connection strings libpq cannot parse, or whose parse errors quote the text around the
    /// fault, each holding the planted password (or a fragment of it around a space).
    static let malformed = [
        "host=/nonexistent password=NjPa55 wordXYZZY dbname=x",
        "postgresql://nightjar:NjPa55w@rdXYZZY@localhost/db",
        "host=/nonexistent password='NjPa55wordXYZZY dbname=x",
        "postgresql://nightjar:NjPa55wordXYZZY@[::1/db",
        "host=/nonexistent dbname=x password=NjPa55wordXYZZY port=notaport",
        "host=/nonexistent dbname=x password=NjPa55wordXYZZY",
    ]

    func run(_ arguments: [String], dsn: String, in dir: URL) throws -> CLITests.Result {
        try CLITests().run(arguments, in: dir, environment: ["NIGHTJAR_SECRET_DSN": dsn, "PGCONNECT_TIMEOUT": "2"])
    }

    /// True when `text` holds the password or a piece of it of 5 characters or more.
    func leaks(_ text: String) -> Bool {
        let pieces = ["NjPa55", "wordXYZZY", "XYZZY", "rdXYZZY", SecretTests.password]
        return pieces.contains { text.contains($0) }
    }

    @Test(arguments: SecretTests.malformed)
    func aPasswordInAMalformedConnectionStringIsNeverShown(_ dsn: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let yaml = """
            name: secret-test
            model: \(CLITests.root.appendingPathComponent("fixtures/churn/churn_xgb.json").path)
            source: { postgres: { dsn_env: NIGHTJAR_SECRET_DSN, query: "SELECT * FROM churn_input", key: customer_id } }
            key: customer_id
            sink: { sqlite: { path: out.db, table: scores } }
            metrics: { textfile: metrics.prom }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let r = try run(["run", "job.yaml", "--date", "2026-11-28"], dsn: dsn, in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("cannot connect"), "\(r.stderr)")
        #expect(!leaks(r.stderr), "stderr: \(r.stderr)")
        #expect(!leaks(r.stdout), "stdout: \(r.stdout)")
        // The run store: every column of every run-store table.
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
        let tables = try db.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0[0] }
        #expect(tables.contains("nightjar_runs"))
        for table in tables {
            for row in try db.query("SELECT * FROM \(SQLiteDatabase.quote(table))") {
                #expect(!leaks(row.compactMap { $0 }.joined(separator: " ")), "\(table): \(row)")
            }
        }
        let runID = try #require(try db.query("SELECT run_id FROM nightjar_runs").first?[0] ?? nil)
        let error = try db.query("SELECT error FROM nightjar_runs").first?[0] ?? nil
        #expect(error?.contains("cannot connect") == true, "\(error ?? "nil")")
        // What operators look at afterwards.
        let show = try run(["runs", "show", runID, "--job", "job.yaml"], dsn: dsn, in: dir)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(!leaks(show.stdout + show.stderr))
        let report = try run(["report", runID, "--job", "job.yaml", "--html", "report.html"], dsn: dsn, in: dir)
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(!leaks(html))
        if let metrics = try? String(contentsOf: dir.appendingPathComponent("metrics.prom"), encoding: .utf8) {
            #expect(!leaks(metrics))
        }
    }

    @Test func aPasswordInAnyCaseInAJobFileIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for literal in ["PASSWORD = NjPa55wordXYZZY host=db", "Password=NjPa55wordXYZZY"] {
            let yaml = """
                name: secret-test
                model: \(CLITests.root.appendingPathComponent("fixtures/churn/churn_xgb.json").path)
                source: { csv: in.csv }
                sink: { postgres: { service: "\(literal)", table: scores } }
                """
            try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
            let r = try run(["validate", "job.yaml"], dsn: "", in: dir)
            #expect(r.status != 0)
            #expect(r.stderr.contains("holds a literal password"), "\(r.stderr)")
            #expect(!leaks(r.stderr))
        }
    }
}
