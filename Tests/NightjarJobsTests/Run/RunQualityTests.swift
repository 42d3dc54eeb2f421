import Foundation
import Testing
import NightjarIO
import NightjarCore
@testable import NightjarJobs

/// Runs from bundles: the input contract (rejects, the reject threshold, a column gone null or
/// missing), drift statistics and their thresholds, a bundle edited after creation, and metrics.
@Suite struct RunQualityTests {
    /// A registry with churn@1 (XGBoost) promoted to champion, and a job over `input` reading churn@champion.
    func setUp(contract edit: ((inout InputContract) -> Void)? = nil, input: String? = nil, extra: String = "") throws -> (JobSpec, URL) {
        let dir = temporaryDirectory()
        var o = BundleOptions(modelPath: fixture("churn/churn_xgb.json"), name: "churn", version: "1",
                              registry: dir.appendingPathComponent("models").path,
                              trainSample: fixture("churn/train_sample.csv"), expected: fixture("churn/churn_xgb.expected.csv"))
        o.goldenInput = fixture("churn/score_input.csv")
        o.goldenRows = 50
        if let edit {
            // A contract edited by hand: derived first, then changed, then given to bundle create.
            let model = try ModelLoader.load(path: o.modelPath)
            let train = try CSVTable.read(path: o.trainSample)
            var contract = try InputContract.derive(features: model.features, header: train.header, sample: train.batch)
            edit(&contract)
            let file = dir.appendingPathComponent("contract.json")
            try JSONEncoder().encode(contract).write(to: file)
            o.contract = file.path
        }
        _ = try BundleBuilder.create(o)
        let text = try input ?? String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: quality
            model: churn@champion
            registry: models
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 250
            sink: { sqlite: { path: out.db, table: scores } }
            \(extra)
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        let store = try SQLiteRunStore(path: job.state)
        try ModelAliases(registry: ModelRegistry(root: job.registry), store: store).promote(model: "churn", version: "1", alias: "champion")
        return (job, dir)
    }

    func query(_ dir: URL, _ sql: String) throws -> [[String?]] {
        try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true).query(sql)
    }

    /// score_input.csv with some fields replaced: (customer_id, column, new value).
    func input(replacing changes: [(String, String, String)]) throws -> String {
        var lines = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for (key, column, value) in changes {
            let i = lines.firstIndex { $0.hasPrefix(key + ",") }!
            var fields = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[header.firstIndex(of: column)!] = value
            lines[i] = fields.joined(separator: ",")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func everyRejectReasonLandsInTheRejectsTableAndTheRowIsNotScored() throws {
        let text = try input(replacing: [("C100003", "age", ""), ("C100010", "income", "lots"), ("C100020", "balance", "1e9"),
                                         ("C100030", "tenure_months", "-500")])
        let (job, dir) = try setUp(contract: { c in
            let i = c.columns.firstIndex { $0.name == "region" }!
            c.columns[i].unseen = .reject
        }, input: text, extra: "max_reject_fraction: 5%")
        let record = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(record.status == .succeeded)
        let rejects = try query(dir, "SELECT key, column_name, value, reason FROM nightjar_rejects ORDER BY row_number")
        let central = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8).split(separator: "\n").filter { $0.contains(",central,") }.count
        #expect(central > 10)
        #expect(rejects.filter { $0[3] == "unseen_category" }.count == central)
        #expect(rejects.contains(["C100003", "age", "", "null_value"]))
        #expect(rejects.contains(["C100010", "income", "lots", "not_a_number"]))
        #expect(rejects.contains(["C100020", "balance", "1e9", "out_of_range"]))
        #expect(rejects.contains(["C100030", "tenure_months", "-500", "out_of_range"]))
        let rejectedRows = Set(rejects.map { $0[0]! }).count
        #expect(record.rowsRejected == rejectedRows)
        #expect(record.rowsRead == 1000 && record.rowsWritten == 1000 - rejectedRows)
        #expect(try query(dir, "SELECT count(*) FROM scores")[0][0] == String(1000 - rejectedRows))
        #expect(try query(dir, "SELECT count(*) FROM scores WHERE customer_id IN ('C100003','C100010','C100020','C100030')")[0][0] == "0")
        // The other rows keep the training library's predictions.
        let expected = try readColumns(fixture("churn/churn_xgb.expected.csv"))
        let want = Dictionary(uniqueKeysWithValues: zip(expected["customer_id"]!, expected["probability"]!.map { Double($0)! }))
        for row in try query(dir, "SELECT customer_id, probability FROM scores") {
            #expect(abs(Double(row[1]!)! - want[row[0]!]!) < 1e-6)
        }
        let counts = try SQLiteRunStore(path: job.state).rejectCounts(runID: record.runID)
        #expect(counts.first == RejectCount(column: "region", reason: "unseen_category", count: central))
    }

    @Test func theRejectThresholdStopsTheRunAndPublishesNothing() throws {
        let (job, dir) = try setUp(contract: { c in
            let i = c.columns.firstIndex { $0.name == "region" }!
            c.columns[i].unseen = .reject
        })
        #expect(job.maxRejectFraction == 0.01)
        do {
            try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
            Issue.record("the run went on past max_reject_fraction")
        } catch {
            #expect("\(error)".contains("broke the input contract"))
            #expect("\(error)".contains("region unseen_category"))
        }
        #expect(try query(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'scores'")[0][0] == "0"
                || query(dir, "SELECT count(*) FROM scores")[0][0] == "0")
        let run = try SQLiteRunStore(path: job.state).recentRuns(job: "quality", limit: 1)[0]
        #expect(run.status == .failed)
        #expect(run.rowsRejected > 10)
    }

    @Test func aColumnThatWentNullFailsTheRunAtTheFirstChunk() throws {
        var lines = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        for i in 1..<lines.count {  // plan (2% empty in training) empty everywhere
            var f = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[9] = ""
            lines[i] = f.joined(separator: ",")
        }
        let (job, dir) = try setUp(input: lines.joined(separator: "\n") + "\n")
        do {
            try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
            Issue.record("a column gone null was scored")
        } catch {
            #expect("\(error)".contains("'plan'"))
            #expect("\(error)".contains("every one of the first 250 rows is empty"))
        }
        #expect(try query(dir, "SELECT count(*) FROM nightjar_chunks")[0][0] == "0")
    }

    @Test func aMissingColumnFailsTheRun() throws {
        let lines = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8).split(separator: "\n")
        let cut = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }
        let (job, _) = try setUp(input: cut.joined(separator: "\n") + "\n")
        #expect(throws: (any Error).self) { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) }
        do { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!)) } catch {
            #expect("\(error)".contains("'plan'"))
        }
    }

    @Test func driftIsStoredPerFeatureAndItsThresholdsWarnOrFail() throws {
        let (job, dir) = try setUp(extra: "metrics: { textfile: metrics/quality.prom }")
        let record = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(record.status == .succeeded)
        // `central` (2.2% of rows, unseen in training) is missing for the model: region drifts past warn (0.1).
        #expect(record.driftStatus == .warn)
        let store = try SQLiteRunStore(path: job.state)
        let stats = try store.featureStats(runID: record.runID)
        #expect(stats.count == 9)
        let region = stats.first { $0.feature == "region" }!
        #expect(region.status == .warn && region.psi > 0.1 && region.psi < 0.25)
        #expect(abs(region.nullRate - 0.022) < 1e-9)
        #expect(stats.filter { $0.feature != "region" }.allSatisfy { $0.status == .ok })
        #expect(record.predictionPSI != nil)
        let age = stats.first { $0.feature == "age" }!
        #expect(age.min == 18 && age.max == 89)

        // The metrics file holds this run.
        let prom = try String(contentsOf: dir.appendingPathComponent("metrics/quality.prom"), encoding: .utf8)
        #expect(prom.contains("nightjar_run_rows{nightjar_job=\"quality\",stage=\"written\"} 1000"))
        #expect(prom.contains("nightjar_run_success{nightjar_job=\"quality\"} 1"))
        #expect(prom.contains("nightjar_feature_psi{nightjar_job=\"quality\",feature=\"region\"} \(region.psi)"))
        let success = prom.split(separator: "\n").first { $0.hasPrefix("nightjar_run_last_success_timestamp_seconds") }!

        // Stricter thresholds for region fail the next run, which is not published; the metrics keep the last success.
        var strict = job
        strict.drift.overrides["region"] = (0.05, 0.1)
        do {
            try RunExecutor(job: strict).run(RunOptions(date: LogicalDate("2026-11-29")!))
            Issue.record("drift beyond fail passed")
        } catch {
            #expect("\(error)".contains("failed on drift: region PSI"))
        }
        #expect(try query(dir, "SELECT count(*) FROM scores WHERE logical_date = '2026-11-29'")[0][0] == "0")
        let failed = try store.recentRuns(job: "quality", limit: 1)[0]
        #expect(failed.status == .failed && failed.driftStatus == .fail)
        #expect(try store.featureStats(runID: failed.runID).first { $0.feature == "region" }?.status == .fail)
        let after = try String(contentsOf: dir.appendingPathComponent("metrics/quality.prom"), encoding: .utf8)
        #expect(after.contains("nightjar_run_success{nightjar_job=\"quality\"} 0"))
        #expect(after.contains(success))

        // The report of the first run: histogram against the reference, drift rows, lineage.
        let data = try RunReportData.load(runID: record.runID, store: store)
        #expect(data.features.count == 9)
        #expect(data.histogram?.current.reduce(0, +) == 1000)
        #expect(data.histogram?.reference.reduce(0, +) == 6000)
        #expect(data.model.version == "1" && data.model.alias == "champion" && data.model.format == "xgboost-json")
        let html = HTMLReport.render(data)
        #expect(html.contains("id=\"drift\"") && html.contains("region"))
    }

    @Test func aBundleEditedAfterCreationFailsTheRunBeforeAnyRowIsWritten() throws {
        let (job, dir) = try setUp()
        let model = dir.appendingPathComponent("models/churn/1/churn_xgb.json")
        let handle = try FileHandle(forWritingTo: model)
        handle.seekToEndOfFile()
        handle.write(Data(" ".utf8))
        try handle.close()
        do {
            try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
            Issue.record("an edited bundle was used")
        } catch {
            #expect("\(error)".contains("churn_xgb.json was modified after the bundle was created"))
        }
        #expect(try query(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'scores'")[0][0] == "0")
        let run = try SQLiteRunStore(path: job.state).recentRuns(job: "quality", limit: 1)[0]
        #expect(run.status == .failed && run.rowsRead == 0)
    }
}
