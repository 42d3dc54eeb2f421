import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

@Suite struct ScoreRunnerTests {
    @Test func scoresIntoSQLiteAndReadsBackWithSQL() throws {
        let db = temporaryDirectory().appendingPathComponent("out/churn.db").path
        let summary = try ScoreRunner.run(ScoreOptions(
            modelPath: fixture("churn/churn_xgb.json"), inputPath: fixture("churn/score_input.csv"), outputPath: db,
            table: "churn_scores", keys: ["customer_id"], chunkRows: 128))
        #expect(summary.rows == 1000)
        #expect(summary.chunks == 8)
        let database = try SQLiteDatabase(path: db, readOnly: true)
        #expect(try database.query("SELECT count(*), count(DISTINCT customer_id) FROM churn_scores") == [["1000", "1000"]])
        let columns = try database.query("SELECT name, type FROM pragma_table_info('churn_scores')")
        #expect(columns == [["customer_id", "TEXT"], ["probability", "REAL"], ["label", "INTEGER"]])
        // Compare every row with XGBoost's own probability.
        let expected = try readColumns(fixture("churn/churn_xgb.expected.csv"))
        var byKey: [String: Double] = [:]
        for (k, p) in zip(expected["customer_id"]!, expected["probability"]!) { byKey[k] = Double(p)! }
        let stmt = try database.prepare("SELECT customer_id, probability, label FROM churn_scores")
        var worst = 0.0
        while try stmt.step() {
            let key = stmt.string(at: 0)!
            let p = stmt.double(at: 1)
            worst = max(worst, abs(Double(Float(p)) - Double(Float(byKey[key]!))))
            #expect(stmt.int(at: 2) == (p > 0.5 ? 1 : 0))
        }
        #expect(worst <= 1e-6)
    }

    @Test func badValueInALaterChunkWritesNothing() throws {
        let dir = temporaryDirectory()
        var text = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[700].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[2] = "lots"  // income
        lines[700] = fields.joined(separator: ",")
        text = lines.joined(separator: "\n")
        let input = dir.appendingPathComponent("bad.csv").path
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        for output in ["out.db", "out.csv"] {
            let path = dir.appendingPathComponent(output).path
            #expect {
                try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_lgbm.txt"), inputPath: input, outputPath: path,
                                                 table: "t", keys: ["customer_id"], chunkRows: 100))
            } throws: { error in
                "\(error)" == "\(input): line 701, column 3 ('income'): 'lots' is not a number (numeric feature; leave the field empty for a missing value)"
            }
            if output.hasSuffix(".db") {
                let db = try SQLiteDatabase(path: path, readOnly: true)
                #expect(try db.query("SELECT name FROM sqlite_master WHERE type = 'table'").isEmpty)
            } else {
                #expect(!FileManager.default.fileExists(atPath: path))
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }.isEmpty)
    }

    /// The first chunks are cut while the model loads: errors in them are reported as anywhere
    /// else, and a row limit holds across them and the chunks read after.
    @Test func chunksReadWhileTheModelLoads() throws {
        let dir = temporaryDirectory()
        let lines = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func run(_ lines: [String], name: String, maxRows: Int? = nil) throws -> ScoreSummary {
            let input = dir.appendingPathComponent(name).path
            try lines.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
            var options = ScoreOptions(modelPath: fixture("churn/churn_xgb.json"), inputPath: input,
                                       outputPath: dir.appendingPathComponent("\(name).db").path,
                                       table: "t", keys: ["customer_id"], chunkRows: 40)
            options.maxRows = maxRows
            return try ScoreRunner.run(options)
        }
        // A short row in the second chunk: found while cutting, before the model is there.
        var short = lines
        short[50] = "c1,1"
        #expect { try run(short, name: "short.csv") } throws: { "\($0)".contains("line 51") && "\($0)".contains("found 2") }
        // A bad number in the first chunk: found when it is encoded, once the model is loaded.
        var bad = lines
        var fields = bad[20].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[2] = "lots"
        bad[20] = fields.joined(separator: ",")
        #expect { try run(bad, name: "bad.csv") } throws: { "\($0)".contains("line 21, column 3 ('income')") }
        // The limit within the chunks cut ahead (1, 40, 90 rows: three chunks of 40 at most), or
        // past them (200: three cut ahead, two read after).
        for limit in [1, 40, 90, 200] {
            let summary = try run(lines, name: "limit\(limit).csv", maxRows: limit)
            #expect(summary.rows == limit && summary.chunks == (limit + 39) / 40)
            let db = try SQLiteDatabase(path: dir.appendingPathComponent("limit\(limit).csv.db").path, readOnly: true)
            let keys = try db.query("SELECT customer_id FROM t ORDER BY rowid").map { $0[0]! }
            let expected = lines[1...limit].map { String($0.split(separator: ",").first!) }
            #expect(keys == expected)
        }
    }

    @Test func missingFeatureColumnAndMissingKeyAreNamed() throws {
        let dir = temporaryDirectory()
        let input = dir.appendingPathComponent("in.csv").path
        try "customer_id,age,income\nC1,3,4\n".write(toFile: input, atomically: true, encoding: .utf8)
        #expect {
            try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_xgb.json"), inputPath: input,
                                             outputPath: dir.appendingPathComponent("o.csv").path))
        } throws: { error in
            let s = "\(error)"
            return s.hasPrefix(input) && s.contains("'tenure_months'") && s.contains("'plan'") && !s.contains("'age'")
        }
        #expect {
            try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_xgb.json"), inputPath: fixture("churn/score_input.csv"),
                                             outputPath: dir.appendingPathComponent("o.csv").path, keys: ["id"]))
        } throws: { error in "\(error)".contains("key column 'id'") }
    }

    @Test func unknownOutputExtension() {
        #expect {
            try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_xgb.json"), inputPath: fixture("churn/score_input.csv"),
                                             outputPath: "/tmp/out.parquet"))
        } throws: { error in "\(error)".contains("cannot tell the output format") }
    }

    @Test func lz4InAndOutGiveTheSameRows() throws {
        let dir = temporaryDirectory()
        let plain = dir.appendingPathComponent("plain.csv").path
        let compressedIn = dir.appendingPathComponent("in.csv.lz4").path
        let compressedOut = dir.appendingPathComponent("out.csv.lz4").path
        // Compress the input with Nightjar's own LZ4 writer.
        let source = try Data(contentsOf: URL(fileURLWithPath: fixture("churn/score_input.csv")))
        let out = try openByteOutput(path: compressedIn)
        try source.withUnsafeBytes { try out.write($0) }
        try out.finish()
        _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_lgbm.txt"), inputPath: fixture("churn/score_input.csv"),
                                             outputPath: plain, keys: ["customer_id"]))
        _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_lgbm.txt"), inputPath: compressedIn,
                                             outputPath: compressedOut, keys: ["customer_id"]))
        #expect(try readColumns(plain) == readColumns(compressedOut))
    }

    @Test func withoutKeyRowsAreNumbered() throws {
        let out = temporaryDirectory().appendingPathComponent("o.csv").path
        _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_xgb_reg.json"), inputPath: fixture("churn/score_input.csv"),
                                             outputPath: out, chunkRows: 300))
        let columns = try readColumns(out)
        #expect(columns.keys.sorted() == ["prediction", "row"])
        #expect(columns["row"] == (1...1000).map(String.init))
    }
}
