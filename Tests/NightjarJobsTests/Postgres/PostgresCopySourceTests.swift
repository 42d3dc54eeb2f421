import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// The text COPY decoder and the placeholder rewriting, without a server.
@Suite struct PostgresCopyTextTests {
    func decode(_ line: String, booleans: [Bool], key: Int = 0) throws -> [String] {
        var batch = TextBatch(columnCount: booleans.count)
        let bytes = Array(line.utf8)
        _ = try bytes.withUnsafeBytes { try PostgresCopyTextDecoder(booleanColumns: booleans, keyIndex: key).decode($0, into: &batch) }
        return (0..<booleans.count).map { batch.string(row: 0, column: $0) }
    }

    @Test func escapesDecodeToTheirBytes() throws {
        let fields = try decode("k\ta\\tb\\nc\\rd\\\\e\\bf\\fg\\vh\t\\101\\7x\\x41\\x4g\\q\t\\N\t\t\\\\N\tt\tf\n",
                                booleans: [false, false, false, false, false, false, true, true])
        #expect(fields == ["k", "a\tb\nc\rd\\e\u{08}f\u{0C}g\u{0B}h", "A\u{07}xA\u{04}gq", "", "", "\\N", "1", "0"])
    }

    @Test func aNullKeyAndAShortRowAreErrors() {
        #expect(throws: PostgresCopyTextDecoder.Failure.nullKey) { try decode("\\N\t1\n", booleans: [false, false]) }
        #expect(throws: PostgresCopyTextDecoder.Failure.fieldCount) { try decode("a\n", booleans: [false, false]) }
        #expect(throws: PostgresCopyTextDecoder.Failure.fieldCount) { try decode("a\tb\tc\n", booleans: [false, false]) }
    }

    @Test func rowsFollowOneAnotherAndAFailedRowLeavesTheBatchAsItWas() throws {
        let decoder = PostgresCopyTextDecoder(booleanColumns: [false, false, true], keyIndex: 0)
        var batch = TextBatch(columnCount: 3)
        func add(_ line: String) throws -> Range<Int> {
            let bytes = Array(line.utf8)
            return try bytes.withUnsafeBytes { try decoder.decode($0, into: &batch) }
        }
        #expect(try add("first\\\\\tx\\x41y\tt\n") == 0..<6)
        let before = (batch.bytes, batch.fieldEnds, batch.rowCount)
        #expect(throws: PostgresCopyTextDecoder.Failure.fieldCount) { try add("bad\tkey\t1\tf\n") }
        #expect(throws: PostgresCopyTextDecoder.Failure.fieldCount) { try add("short\tkey\n") }
        #expect(throws: PostgresCopyTextDecoder.Failure.nullKey) { try add("\\N\t1\tf\n") }
        #expect(batch.bytes == before.0 && batch.fieldEnds == before.1 && batch.rowCount == before.2)
        #expect(try add("second\t\\N\tfalse") == 10..<16)
        #expect(try add("third\tx\tt\\") == 17..<22)
        #expect(batch.rowCount == 3)
        #expect((0..<3).map { batch.string(row: $0, column: 0) } == ["first\\", "second", "third"])
        #expect((0..<3).map { batch.string(row: $0, column: 1) } == ["xAy", "", "x"])
        #expect((0..<3).map { batch.string(row: $0, column: 2) } == ["1", "0", "1"])
    }

    @Test func onlyRealPlaceholdersAreReplaced() throws {
        let sql = "SELECT '$1', \"$1\", $q$ $1 $q$, E'\\'$1', a$1 -- $1\n, /* $1 /* $2 */ */ $1, $2::bigint, $$$1$$ FROM t WHERE d = $1"
        let out = try PostgresPlaceholders.replace(in: sql, with: ["'x'::date", "'3'::bigint"])
        #expect(out == "SELECT '$1', \"$1\", $q$ $1 $q$, E'\\'$1', a$1 -- $1\n, /* $1 /* $2 */ */ 'x'::date, '3'::bigint::bigint, $$$1$$ FROM t WHERE d = 'x'::date")
        #expect(throws: PostgresPlaceholders.PlaceholderError.self) { try PostgresPlaceholders.replace(in: "SELECT $3", with: ["a"]) }
    }
}

/// `COPY (query) TO STDOUT` read through PostgresQueryReader against a real server.
@Suite(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN (scripts/test.sh starts a server)"))
struct PostgresCopySourceTests {
    func readAll(_ reader: PostgresQueryReader, chunk: Int) throws -> (rows: [[String]], lastKeys: [String]) {
        var batch = TextBatch(columnCount: 0)
        var rows: [[String]] = []
        var keys: [String] = []
        while let last = try reader.readChunk(maxRows: chunk, into: &batch) {
            keys.append(last)
            for r in 0..<batch.rowCount { rows.append((0..<batch.columnCount).map { batch.string(row: r, column: $0) }) }
        }
        return (rows, keys)
    }

    @Test func awkwardTextNullsAndBooleansComeThroughExactly() throws {
        let c = try PostgresTestServer.connect()
        let t = PostgresTestServer.name("esc")
        try c.execute("CREATE TABLE \(t) (k text PRIMARY KEY, v text, b boolean, n numeric, f float8)")
        let values = ["tab\there", "new\nline", "cr\rx", "back\\slash", "\\N", "", "bell\u{07}\u{08}\u{0C}\u{0B}", "ünïcødé ✓", "quote ' \" $1"]
        for (i, v) in values.enumerated() {
            try c.execute("INSERT INTO \(t) VALUES ($1, $2, $3, $4, $5)", ["k\(i)", v, i % 2 == 0 ? "true" : "false", "\(i).50", "1e-\(i)"])
        }
        try c.execute("INSERT INTO \(t) VALUES ('k9', NULL, NULL, NULL, NULL)")
        let reader = try PostgresQueryReader(connection: try PostgresTestServer.connect(), query: "SELECT * FROM \(t)", parameters: [], key: "k",
                                             after: nil, features: ["b", "n", "f", "v"])
        defer { reader.close() }
        #expect(reader.header == ["k", "v", "b", "n", "f"])
        let (rows, keys) = try readAll(reader, chunk: 4)
        #expect(keys == ["k3", "k7", "k9"])
        #expect(rows.map { $0[1] } == values + [""])
        #expect(rows.map { $0[2] } == ["1", "0", "1", "0", "1", "0", "1", "0", "1", ""])
        #expect(rows[3][3] == "3.50" && rows[9][3] == "" && rows[2][4] == "0.01")
    }

    @Test func parametersAreTypedQuotedLiteralsAndTheResumeKeyToo() throws {
        let c = try PostgresTestServer.connect()
        let t = PostgresTestServer.name("par")
        try c.execute("CREATE TABLE \(t) (k text PRIMARY KEY, d date, n bigint)")
        try c.execute("INSERT INTO \(t) SELECT 'k''\\' || lpad(g::text, 3, '0'), DATE '2026-11-27' + (g % 2), g FROM generate_series(1, 100) g")
        // {{ ds }} compared with a date column, a placeholder inside a string constant (text, as with
        // bind parameters: bind numbers the values from the end, so it reads '$2'), an explicit cast.
        let (sql, params) = PostgresSource.bind("SELECT k, n, '{{ ds }}' AS s FROM \(t) WHERE d = {{ ds }} AND n > {{ ds_nodash }}::bigint - 20261128 + 10", date: LogicalDate("2026-11-28")!)
        let reader = try PostgresQueryReader(connection: try PostgresTestServer.connect(), query: sql, parameters: params, key: "k",
                                             after: "k'\\050", features: [])
        defer { reader.close() }
        let (rows, _) = try readAll(reader, chunk: 7)
        let expected = try c.execute("SELECT k, n::text, $1 FROM \(t) WHERE d = '2026-11-28' AND n > 10 AND k > $2 ORDER BY k", ["$2", "k'\\050"]).rows
        #expect(rows.count == 25)
        #expect(rows == expected.map { $0.map { $0 ?? "" } })
    }

    @Test func duplicateAndNullKeysAreNamed() throws {
        let c = try PostgresTestServer.connect()
        let reader = try PostgresQueryReader(connection: c, query: "SELECT * FROM (VALUES ('a', 1), ('b', 2), ('b', 3)) AS v(k, x)", parameters: [],
                                             key: "k", after: nil, features: [])
        #expect { _ = try readAll(reader, chunk: 10) } throws: { "\($0)".contains("not unique ('b' twice)") }
        reader.close()
        #expect(try c.execute("SELECT 1").string(0, 0) == "1", "the connection is usable after the failed COPY")
        let nulls = try PostgresQueryReader(connection: c, query: "SELECT * FROM (VALUES ('a', 1), (NULL, 2)) AS v(k, x)", parameters: [],
                                            key: "k", after: nil, features: [])
        #expect { _ = try readAll(nulls, chunk: 10) } throws: { "\($0)".contains("is NULL in a row") }
        nulls.close()
    }

    @Test func closingMidStreamCancelsWithoutHangingAndASlowReaderIsFine() throws {
        let c = try PostgresTestServer.connect()
        let t = PostgresTestServer.name("big")
        try c.execute("CREATE TABLE \(t) AS SELECT lpad(g::text, 8, '0') AS k, repeat('x', 100) AS pad FROM generate_series(1, 300000) g")
        let source = try PostgresTestServer.connect()
        let reader = try PostgresQueryReader(connection: source, query: "SELECT * FROM \(t)", parameters: [], key: "k", after: nil, features: [])
        var batch = TextBatch(columnCount: 0)
        #expect(try reader.readChunk(maxRows: 1000, into: &batch) == "00001000")
        // A slow consumer: the server fills the socket and waits.
        Thread.sleep(forTimeInterval: 1)
        #expect(try reader.readChunk(maxRows: 1000, into: &batch) == "00002000")
        let started = Date()
        reader.close()
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try source.execute("SELECT 1").string(0, 0) == "1", "out of COPY state, out of the transaction")
        let state = try c.execute("SELECT state, query FROM pg_stat_activity WHERE pid = $1", [String(source.backendPID)]).rows
        #expect(state.first?[0] == "idle", "\(state)")
        try c.execute("DROP TABLE \(t)")
    }

    @Test func aFailingQueryMidStreamIsAnError() throws {
        let c = try PostgresTestServer.connect()
        let reader = try PostgresQueryReader(connection: c, query: "SELECT g AS k, 1 / (5000 - g) AS x FROM generate_series(1, 10000) g",
                                             parameters: [], key: "k", after: nil, features: [])
        #expect { _ = try readAll(reader, chunk: 1000) } throws: { "\($0)".contains("division by zero") }
        reader.close()
        #expect(try c.execute("SELECT 1").string(0, 0) == "1")
    }
}

/// Text against binary COPY on a million rows through libpq, for the choice documented on
/// PostgresQueryReader. Opt-in (NIGHTJAR_PG_COPY_BENCH=1): it prints figures, it asserts nothing
/// about speed. The table is bench/pg_bench.sh's `churn_input` when present, else generated.
@Suite(.enabled(if: PostgresTestServer.available && ProcessInfo.processInfo.environment["NIGHTJAR_PG_COPY_BENCH"] == "1"))
struct PostgresCopyFormatMeasurement {
    @Test func textAgainstBinaryCopyOnAMillionRows() throws {
        let c = try PostgresTestServer.connect()
        let table = "churn_input"
        if try c.execute("SELECT to_regclass($1)", [table]).string(0, 0) == nil {
            try c.execute("""
                CREATE TABLE \(table) AS SELECT 'B' || lpad(g::text, 9, '0') AS customer_id, (18 + g % 70)::float8 AS age,
                    (20000 + (g * 7919) % 90000)::float8 / 3 AS income, (g % 120)::float8 AS tenure_months, ((g * 31) % 9000 - 1000)::float8 / 7 AS balance,
                    (1 + g % 4)::float8 AS num_products, ((g * 13) % 1700) / 10.0::float8 AS last_login_days, (g % 2)::float8 AS has_card,
                    (ARRAY['east','north','south','west'])[1 + g % 4] AS region, (ARRAY['basic','plus','premium'])[1 + g % 3] AS plan
                FROM generate_series(1, 1000000) g
                """)
        }
        let query = "SELECT * FROM \(table) ORDER BY customer_id"
        func stream(_ format: String) throws -> (seconds: Double, rows: Int, bytes: Int) {
            let started = Date()
            let copy = try c.copyOut("COPY (\(query)) TO STDOUT (FORMAT \(format))")
            var rows = 0, bytes = 0
            while try copy.nextRow({ bytes += $0.count }) { rows += 1 }
            return (Date().timeIntervalSince(started), rows, bytes)
        }
        for round in 1...2 {
            for format in ["text", "binary"] {
                let (s, rows, bytes) = try stream(format)
                print("COPY \(format) round \(round): \(rows) rows in \(String(format: "%.2f", s)) s = \(Int(Double(rows) / s)) rows/s, \(bytes / rows) bytes/row")
            }
        }
        let reader = try PostgresQueryReader(connection: try PostgresTestServer.connect(), query: "SELECT * FROM \(table)", parameters: [],
                                             key: "customer_id", after: nil, features: [])
        defer { reader.close() }
        var batch = TextBatch(columnCount: 0)
        var rows = 0
        let started = Date()
        while try reader.readChunk(maxRows: 50_000, into: &batch) != nil { rows += batch.rowCount }
        let s = Date().timeIntervalSince(started)
        print("PostgresQueryReader (text COPY decoded into TextBatch, this build): \(rows) rows in \(String(format: "%.2f", s)) s = \(Int(Double(rows) / s)) rows/s")
    }
}
