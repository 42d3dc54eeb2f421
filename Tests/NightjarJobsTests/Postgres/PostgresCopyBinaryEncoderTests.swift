import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// The sink's binary COPY stream, read back by a real server: keys, predictions, NULLs and dates
/// arrive as written; what has no plain binary form falls back to text; and a job writes to
/// PostgreSQL exactly the doubles it writes to SQLite.
@Suite(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN (scripts/test.sh starts a server)"))
struct PostgresCopyBinaryEncoderTests {
    let layout = OutputLayout(keyColumns: [("id", 0)],
                              predictions: [OutputColumn(name: "probability", role: .probability(0)),
                                            OutputColumn(name: "label", role: .label)],
                              float32Values: false)

    func chunk(_ ids: [String], _ values: [Double]) -> ScoredChunk {
        var b = TextBatch(columnCount: 1)
        for id in ids { b.bytes.append(contentsOf: id.utf8); b.endField(); b.endRow() }
        return ScoredChunk(batch: b, values: values, firstRowNumber: 1)
    }

    func copy(_ bytes: [UInt8], into table: String, _ c: PostgresConnection) throws {
        try c.copyIn("COPY \(table) FROM STDIN (FORMAT binary)") { send in
            var bytes = bytes
            try bytes.withUnsafeMutableBytes { try send(UnsafeRawBufferPointer($0)) }
        }
    }

    @Test func textKeysDoublesNullsAndTheDateReadBackAsWritten() throws {
        let c = try PostgresTestServer.connect()
        let t = PostgresTestServer.name("bin")
        try c.execute("CREATE TABLE \(t) (id text, probability float8, label int8, logical_date date, lineage_id int4)")
        let encoder = PostgresCopyBinaryEncoder(keys: [.text], predictions: [.float8, .int8])
        var out: [UInt8] = []
        let ids = ["a", "tab\there", "back\\slash", "", "ünï"]
        let values: [Double] = [0.1, 0, 1.0 / 3.0, 1, .nan, 0, 0.5, 1, -0.0, 7]
        #expect(encoder.encode(chunk(ids, values), layout: layout, lineageID: 42,
                               date: PostgresCopyBinaryEncoder.days(sinceEpochOf: "2026-12-05"), into: &out))
        try copy(out, into: t, c)
        let rows = try c.execute("SELECT coalesce(id, 'NULL'), coalesce(probability::text, 'NULL'), label::text, logical_date::text, lineage_id::text FROM \(t) ORDER BY 1").rows
        #expect(rows == [["NULL", "0.5", "1", "2026-12-05", "42"],
                         ["a", "0.1", "0", "2026-12-05", "42"],
                         ["back\\slash", "NULL", "0", "2026-12-05", "42"],
                         ["tab\there", "0.3333333333333333", "1", "2026-12-05", "42"],
                         ["ünï", "-0", "7", "2026-12-05", "42"]])
        try c.execute("DROP TABLE \(t)")
    }

    @Test func integerKeysAreSentAsIntegersAndAnUnparsableOneFallsBackToText() throws {
        let c = try PostgresTestServer.connect()
        let t = PostgresTestServer.name("binint")
        try c.execute("CREATE TABLE \(t) (id int8, probability float4, label int2, lineage_id int4)")
        let encoder = PostgresCopyBinaryEncoder(keys: [.int8], predictions: [.float4, .int2])
        var out: [UInt8] = []
        #expect(encoder.encode(chunk(["9223372036854775807", "-12", "+3"], [0.25, 1, 0.5, 0, 0.75, 1]),
                               layout: layout, lineageID: 1, date: nil, into: &out))
        try copy(out, into: t, c)
        #expect(try c.execute("SELECT id::text, probability::text, label::text FROM \(t) ORDER BY id").rows
                == [["-12", "0.5", "0"], ["3", "0.75", "1"], ["9223372036854775807", "0.25", "1"]])
        // Not an integer, too large, a label outside smallint: nothing appended, the caller writes text.
        var kept: [UInt8] = [1, 2, 3]
        #expect(!encoder.encode(chunk(["1", "12a"], [0.1, 0, 0.2, 0]), layout: layout, lineageID: 1, date: nil, into: &kept))
        #expect(!encoder.encode(chunk(["9223372036854775808"], [0.1, 0]), layout: layout, lineageID: 1, date: nil, into: &kept))
        #expect(!encoder.encode(chunk(["1"], [0.1, 40000]), layout: layout, lineageID: 1, date: nil, into: &kept))
        #expect(kept == [1, 2, 3])
        try c.execute("DROP TABLE \(t)")
    }

    @Test func daysCountFromPostgresEpochAsTheServerDoes() throws {
        let c = try PostgresTestServer.connect()
        for date in ["2000-01-01", "1999-12-31", "1970-01-01", "2000-02-29", "2026-12-05", "2100-03-01", "1600-02-29"] {
            let server = try c.execute("SELECT ($1::date - '2000-01-01'::date)::text", [date]).string(0, 0)
            #expect(PostgresCopyBinaryEncoder.days(sinceEpochOf: date).map(String.init) == server, "\(date)")
        }
        #expect(PostgresCopyBinaryEncoder.days(sinceEpochOf: "2026-13-01") == nil)
        #expect(PostgresCopyBinaryEncoder.days(sinceEpochOf: "yesterday") == nil)
    }

    /// The same job into SQLite and into PostgreSQL: every probability bit for bit equal, for a
    /// model that computes in double (LightGBM) and one that computes in float32 (XGBoost).
    @Test(arguments: ["churn/churn_lgbm.txt", "churn/churn_xgb.json"])
    func aJobWritesTheSameDoublesToPostgresAsToSQLite(model: String) throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("same")
        let dir = temporaryDirectory()
        func job(_ sink: String) throws -> JobSpec {
            let yaml = """
                name: bin-\(UUID().uuidString.prefix(6).lowercased())
                model: \(fixture(model))
                source: { csv: \(fixture("churn/score_input.csv")) }
                key: customer_id
                chunk_rows: 300
                sink: \(sink)
                """
            let path = dir.appendingPathComponent("job-\(UUID().uuidString.prefix(6)).yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            return try JobSpec.load(path: path)
        }
        let date = LogicalDate("2026-12-05")!
        try RunExecutor(job: try job("{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }")).run(RunOptions(date: date))
        let db = dir.appendingPathComponent("out.db").path
        try RunExecutor(job: try job("{ sqlite: { path: \(db), table: scores } }")).run(RunOptions(date: date))
        // float8 text from PostgreSQL 12+ is the shortest exact form (Double(text) gives back its
        // bits); SQLite's doubles are read as doubles (its own text form keeps 15 digits).
        let pg = try c.execute("SELECT customer_id, probability::text, label::text FROM \(out) ORDER BY customer_id").rows
        var lite: [[String?]] = []
        let statement = try SQLiteDatabase(path: db, readOnly: true).prepare("SELECT customer_id, probability, label FROM scores")
        while try statement.step() {
            lite.append([statement.string(at: 0), "\(statement.double(at: 1))", "\(statement.int(at: 2))"])
        }
        #expect(pg.count == 1000 && lite.count == 1000)
        func bits(_ rows: [[String?]]) -> [String: [UInt64?]] {
            Dictionary(rows.map { ($0[0] ?? "", [$0[1].flatMap(Double.init)?.bitPattern, $0[2].flatMap(UInt64.init)]) }) { a, _ in a }
        }
        let (p, l) = (bits(pg), bits(lite))
        let differing = p.keys.sorted().filter { key in p[key] != l[key] }
        let pgRows = Dictionary(pg.map { row in (row[0] ?? "", row) }) { a, _ in a }
        let liteRows = Dictionary(lite.map { row in (row[0] ?? "", row) }) { a, _ in a }
        let examples = differing.prefix(2).map { key in "\(pgRows[key] ?? []) vs \(liteRows[key] ?? [])" }
        #expect(p.count == 1000 && differing.isEmpty, "\(differing.count) differ, e.g. \(examples)")
        try PostgresTableWriter.dropOutput(out, connection: c)
    }
}
