import Foundation
import NightjarIO
import Testing

/// A run store damaged by hand or by another tool: a NULL, or a value of the wrong type, planted
/// in each column of each run-store table after a real run. `nightjar runs`, `runs show` (text
/// and JSON) and `report` end with status 0 or one clean line (78, naming table and column), and
/// never with a signal; `runs` leaves an unreadable run out with a warning and lists the rest.
@Suite(.serialized) struct RunStoreDamageTests {
    let cli = CLITests()

    /// The run-store tables of a SQLite state file (the sink's own tables included: same file).
    static let tables = ["nightjar_runs", "nightjar_chunks", "nightjar_shards", "nightjar_rejects", "nightjar_feature_stats",
                        "nightjar_shadow_comparisons", "nightjar_model_aliases", "nightjar_alias_events", "nightjar_publications",
                        "nightjar_lineage"]

    struct Outcome {
        var status: Int32
        /// Ended by a signal (a trap, a crash) rather than by exit.
        var signaled: Bool
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], in directory: URL) throws -> Outcome {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: e, as: UTF8.self)
        SanitizerReport.check(stderr: stderr, status: process.terminationStatus)
        return Outcome(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                       stdout: String(decoding: o, as: UTF8.self), stderr: stderr)
    }

    /// A run of churn@champion (alias set by `models promote`) with a shadow challenger, as shard
    /// 1/1, over the churn fixture with three rows out of the contract: a row in every table.
    func realRun() throws -> (dir: URL, runID: String) {
        let dir = cli.temporaryDirectory()
        let fixture = try String(contentsOf: CLITests.root.appendingPathComponent("fixtures/churn/score_input.csv"), encoding: .utf8)
        var lines = fixture.split(separator: "\n").map(String.init)
        for i in [6, 51, 501] {  // age 500
            var fields = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[1] = "500"
            lines[i] = fields.joined(separator: ",")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: damage-test
            model: churn@champion
            registry: \(CLITests.root.appendingPathComponent("models").path)
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 100
            challengers: [churn@2]
            sink: { sqlite: { path: out.db, table: scores } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let promote = try run(["models", "promote", "churn", "1", "--job", "job.yaml"], in: dir)
        #expect(promote.status == 0, "\(promote.stderr)")
        let r = try run(["run", "job.yaml", "--date", "2026-11-28", "--shard", "1/1", "--quiet"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path)
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for table in Self.tables {
            #expect(try db.query("SELECT count(*) FROM \(table)")[0][0] != "0", "\(table) is empty after the run")
        }
        let runID = try #require(try db.query("SELECT run_id FROM nightjar_runs").first?[0] ?? nil)
        return (dir, runID)
    }

    /// A copy of the run's directory (job file, state file) with `value` planted in one row of
    /// `table`.`column`; a NOT NULL constraint is dropped from the schema first to plant NULL.
    func plant(_ value: String, in table: String, column: String, notNull: Bool, from source: URL) throws -> URL {
        let dir = cli.temporaryDirectory()
        for file in ["job.yaml", "out.db"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        let path = dir.appendingPathComponent("out.db").path
        if value == "NULL" && notNull {
            let db = try SQLiteDatabase(path: path)
            try db.execute("""
                PRAGMA writable_schema = ON;
                UPDATE sqlite_master SET sql = replace(sql, 'NOT NULL', '') WHERE type = 'table' AND name = '\(table)';
                PRAGMA writable_schema = OFF;
                """)
        }
        try SQLiteDatabase(path: path).execute("UPDATE \(table) SET \(column) = \(value) WHERE rowid = (SELECT min(rowid) FROM \(table))")
        return dir
    }

    /// Every command's outcome over a damaged store: exit 0, or 78 with one `error:` line; no signal.
    /// `models` too where the damage is in the alias tables (only they read them). Returns how
    /// many commands refused the store (78).
    func check(_ dir: URL, runID: String, damage: String, models: Bool = false) throws -> Int {
        var refused = 0
        var commands = [["runs", "--job", "job.yaml"], ["runs", "--job", "job.yaml", "--json"],
                        ["runs", "show", runID, "--job", "job.yaml"], ["runs", "show", runID, "--job", "job.yaml", "--json"],
                        ["report", runID, "--job", "job.yaml", "--html", "report.html"]]
        if models { commands += [["models", "list", "--job", "job.yaml"], ["models", "history", "churn", "--job", "job.yaml"]] }
        for command in commands {
            let r = try run(command, in: dir)
            let what = "\(damage): nightjar \(command.joined(separator: " "))"
            #expect(!r.signaled && r.status < 128, "\(what) ended by signal \(r.status): \(r.stderr.suffix(600))")
            guard !r.signaled else { continue }
            let lines = r.stderr.split(separator: "\n")
            if command[0] == "runs" && command[1] == "--job" {
                // The list never fails for one row: the run is left out and named on stderr.
                #expect(r.status == 0, "\(what) exited \(r.status): \(r.stderr)")
                #expect(lines.allSatisfy { $0.hasPrefix("warning: left out of the list: ") && ($0.contains("nightjar_runs.") || $0.contains("nightjar.runs.")) }, "\(what): \(r.stderr)")
                if !lines.isEmpty {
                    #expect(!r.stdout.contains(runID) && lines.count == 1, "\(what): \(r.stdout)")
                }
            } else if r.status != 0 {
                refused += 1
                #expect(r.status == 78, "\(what) exited \(r.status): \(r.stderr)")
                #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "\(what): \(r.stderr)")
            }
            if r.status == 0 && command.contains("--json") {
                #expect((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) != nil, "\(what): not JSON: \(r.stdout.prefix(300))")
            }
        }
        return refused
    }

    @Test func aNullOrBadValueInAnyRunStoreColumnIsAnErrorNotACrash() throws {
        let (source, runID) = try realRun()
        #expect(try check(source, runID: runID, damage: "undamaged") == 0)

        let db = try SQLiteDatabase(path: source.appendingPathComponent("out.db").path, readOnly: true)
        var plants = 0, refused = 0
        for table in Self.tables {
            for column in try db.query("SELECT name, type, \"notnull\", pk FROM pragma_table_info('\(table)')") {
                let name = column[0]!, type = column[1] ?? "", notNull = column[2] == "1"
                // An INTEGER PRIMARY KEY is the rowid: it cannot hold NULL or text.
                if type == "INTEGER" && column[3] == "1" { continue }
                for value in ["NULL", "'x'"] {
                    let dir = try plant(value, in: table, column: name, notNull: notNull, from: source)
                    let damage = "\(value) in \(table).\(name)"
                    let n = try check(dir, runID: runID, damage: damage, models: table.contains("alias"))
                    plants += 1
                    refused += n
                    // A value the run's own row needs: `runs show` says which, in one line.
                    if table == "nightjar_runs" && value == "NULL" && ["job", "logical_date", "trigger", "status", "started_at"].contains(name) {
                        let r = try run(["runs", "show", runID, "--job", "job.yaml"], in: dir)
                        #expect(r.status == 78 && r.stderr.contains("nightjar_runs.\(name) of run \(runID) is NULL"), "\(damage): \(r.stderr)")
                        // (Without its job, the run is not the job's: `runs --job` does not select it.)
                        let list = try run(["runs", "--job", "job.yaml"], in: dir)
                        #expect(name == "job" || list.stderr.contains(runID) && list.stderr.contains("nightjar_runs.\(name)"), "\(damage): \(list.stderr)")
                    }
                    if table == "nightjar_chunks" && value == "'x'" && name == "seconds" {
                        let show = try run(["runs", "show", runID, "--job", "job.yaml", "--json"], in: dir)
                        #expect(show.status == 78 && show.stderr.contains("nightjar_chunks.seconds of the row with run_id \(runID), shard 1, chunk 0 holds 'x', not a number"),
                                "\(damage): \(show.stderr)")
                    }
                    try? FileManager.default.removeItem(at: dir)
                }
            }
        }
        #expect(plants > 200, "\(plants) values planted")
        #expect(refused > 50, "only \(refused) commands refused a damaged store")
    }

    /// The same over a PostgreSQL run store, where types and NOT NULL are enforced: NULL in each
    /// nullable column, 'x' in each text column, NaN in each double column of the run's rows of
    /// the tables `runs`, `runs show` and `report` read (restored after each plant; the alias
    /// tables are shared by every job of the server and left alone).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"] != nil, "needs NIGHTJAR_TEST_PG_DSN"))
    func aNullOrBadValueInThePostgresRunStoreIsAnErrorNotACrash() throws {
        let dsn = ProcessInfo.processInfo.environment["NIGHTJAR_TEST_PG_DSN"] ?? ""
        let (dir, _) = try realRun()
        let name = "damage-pg-\(UUID().uuidString.prefix(8).lowercased())"
        let yaml = try String(contentsOf: dir.appendingPathComponent("job.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "name: damage-test", with: "name: \(name)")
            .replacingOccurrences(of: "model: churn@champion", with: "model: churn@1")
            + "\nstate: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN } }\n"
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let r = try run(["run", "job.yaml", "--date", "2026-11-28", "--shard", "1/1", "--quiet"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let c = try PostgresConnection(conninfo: dsn, name: "test")
        let runID = try #require(c.execute("SELECT run_id FROM nightjar.runs WHERE job = $1", [name]).string(0, 0))
        #expect(try check(dir, runID: runID, damage: "undamaged") == 0)

        var plants = 0, refused = 0
        for table in ["runs", "chunks", "shards", "rejects", "feature_stats", "shadow_comparisons"] {
            #expect(try c.execute("SELECT count(*) FROM nightjar.\(table) WHERE run_id = $1", [runID]).string(0, 0) != "0", "\(table)")
            let keys = Set(try c.execute("""
                SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = 'nightjar.\(table)'::regclass AND i.indisprimary
                """).rows.compactMap { $0[0] })
            let columns = try c.execute("""
                SELECT column_name, is_nullable, data_type FROM information_schema.columns
                WHERE table_schema = 'nightjar' AND table_name = $1 ORDER BY ordinal_position
                """, [table]).rows
            for column in columns {
                let col = column[0]!, nullable = column[1] == "YES", type = column[2] ?? ""
                if keys.contains(col) || col == "job" { continue }
                var values: [String] = []
                if nullable { values.append("NULL") }
                if type == "text" { values.append("'x'") }
                if type == "double precision" { values.append("'NaN'") }
                for value in values {
                    let backup = "damage_backup_\(UUID().uuidString.prefix(8).lowercased())"
                    try c.execute("CREATE TABLE \(backup) AS SELECT * FROM nightjar.\(table) WHERE run_id = $1", [runID])
                    try c.execute("UPDATE nightjar.\(table) SET \(col) = \(value) WHERE run_id = $1", [runID])
                    let damage = "\(value) in nightjar.\(table).\(col)"
                    refused += try check(dir, runID: runID, damage: damage)
                    plants += 1
                    try c.execute("BEGIN")
                    try c.execute("DELETE FROM nightjar.\(table) WHERE run_id = $1", [runID])
                    try c.execute("INSERT INTO nightjar.\(table) SELECT * FROM \(backup)")
                    try c.execute("DROP TABLE \(backup)")
                    try c.execute("COMMIT")
                }
            }
        }
        #expect(try check(dir, runID: runID, damage: "restored") == 0)
        #expect(plants > 40, "\(plants) values planted")
        #expect(refused > 10, "only \(refused) commands refused a damaged store")
    }
}
