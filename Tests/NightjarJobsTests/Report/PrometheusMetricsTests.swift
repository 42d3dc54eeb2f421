import Foundation
import Testing
import NightjarIO
@testable import NightjarJobs

/// The metrics files real runs write pass `promtool check metrics`: the README's example job
/// (jobs/churn-nightly.yaml) succeeding, failing its drift gate, and failing on a missing input.
@Suite(.serialized, .enabled(if: Promtool.enabled, "needs promtool (Debian package prometheus)"))
struct PrometheusMetricsTests {
    static let root = fixtures.deletingLastPathComponent()

    /// Every metric family the exporter can write, from a run that fills every field.
    static let exportedNames: Set<String> = {
        var m = RunMetrics(job: "j", status: "succeeded", logicalDate: "2026-11-28", modelVersion: "1", durationSeconds: 1,
                           rows: ["read": 1, "scored": 1, "written": 1, "rejected": 0], featurePSI: ["f": 0.1],
                           predictionPSI: 0.1, lastSuccessTimestamp: 1, endTimestamp: 1)
        m.lastSuccessRowsWritten = 1
        m.driftStatus = "ok"
        m.autoRollbacks = 0
        m.shadowFlipRate = ["c": 0]
        m.shadowPredictionPSI = ["c": 0]
        return Set(MetricsExporter.families(m, includeLastSuccess: true).map(\.name))
    }()

    /// Label names the exporter writes that start like metric names.
    static let labelNames: Set<String> = [MetricsExporter.jobLabel]

    /// The example job as shipped, in a fresh directory laid out like the repository (`jobs/`,
    /// `models/`, `fixtures/`), its outputs under `out/`; churn@1 promoted to champion.
    func exampleJob() throws -> (JobSpec, URL) {
        let dir = temporaryDirectory()
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("jobs"), withIntermediateDirectories: true)
        try fm.createDirectory(at: dir.appendingPathComponent("fixtures/churn"), withIntermediateDirectories: true)
        try fm.copyItem(at: Self.root.appendingPathComponent("jobs/churn-nightly.yaml"), to: dir.appendingPathComponent("jobs/churn-nightly.yaml"))
        try fm.copyItem(at: Self.root.appendingPathComponent("models"), to: dir.appendingPathComponent("models"))
        try fm.copyItem(atPath: fixture("churn/score_input.csv"), toPath: dir.appendingPathComponent("fixtures/churn/score_input.csv").path)
        let job = try JobSpec.load(path: dir.appendingPathComponent("jobs/churn-nightly.yaml").path)
        try ModelAliases(registry: ModelRegistry(root: job.registry), store: try SQLiteRunStore(path: job.state))
            .promote(model: "churn", version: "1", alias: "champion")
        return (job, dir)
    }

    /// The job's metrics file, after promtool checked it.
    func checkedMetrics(_ job: JobSpec) throws -> String {
        let text = try String(contentsOfFile: try #require(job.metrics.textfile), encoding: .utf8)
        try Promtool.checkMetrics(text)
        #expect(Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
                .isSubset(of: Self.exportedNames))
        return text
    }

    /// The value of one sample (`name{labels}` as written), or nil.
    func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    @Test func theExampleJobsMetricsPassPromtoolWhenItSucceedsFailsItsDriftGateOrFails() throws {
        let (job, dir) = try exampleJob()
        defer { try? FileManager.default.removeItem(at: dir) }
        let j = "{nightjar_job=\"churn-nightly\"}"

        // Succeeded, with a drift warning (`region` meets a value unseen in training).
        let first = try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(first.status == .succeeded && first.driftStatus == .warn)
        let ok = try checkedMetrics(job)
        #expect(value(ok, "nightjar_run_success" + j) == "1")
        #expect(value(ok, "nightjar_run_drift_status" + j) == "1")
        #expect(value(ok, "nightjar_run_rows{nightjar_job=\"churn-nightly\",stage=\"written\"}") == "1000")
        #expect(value(ok, "nightjar_run_last_success_rows_written" + j) == "1000")
        #expect(value(ok, "nightjar_run_logical_date_timestamp_seconds" + j) == "1795824000")
        #expect(value(ok, "nightjar_model_auto_rollbacks_total" + j) == "0")
        #expect(value(ok, "nightjar_run_info{nightjar_job=\"churn-nightly\",model=\"churn\",model_version=\"1\",nightjar_version=\"\(RunExecutor.version)\"}") == "1")
        let lastSuccess = try #require(value(ok, "nightjar_run_last_success_timestamp_seconds" + j))

        // Failed on drift: nothing published, so nothing written; the last success stays.
        var strict = job
        strict.drift.overrides["region"] = (0.05, 0.1)
        #expect(throws: (any Error).self) { try RunExecutor(job: strict).run(RunOptions(date: LogicalDate("2026-11-29")!)) }
        let drifted = try checkedMetrics(job)
        #expect(value(drifted, "nightjar_run_success" + j) == "0")
        #expect(value(drifted, "nightjar_run_drift_status" + j) == "2")
        #expect(value(drifted, "nightjar_run_rows{nightjar_job=\"churn-nightly\",stage=\"read\"}") == "1000")
        #expect(value(drifted, "nightjar_run_rows{nightjar_job=\"churn-nightly\",stage=\"written\"}") == "0")
        #expect(value(drifted, "nightjar_run_last_success_rows_written" + j) == "1000")
        #expect(value(drifted, "nightjar_run_last_success_timestamp_seconds" + j) == lastSuccess)
        #expect(value(drifted, "nightjar_run_logical_date_timestamp_seconds" + j) == "1795910400")

        // Failed before reading a row: the input is gone. Drift was not measured.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("fixtures/churn/score_input.csv"))
        #expect(throws: (any Error).self) { try RunExecutor(job: job).run(RunOptions(date: LogicalDate("2026-11-30")!)) }
        let failed = try checkedMetrics(job)
        #expect(value(failed, "nightjar_run_success" + j) == "0")
        #expect(value(failed, "nightjar_run_drift_status" + j) == "NaN")
        #expect(value(failed, "nightjar_run_rows{nightjar_job=\"churn-nightly\",stage=\"written\"}") == "0")
        #expect(value(failed, "nightjar_run_last_success_timestamp_seconds" + j) == lastSuccess)
        #expect(failed.range(of: #"[{,]job=""#, options: .regularExpression) == nil, "no `job` label: Prometheus would rename it exported_job")
    }

    @Test func anAppendRunThatFailsItsDriftGateCountsTheRowsItAppended() throws {
        let (job, dir) = try exampleJob()
        defer { try? FileManager.default.removeItem(at: dir) }
        var append = job
        append.writeMode = .append
        append.drift.overrides["region"] = (0.05, 0.1)
        #expect(throws: (any Error).self) { try RunExecutor(job: append).run(RunOptions(date: LogicalDate("2026-11-28")!)) }
        let text = try checkedMetrics(job)
        // The chunks were appended as they committed: they are in the table.
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("out/churn.db").path, readOnly: true)
        #expect(try db.query("SELECT count(*) FROM churn_nightly") == [["1000"]])
        #expect(value(text, "nightjar_run_rows{nightjar_job=\"churn-nightly\",stage=\"written\"}") == "1000")
        #expect(value(text, "nightjar_run_success{nightjar_job=\"churn-nightly\"}") == "0")
        #expect(!text.contains("last_success"), "the job never succeeded")
    }

    @Test func everyFamilyTheExporterCanWritePassesPromtool() throws {
        var m = RunMetrics(job: "churn \"nightly\"\\x\ny", status: "failed", logicalDate: "2026-11-28", modelVersion: "2",
                           durationSeconds: 0.25, rows: ["read": 10, "scored": 9, "written": 0, "rejected": 1], rejectedRows: 1,
                           featurePSI: ["age": 0.01, "region": .nan], predictionPSI: .infinity, lastSuccessTimestamp: 1_795_000_000,
                           endTimestamp: 1_795_900_000.5)
        m.lastSuccessRowsWritten = 10
        m.autoRollbacks = 3
        m.shadowFlipRate = ["churn@2": 0.02]
        m.shadowPredictionPSI = ["churn@2": 0.04]
        let text = MetricsExporter.render(m)
        #expect(Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }) == Self.exportedNames)
        try Promtool.checkMetrics(text)
        // As pushed to a Pushgateway: no labels of the grouping key in the body.
        try Promtool.checkMetrics(MetricsExporter.text(MetricsExporter.families(m, includeLastSuccess: true, jobLabel: false)))
    }

    /// The checker itself: the old names fail it, so a pass means something.
    @Test func promtoolRejectsANonCounterNamedTotal() throws {
        let r = try Promtool.run(["check", "metrics"], input: "# HELP nightjar_run_rows_total x\n# TYPE nightjar_run_rows_total gauge\nnightjar_run_rows_total 1\n")
        #expect(r.status != 0 && r.output.contains("_total"), "\(r.output)")
    }
}
