import Foundation
import Testing
import NightjarIO
import NightjarCore
@testable import NightjarJobs

/// `explain:` in a job: every output row — the champion's, the split's and each shadow
/// challenger's — carries its exact contributions and reasons, equal to the training libraries'
/// own (fixtures/contributions), in SQLite and in PostgreSQL.
@Suite struct ExplainJobTests {
    /// The first 300 customers of score_input.csv (contributions are slow in a debug build).
    static func input(_ dir: URL) throws -> String {
        let lines = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8).split(separator: "\n").prefix(301)
        let path = dir.appendingPathComponent("in.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func job(_ dir: URL, sink: String, extra: String = "") throws -> JobSpec {
        try FileManager.default.copyItem(at: fixtures.deletingLastPathComponent().appendingPathComponent("models"), to: dir.appendingPathComponent("models"))
        let yaml = """
            name: explained
            model: churn@1
            registry: models
            source: { csv: \(try input(dir)) }
            key: customer_id
            chunk_rows: 100
            sink: \(sink)
            challengers: [churn@2]
            split: { challenger: churn@2, share: 0.25 }
            explain: { contributions: all, reasons: 2 }
            \(extra)
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        return try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
    }

    /// The library's contributions by key and column.
    static func library(_ file: String) throws -> (rows: [String: Int], columns: [String: [String]]) {
        let c = try readColumns(fixture(file))
        return (Dictionary(uniqueKeysWithValues: c["customer_id"]!.enumerated().map { ($1, $0) }), c)
    }

    /// Checks rows (key, version, contrib_… in `features` order, reason_1, reason_2) against the libraries.
    static func check(_ rows: [[String?]], features: [String]) throws {
        let xgb = try library("contributions/churn_xgb.contribs.csv"), lgbm = try library("contributions/churn_lgbm.contribs.csv")
        #expect(rows.count > 0)
        for row in rows {
            let reference = row[1] == "1" ? xgb : lgbm
            let i = try #require(reference.rows[row[0]!])
            let tolerance = row[1] == "1" ? 1e-5 : 1e-6
            var values: [String: Double] = [:]
            for (k, f) in features.enumerated() {
                let ours = Double(row[2 + k]!)!, theirs = Double(reference.columns["contrib_" + f]![i])!
                #expect(abs(ours - theirs) <= tolerance * max(1, abs(theirs)), "\(row[0]!) v\(row[1]!) \(f)")
                values[f] = ours
            }
            let reasons = [row[2 + features.count]!, row[3 + features.count]!]
            let top = features.filter { $0 != "bias" }.sorted { (values[$0]!, -features.firstIndex(of: $0)!) > (values[$1]!, -features.firstIndex(of: $1)!) }
            #expect(reasons == Array(top.prefix(2)), "\(row[0]!) v\(row[1]!)")
        }
    }

    static let features = ["age", "income", "tenure_months", "balance", "num_products", "last_login_days", "has_card", "region", "plan", "bias"]
    static var select: String { (["customer_id", "model_version"] + features.map { "contrib_" + $0 } + ["reason_1", "reason_2"]).joined(separator: ", ") }

    @Test func everyArmIsExplainedInSQLite() throws {
        let dir = temporaryDirectory()
        let job = try Self.job(dir, sink: "{ sqlite: { path: out.db, table: scores } }")
        #expect(try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)).status == .succeeded)
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
        let main = try db.query("SELECT \(Self.select) FROM scores")
        let shadow = try db.query("SELECT \(Self.select) FROM scores_shadow")
        #expect(main.count == 300 && shadow.count == 300)
        #expect(Set(main.map { $0[1]! }) == ["1", "2"] && Set(shadow.map { $0[1]! }) == ["2"])
        try Self.check(main, features: Self.features)
        try Self.check(shadow, features: Self.features)
        #expect(try db.query("SELECT typeof(reason_1), typeof(reason_1_contribution), typeof(contrib_bias) FROM scores LIMIT 1") == [["text", "real", "real"]])

        try Self.checkReport(job, champion: main.filter { $0[1] == "1" })

    }

    /// An output the report cannot read back: it says why in place of the section.
    @Test func anOutputThatCannotBeReadIsNamed() throws {
        let gone = RunReportData.explanations(sink: "sqlite:/nonexistent/out.db#scores", runID: "r", modelVersion: "1")
        #expect(gone.features.isEmpty && gone.note == "the output /nonexistent/out.db is no longer there")
        let unset = RunReportData.explanations(sink: "postgres:$NIGHTJAR_TEST_NOT_SET#scores", runID: "r", modelVersion: "1")
        #expect(unset.features.isEmpty && unset.note?.contains("NIGHTJAR_TEST_NOT_SET") == true, "\(unset.note ?? "nil")")
        var data = RunReportData(job: "j", runID: "r", logicalDate: "2026-11-28", status: "succeeded", driftStatus: "ok", startedAt: "",
                                 rowsRead: 0, rowsScored: 0, rowsWritten: 0, rowsRejected: 0,
                                 model: ModelLineage(name: "m", version: "1", sha256: "-", path: "-", alias: nil, format: nil, createdAt: nil,
                                                     verifiedBy: nil, libraries: [:], nightjarVersion: "-"))
        data.explanationsNote = gone.note
        #expect(HTMLReport.render(data).contains("<section id=\"explanations\">\n<h2>What moved the scores</h2>\n<p class=\"lede\">Not shown: the output /nonexistent/out.db is no longer there.</p>"))
        // A CSV output has no table to read: nothing, and nothing to say.
        let csv = RunReportData.explanations(sink: "csv:/tmp/out.csv", runID: "r", modelVersion: "1")
        #expect(csv.features.isEmpty && csv.note == nil)
    }

    /// The run's report: what moved the scores, over the champion's rows (`champion`: rows as
    /// selected by `select`), next to drift — read back from the run's output, SQLite or PostgreSQL.
    static func checkReport(_ job: JobSpec, champion: [[String?]]) throws {
        let store = try SQLiteRunStore(path: job.state)
        let run = try #require(try store.recentRuns(job: "explained", limit: 1).first)
        let data = try RunReportData.load(runID: run.runID, store: store)
        #expect(data.explanationsNote == nil)
        #expect(data.explanations.count == 9)
        for e in data.explanations {
            let k = try #require(Self.features.firstIndex(of: e.feature))
            let mean = champion.map { abs(Double($0[2 + k]!)!) }.reduce(0, +) / Double(champion.count)
            #expect(abs(e.meanAbsContribution! - mean) <= 1e-9 * max(1, mean), "\(e.feature)")
            let share = Double(champion.filter { $0[2 + Self.features.count] == e.feature }.count) / Double(champion.count)
            #expect(abs((e.firstReasonShare ?? 0) - share) <= 1e-12, "\(e.feature)")
        }
        #expect(data.explanations.map { $0.meanAbsContribution! } == data.explanations.map { $0.meanAbsContribution! }.sorted(by: >))
        let html = HTMLReport.render(data)
        #expect(html.contains("<section id=\"explanations\">") && html.contains("What moved the scores"))
    }

    @Test func aModelWithoutCoversIsRefusedBeforeAnyRow() throws {
        let dir = temporaryDirectory()
        let yaml = """
            name: explained
            model: \(fixture("churn/churn_rf.onnx"))
            source: { csv: \(try Self.input(dir)) }
            key: customer_id
            sink: { sqlite: { path: out.db, table: scores } }
            explain: { reasons: 3 }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        let error = #expect(throws: JobFileError.self) { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) }
        #expect(error?.description.contains("explain") == true)
        #expect(error?.description.contains("no node covers") == true)
        let out = dir.appendingPathComponent("out.db").path
        let tables = FileManager.default.fileExists(atPath: out)
            ? try SQLiteDatabase(path: out, readOnly: true).query("SELECT name FROM sqlite_master WHERE name = 'scores'") : []
        #expect(tables.isEmpty, "no output table before the refusal")
    }

    /// A linear model's bundle carries its training means: the job explains it with no other
    /// setting, equal to shap.LinearExplainer's values (fixtures/contributions/generate_linear.py);
    /// the same model file outside a bundle is refused before any row, saying why.
    @Test func aLinearBundleIsExplainedAndABareLinearFileRefused() throws {
        let dir = temporaryDirectory()
        var o = BundleOptions(modelPath: fixture("churn/churn_logreg.onnx"), name: "lr", version: "1",
                              registry: dir.appendingPathComponent("models").path,
                              trainSample: fixture("churn/train_sample.csv"), expected: fixture("churn/churn_logreg.expected.csv"))
        o.goldenInput = fixture("churn/score_input.csv")
        o.expectedColumns = ["probability=onnxruntime_probability"]
        _ = try BundleBuilder.create(o)
        func job(_ model: String) throws -> JobSpec {
            let yaml = """
                name: linear
                model: \(model)
                registry: models
                source: { csv: \(try Self.input(dir)) }
                key: customer_id
                chunk_rows: 100
                sink: { sqlite: { path: out.db, table: scores } }
                explain: { contributions: all, reasons: 2 }
                """
            try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
            return try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        }
        let bare = #expect(throws: JobFileError.self) { try RunExecutor(job: try job(fixture("churn/churn_logreg.onnx"))).run(RunOptions(date: LogicalDate("2026-11-28")!)) }
        #expect(bare?.description.contains("training means") == true && bare?.description.contains("bundle") == true)

        #expect(try RunExecutor(job: try job("lr@1")).run(RunOptions(date: LogicalDate("2026-11-28")!)).status == .succeeded)
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
        let rows = try db.query("SELECT \(Self.select) FROM scores")
        #expect(rows.count == 300)
        let shap = try Self.library("contributions/churn_logreg.contribs.csv")
        for row in rows {
            let i = try #require(shap.rows[row[0]!])
            var values: [String: Double] = [:]
            for (k, f) in Self.features.enumerated() {
                let ours = Double(row[2 + k]!)!, theirs = Double(shap.columns["contrib_" + f]![i])!
                #expect(abs(ours - theirs) <= 1e-5 * max(1, abs(theirs)), "\(row[0]!) \(f)")
                values[f] = ours
            }
            let top = Self.features.filter { $0 != "bias" }.sorted { values[$0]! > values[$1]! }
            #expect([row[2 + Self.features.count]!, row[3 + Self.features.count]!] == Array(top.prefix(2)), "\(row[0]!)")
        }
    }

    @Test(.enabled(if: PostgresTestServer.available, "needs NIGHTJAR_TEST_PG_DSN (scripts/test.sh starts a server)"))
    func everyArmIsExplainedInPostgres() throws {
        let c = try PostgresTestServer.connect()
        let out = PostgresTestServer.name("explained")
        let dir = temporaryDirectory()
        let job = try Self.job(dir, sink: "{ postgres: { dsn_env: NIGHTJAR_TEST_PG_DSN, table: \(out) } }")
        #expect(try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)).status == .succeeded)
        let select = (["customer_id", "model_version"] + Self.features.map { "contrib_" + $0 + "::text" } + ["reason_1", "reason_2"]).joined(separator: ", ")
        let main = try c.execute("SELECT \(select) FROM \(out)").rows
        let shadow = try c.execute("SELECT \(select) FROM \(out)_shadow").rows
        #expect(main.count == 300 && shadow.count == 300)
        try Self.check(main, features: Self.features)
        try Self.check(shadow, features: Self.features)
        let types = try c.execute("SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name IN ('reason_1', 'reason_1_contribution') ORDER BY column_name", [out]).rows
        #expect(types == [["text"], ["double precision"]])
        try Self.checkReport(job, champion: main.filter { $0[1] == "1" })
    }
}
