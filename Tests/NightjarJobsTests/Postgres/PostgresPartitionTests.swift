import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// The partitioned output layout: a view over `nightjar."rows__<schema>.<table>"` and
/// `nightjar.lineage`, dates published by ATTACH/DETACH, old-style tables migrated.
@Suite(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN (scripts/test.sh starts a server)"))
struct PostgresPartitionTests {
    func job(sink table: String, extra: String = "", chunkRows: Int = 300) throws -> JobSpec {
        let dir = temporaryDirectory()
        let yaml = """
            name: pgpart-\(UUID().uuidString.prefix(6).lowercased())
            model: \(fixture("churn/churn_lgbm.txt"))
            source: { csv: \(fixture("churn/score_input.csv")) }
            key: customer_id
            chunk_rows: \(chunkRows)
            sink: { postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(table) } }
            \(extra)
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        return try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
    }

    func partitions(_ c: PostgresConnection, base: String) throws -> [String] {
        try c.execute("SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1",
                      [base]).rows.compactMap { $0[0] }
    }

    @Test func aRerunSwapsThePartitionAtomicallyForAConcurrentReaderAndDropsTheOldOne() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("swap")
        let spec = try job(sink: out)
        let date = LogicalDate("2026-11-28")!
        let first = try RunExecutor(job: spec).run(RunOptions(date: date))
        // A reader on its own connection, querying the view as fast as it can through the second run and its publish.
        nonisolated(unsafe) let reader = try PostgresTestServer.connect()
        let seen = Observations()
        let done = DispatchSemaphore(value: 0)
        let stop = Flag()
        Thread {
            while !stop.isSet {
                let r = (try? reader.execute("SELECT count(*), count(DISTINCT run_id), min(run_id) FROM \(out) WHERE logical_date = '2026-11-28'").rows.first) ?? nil
                seen.add(r.map { $0.map { $0 ?? "NULL" }.joined(separator: " ") } ?? "error")
            }
            done.signal()
        }.start()
        let second = try RunExecutor(job: spec).run(RunOptions(date: date))
        Thread.sleep(forTimeInterval: 0.2)
        stop.set()
        done.wait()
        let observed = Set(seen.values)
        #expect(observed.isSubset(of: ["1000 1 \(first.runID)", "1000 1 \(second.runID)"]), "\(observed)")
        #expect(observed.contains("1000 1 \(second.runID)") && seen.values.count > 10)
        // One partition, the second run's; the first one detached and dropped, nothing left retired.
        let base = try PostgresOutputTable.resolve(out, connection: c).quotedBase
        #expect(try partitions(c, base: base) == [PostgresOutputTable.partitionName(date: "2026-11-28", runID: second.runID, suffix: "")])
        #expect(try c.execute("SELECT to_regclass($1)", ["nightjar." + PostgresOutputTable.partitionName(date: "2026-11-28", runID: first.runID, suffix: "")]).string(0, 0) == nil)
        #expect(try c.execute("SELECT count(*) FROM nightjar.retired WHERE output = $1", [try PostgresOutputTable.resolve(out, connection: c).lineageName]).string(0, 0) == "0")
        #expect(try c.execute("SELECT count(*) FROM nightjar.publications WHERE run_id IN ($1, $2)", [first.runID, second.runID]).string(0, 0) == "2")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }

    @Test func theViewPrunesPartitionsAndSkipsTheLineageJoinWhenNotAskedFor() throws {
        let c = try PostgresTestServer.connect()
        let out = "analytics." + PostgresTestServer.name("prune")
        let spec = try job(sink: out)
        for day in ["2026-11-26", "2026-11-27", "2026-11-28"] { try RunExecutor(job: spec).run(RunOptions(date: LogicalDate(day)!)) }
        let plan = try c.execute("EXPLAIN SELECT * FROM \(out) WHERE logical_date = '2026-11-27'").rows.compactMap { $0[0] }.joined(separator: "\n")
        #expect(plan.contains("part__20261127__") && !plan.contains("part__20261126__") && !plan.contains("part__20261128__"), "\(plan)")
        let keysOnly = try c.execute("EXPLAIN SELECT customer_id, probability FROM \(out) WHERE logical_date = '2026-11-27'").rows.compactMap { $0[0] }.joined(separator: "\n")
        #expect(!keysOnly.contains("lineage"), "\(keysOnly)")
        #expect(try c.execute("SELECT logical_date::text, count(*), count(DISTINCT run_id) FROM \(out) GROUP BY 1 ORDER BY 1").rows
                == [["2026-11-26", "1000", "1"], ["2026-11-27", "1000", "1"], ["2026-11-28", "1000", "1"]])
        // The columns analysts had, in order, with their types.
        let columns = try c.execute("SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = $1 ORDER BY ordinal_position",
                                    [String(out.dropFirst("analytics.".count))]).rows.map { "\($0[0]!) \($0[1]!)" }
        #expect(columns == ["customer_id text", "probability double precision", "label bigint", "logical_date date", "run_id text",
                            "model_name text", "model_version text", "model_sha256 text"])
        try PostgresTableWriter.dropOutput(out, connection: c)
    }

    @Test func anOldStyleTableIsMigratedOnceAndItsRowsStayReadable() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("legacy")
        try c.execute("""
            CREATE TABLE \(out) (customer_id text, probability double precision, label bigint, logical_date date NOT NULL, run_id text NOT NULL,
                model_name text NOT NULL, model_version text NOT NULL, model_sha256 text NOT NULL);
            CREATE INDEX \(out)_logical_date_idx ON \(out) (logical_date);
            INSERT INTO \(out) SELECT 'C' || (100000 + g), g / 1000.0, g % 2, DATE '2026-11-20' + (g % 3), 'old-run-' || (g % 3), 'churn', '0', repeat('a', 64)
            FROM generate_series(1, 600) g;
            """)
        let spec = try job(sink: out)
        let record = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(record.status == .succeeded)
        #expect(try c.execute("SELECT relkind::text FROM pg_class WHERE oid = $1::regclass", [out]).string(0, 0) == "v")
        let byDate = try c.execute("SELECT logical_date::text, run_id, count(*) FROM \(out) GROUP BY 1, 2 ORDER BY 1").rows
        #expect(byDate == [["2026-11-20", "old-run-0", "200"], ["2026-11-21", "old-run-1", "200"], ["2026-11-22", "old-run-2", "200"],
                           ["2026-11-28", record.runID, "1000"]])
        #expect(try c.execute("SELECT probability, label, model_sha256 FROM \(out) WHERE customer_id = 'C100007' AND logical_date = '2026-11-21'").rows
                == [["0.007", "1", String(repeating: "a", count: 64)]])
        #expect(try c.execute("SELECT rows, dates FROM nightjar.migrations WHERE output = $1", [try PostgresOutputTable.resolve(out, connection: c).lineageName]).rows == [["600", "3"]])
        // A rerun of a migrated date replaces it like any other.
        let rerun = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-21")!))
        #expect(try c.execute("SELECT run_id, count(*) FROM \(out) WHERE logical_date = '2026-11-21' GROUP BY 1").rows == [[rerun.runID, "1000"]])
        #expect(try c.execute("SELECT count(*) FROM \(out)").string(0, 0) == "2400")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }

    @Test func aPartitionLeftDetachedByACrashIsDroppedByTheNextRun() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("orphan")
        let spec = try job(sink: out)
        let first = try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-28")!))
        // What a process killed between the publish's COMMIT and its DROP leaves: a detached partition, recorded as retired.
        let base = try PostgresOutputTable.resolve(out, connection: c).quotedBase
        let part = "nightjar." + PostgresOutputTable.quote(PostgresOutputTable.partitionName(date: "2026-11-28", runID: first.runID, suffix: ""))
        try c.execute("BEGIN")
        try c.execute("ALTER TABLE \(base) DETACH PARTITION \(part)")
        try c.execute("INSERT INTO nightjar.retired (table_name, output, logical_date, run_id) VALUES ($1, $2, '2026-11-28', 'crashed')", [part, try PostgresOutputTable.resolve(out, connection: c).lineageName])
        try c.execute("COMMIT")
        #expect(try c.execute("SELECT count(*) FROM \(out)").string(0, 0) == "0", "a detached partition is not visible")
        try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-29")!))
        #expect(try c.execute("SELECT to_regclass($1)", [part]).string(0, 0) == nil)
        #expect(try c.execute("SELECT count(*) FROM nightjar.retired WHERE table_name = $1", [part]).string(0, 0) == "0")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }

    @Test func appendRunsOfOtherDatesRunAtOnceAndAppendToAReplacedPartition() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("app")
        let spec = try job(sink: out, extra: "write_mode: append", chunkRows: 100)
        let errors = Observations()
        let group = DispatchGroup()
        for day in ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"] {
            group.enter()
            Thread {
                do { try RunExecutor(job: spec).run(RunOptions(date: LogicalDate(day)!)) } catch { errors.add("\(error)") }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(errors.values.isEmpty, "\(errors.values)")
        try RunExecutor(job: spec).run(RunOptions(date: LogicalDate("2026-11-27")!))
        #expect(try c.execute("SELECT logical_date::text, count(*), count(DISTINCT run_id) FROM \(out) GROUP BY 1 ORDER BY 1").rows
                == [["2026-11-24", "1000", "1"], ["2026-11-25", "1000", "1"], ["2026-11-26", "1000", "1"], ["2026-11-27", "2000", "2"]])
        // A replace_partition run of a date that append runs filled: the appended rows are replaced.
        let replace = try job(sink: out)
        let r = try RunExecutor(job: replace).run(RunOptions(date: LogicalDate("2026-11-27")!))
        #expect(try c.execute("SELECT count(*), min(run_id) FROM \(out) WHERE logical_date = '2026-11-27'").rows == [["1000", r.runID]])
        try PostgresTableWriter.dropOutput(out, connection: c)
    }
}

/// Values collected from several threads.
final class Observations: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
