import Dispatch
import Foundation
import Testing
import NightjarIO
@testable import NightjarJobs

/// The SQLite output layout: rows written once into a rows table, lineage stored once per run, the
/// table analysts query a view of the published rows; earlier versions' tables migrated.
@Suite struct SQLiteDestinationTests {
    func makeJob(table: String = "scores", mode: String = "replace_partition") throws -> (JobSpec, String) {
        let (job, dir) = try RunExecutorTests().makeJob(sink: "sqlite: { path: out.db, table: \(table) }", mode: mode,
                                                        model: "churn/churn_xgb.json", chunkRows: 100)
        return (job, dir.appendingPathComponent("out.db").path)
    }

    func query(_ db: String, _ sql: String) throws -> [[String?]] {
        try SQLiteDatabase(path: db, readOnly: true).query(sql)
    }

    /// Rows stored in every lineage's rows table (visible or not).
    static func storedRows(_ db: String) throws -> Int {
        let database = try SQLiteDatabase(path: db, readOnly: true)
        let tables = try database.query("SELECT rows_table FROM nightjar_lineage").compactMap { $0[0] }
        return try tables.reduce(0) { sum, t in sum + Int(try database.query("SELECT count(*) FROM \"\(t)\"")[0][0]!)! }
    }

    @Test func theOutputIsAViewOverRowsWrittenOnceWithLineageStoredOnce() throws {
        let (job, db) = try makeJob()
        let run = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(try query(db, "SELECT type FROM sqlite_master WHERE name = 'scores'") == [["view"]])
        // Analysts see the same columns as before, lineage included, in one line.
        let columns = try query(db, "SELECT name FROM pragma_table_info('scores')").map { $0[0]! }
        #expect(columns == ["customer_id", "probability", "label", "logical_date", "run_id", "model_name", "model_version", "model_sha256"])
        #expect(try query(db, "SELECT count(*), min(run_id), max(run_id), min(logical_date) FROM scores")
                == [["1000", run.runID, run.runID, "2026-11-28"]])
        // The run's rows table holds keys and predictions only; the lineage is one row for the run.
        let own = try query(db, "SELECT rows_table FROM nightjar_lineage")
        #expect(own.count == 1)
        let stored = try query(db, "SELECT name FROM pragma_table_info('\(own[0][0]!)')").map { $0[0]! }
        #expect(stored == ["customer_id", "probability", "label"])
        #expect(try query(db, "SELECT count(*) FROM \"\(own[0][0]!)\"") == [["1000"]])
        #expect(try query(db, "SELECT count(*), min(state) FROM nightjar_lineage") == [["1", "published"]])
        // The scores equal `nightjar score`'s for the same rows (same writer of values).
        let expected = try String(contentsOfFile: fixture("churn/churn_xgb.expected.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let byKey = Dictionary(uniqueKeysWithValues: try query(db, "SELECT customer_id, probability FROM scores").map { ($0[0]!, Double($0[1]!)!) })
        #expect(byKey.count == expected.count)
        for e in expected { #expect(abs(byKey[String(e[0])]! - Double(e[1])!) < 1e-6) }
        // A date is found through the lineage rows (by primary key); only its own rows table is read.
        let plan = try query(db, "EXPLAIN QUERY PLAN SELECT * FROM scores WHERE logical_date = '2026-11-28'").map { $0.last!! }
        #expect(plan.contains { $0.hasPrefix("SEARCH l USING INTEGER PRIMARY KEY") }, "\(plan)")
    }

    @Test func aRerunReplacesTheDateAndLeavesNoOldRowsBehind() throws {
        let (job, db) = try makeJob()
        _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-29")!))
        let rerun = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(try query(db, "SELECT logical_date, count(*), count(DISTINCT run_id) FROM scores GROUP BY 1")
                == [["2026-11-28", "1000", "1"], ["2026-11-29", "1000", "1"]])
        #expect(try query(db, "SELECT DISTINCT run_id FROM scores WHERE logical_date = '2026-11-28'") == [[rerun.runID]])
        // The replaced rows were dropped, not only hidden.
        #expect(try Self.storedRows(db) == 2000)
        #expect(try query(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'nightjar_rows__scores__%'") == [["2"]])
        #expect(try query(db, "SELECT state, count(*) FROM nightjar_lineage GROUP BY 1") == [["published", "2"]])
    }

    @Test func readersSeeTheOldRowsOrTheNewOnesNeverAMix() throws {
        let (job, db) = try makeJob()
        let first = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        // Another connection reads the date over and over while the rerun writes and publishes.
        let done = Cancellation()
        let seen = Locked<[String]>([])
        let reader = Thread {
            guard let connection = try? SQLiteDatabase(path: db, readOnly: true) else { return }
            while done.requested == nil {
                if let r = try? connection.query("SELECT count(*) || ' ' || count(DISTINCT run_id) || ' ' || min(run_id) FROM scores WHERE logical_date = '2026-11-28'") {
                    seen.mutate { $0.append(r[0][0] ?? "") }
                }
            }
        }
        reader.start()
        let second = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        Thread.sleep(forTimeInterval: 0.05)
        done.cancel(signal: 0)
        Thread.sleep(forTimeInterval: 0.05)
        let observed = Set(seen.value)
        #expect(!observed.isEmpty)
        #expect(observed.isSubset(of: ["1000 1 \(first.runID)", "1000 1 \(second.runID)"]), "\(observed)")
        #expect(observed.contains("1000 1 \(second.runID)"))
    }

    @Test func aTableWrittenByAnEarlierVersionIsMigratedNotDropped() throws {
        let (job, db) = try makeJob()
        // The 0.3 layout: lineage text on every row, an index on logical_date.
        let old = try SQLiteDatabase(path: db)
        try old.execute("""
            CREATE TABLE scores (customer_id TEXT, probability REAL, label INTEGER, logical_date TEXT NOT NULL, run_id TEXT NOT NULL,
                model_name TEXT NOT NULL, model_version TEXT NOT NULL, model_sha256 TEXT NOT NULL);
            CREATE INDEX scores_logical_date ON scores (logical_date);
            INSERT INTO scores VALUES ('A1', 0.25, 0, '2026-11-01', 'old-run-1', 'churn', '1', 'aaaa'),
                                      ('A2', 0.75, 1, '2026-11-01', 'old-run-1', 'churn', '1', 'aaaa'),
                                      ('A3', 0.5, 1, '2026-11-01', 'old-run-1', 'churn_v2', '2', 'bbbb'),
                                      ('B1', 0.125, 0, '2026-11-02', 'old-run-2', 'churn', '1', 'aaaa');
            """)
        let run = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(try query(db, "SELECT type FROM sqlite_master WHERE name = 'scores'") == [["view"]])
        #expect(try query(db, "SELECT customer_id, probability, label, logical_date, run_id, model_name, model_version, model_sha256 FROM scores WHERE logical_date < '2026-11-28' ORDER BY customer_id")
                == [["A1", "0.25", "0", "2026-11-01", "old-run-1", "churn", "1", "aaaa"],
                    ["A2", "0.75", "1", "2026-11-01", "old-run-1", "churn", "1", "aaaa"],
                    ["A3", "0.5", "1", "2026-11-01", "old-run-1", "churn_v2", "2", "bbbb"],
                    ["B1", "0.125", "0", "2026-11-02", "old-run-2", "churn", "1", "aaaa"]])
        #expect(try query(db, "SELECT count(*), min(run_id) FROM scores WHERE logical_date = '2026-11-28'") == [["1000", run.runID]])
        // A rerun of a migrated date replaces it like any other.
        _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-01")!))
        #expect(try query(db, "SELECT count(*), count(DISTINCT run_id) FROM scores WHERE logical_date = '2026-11-01'") == [["1000", "1"]])
        #expect(try query(db, "SELECT count(*) FROM scores WHERE logical_date = '2026-11-02'") == [["1"]])
    }

    /// 0.4's first layout: every lineage's rows in one shared table by rowid range, a view joining
    /// them. The first run moves them into tables of their own (a retired lineage's rows are
    /// dropped by the purge), and the view shows the same rows.
    @Test func theSharedRowsLayoutIsMigrated() throws {
        let (job, db) = try makeJob()
        let old = try SQLiteDatabase(path: db)
        let base: Int64 = 4294967296
        try old.execute("""
            CREATE TABLE nightjar_lineage (id INTEGER PRIMARY KEY, table_name TEXT NOT NULL, logical_date TEXT NOT NULL, run_id TEXT NOT NULL,
                model_name TEXT NOT NULL, model_version TEXT NOT NULL, model_sha256 TEXT NOT NULL, state TEXT NOT NULL);
            INSERT INTO nightjar_lineage VALUES (1, 'scores', '2026-11-01', 'r1', 'churn', '1', 'aaaa', 'published'),
                                                (2, 'scores', '2026-11-02', 'r2', 'churn', '1', 'aaaa', 'retired'),
                                                (3, 'scores', '2026-11-02', 'r3', 'churn', '1', 'aaaa', 'published');
            CREATE TABLE nightjar_rows__scores (customer_id TEXT, probability REAL, label INTEGER);
            INSERT INTO nightjar_rows__scores (rowid, customer_id, probability, label) VALUES
                (\(base), 'A1', 0.25, 0), (\(base + 1), 'A2', 0.75, 1), (\(2 * base), 'OLD', 0.5, 1), (\(3 * base), 'B1', 0.125, 0);
            CREATE VIEW scores AS SELECT r.customer_id, r.probability, r.label, l.logical_date, l.run_id, l.model_name, l.model_version, l.model_sha256
                FROM nightjar_lineage AS l JOIN nightjar_rows__scores AS r ON r.rowid BETWEEN l.id * 4294967296 AND l.id * 4294967296 + 4294967295
                WHERE l.table_name = 'scores' AND l.state = 'published';
            """)
        _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(try query(db, "SELECT customer_id, logical_date, run_id FROM scores WHERE logical_date < '2026-11-28' ORDER BY customer_id")
                == [["A1", "2026-11-01", "r1"], ["A2", "2026-11-01", "r1"], ["B1", "2026-11-02", "r3"]])
        #expect(try query(db, "SELECT count(*) FROM scores WHERE logical_date = '2026-11-28'") == [["1000"]])
        #expect(try query(db, "SELECT count(*) FROM nightjar_rows__scores") == [["0"]], "the shared table keeps the columns only")
        #expect(try query(db, "SELECT count(*) FROM nightjar_lineage WHERE rows_table IS NULL OR state <> 'published'") == [["0"]])
        #expect(try Self.storedRows(db) == 1003)
    }

    @Test func aTableNotWrittenByNightjarIsRefusedAndKept() throws {
        let (job, db) = try makeJob()
        let old = try SQLiteDatabase(path: db)
        try old.execute("CREATE TABLE scores (customer_id TEXT, probability REAL); INSERT INTO scores VALUES ('X', 0.5);")
        #expect(throws: (any Error).self) { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) }
        do {
            try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        } catch {
            #expect("\(error)".contains("table 'scores' exists but was not written by Nightjar"))
        }
        #expect(try query(db, "SELECT * FROM scores") == [["X", "0.5"]])
    }

    /// Runs of other dates writing one file at once (backfill --parallel): each run's rows stay in
    /// its own rowid range, in input order, whichever run appends last.
    @Test func runsOfOtherDatesAtOnceKeepTheirRowsApart() throws {
        let (job, db) = try makeJob()
        let dates = ["2026-11-01", "2026-11-02", "2026-11-03"]
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: dates.count) { i in
            do {
                _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate(dates[i])!))
            } catch {
                failures.mutate { $0.append("\(error)") }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        let input = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false)[0]) }
        for date in dates {
            let own = try query(db, "SELECT rows_table FROM nightjar_lineage WHERE logical_date = '\(date)'")[0][0]!
            let keys = try query(db, "SELECT customer_id FROM \"\(own)\" ORDER BY rowid").map { $0[0]! }
            #expect(keys == input, "\(date)")
        }
        #expect(try query(db, "SELECT count(*) FROM scores") == [["3000"]])
    }

    @Test func appendRowsAreVisibleAsTheyCommit() throws {
        let (job, db) = try makeJob(mode: "append")
        _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        _ = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!, restart: true))
        #expect(try query(db, "SELECT count(*), count(DISTINCT run_id) FROM scores") == [["2000", "2"]])
    }
}

/// A value shared between threads behind a lock (tests only).
final class Locked<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
