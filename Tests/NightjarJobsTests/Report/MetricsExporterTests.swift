import Foundation
import XCTest
@testable import NightjarJobs

final class MetricsExporterTests: XCTestCase {
    func sample(status: String = "succeeded", job: String = "churn-nightly") -> RunMetrics {
        var m = RunMetrics(
            job: job, status: status, logicalDate: "2026-11-28", modelVersion: "3",
            durationSeconds: 12.5,
            rows: ["read": 1000, "scored": 990, "written": 990, "rejected": 10],
            rejectedRows: 10, featurePSI: ["income": 0.31, "age": 0.02], predictionPSI: 0.05,
            lastSuccessTimestamp: 1_764_300_000, endTimestamp: 1_764_300_012.25
        )
        m.modelName = "churn"
        m.nightjarVersion = "0.3.0"
        m.driftStatus = "warn"
        m.lastSuccessRowsWritten = 990
        return m
    }

    func testRenderGolden() {
        let expected = """
        # HELP nightjar_feature_psi Population stability index of each input feature in the latest run against the training reference.
        # TYPE nightjar_feature_psi gauge
        nightjar_feature_psi{nightjar_job="churn-nightly",feature="age"} 0.02
        nightjar_feature_psi{nightjar_job="churn-nightly",feature="income"} 0.31
        # HELP nightjar_prediction_psi Population stability index of the predictions of the latest run against the training reference.
        # TYPE nightjar_prediction_psi gauge
        nightjar_prediction_psi{nightjar_job="churn-nightly"} 0.05
        # HELP nightjar_run_drift_status Worst drift of the latest run of the job: 0 ok, 1 warn, 2 fail, NaN not measured.
        # TYPE nightjar_run_drift_status gauge
        nightjar_run_drift_status{nightjar_job="churn-nightly"} 1
        # HELP nightjar_run_duration_seconds Seconds the latest run of the job was at work (a resumed run's downtime excluded).
        # TYPE nightjar_run_duration_seconds gauge
        nightjar_run_duration_seconds{nightjar_job="churn-nightly"} 12.5
        # HELP nightjar_run_end_timestamp_seconds Unix time the latest run of the job ended, whatever its outcome.
        # TYPE nightjar_run_end_timestamp_seconds gauge
        nightjar_run_end_timestamp_seconds{nightjar_job="churn-nightly"} 1764300012.25
        # HELP nightjar_run_info Always 1; labels name the model and Nightjar version of the latest run of the job.
        # TYPE nightjar_run_info gauge
        nightjar_run_info{nightjar_job="churn-nightly",model="churn",model_version="3",nightjar_version="0.3.0"} 1
        # HELP nightjar_run_last_success_rows_written Rows the last successful run of the job published.
        # TYPE nightjar_run_last_success_rows_written gauge
        nightjar_run_last_success_rows_written{nightjar_job="churn-nightly"} 990
        # HELP nightjar_run_last_success_timestamp_seconds Unix time the last successful run of the job ended.
        # TYPE nightjar_run_last_success_timestamp_seconds gauge
        nightjar_run_last_success_timestamp_seconds{nightjar_job="churn-nightly"} 1764300000
        # HELP nightjar_run_logical_date_timestamp_seconds Unix time of 00:00 UTC of the logical date of the latest run of the job.
        # TYPE nightjar_run_logical_date_timestamp_seconds gauge
        nightjar_run_logical_date_timestamp_seconds{nightjar_job="churn-nightly"} 1795824000
        # HELP nightjar_run_rejected_rows Rows the latest run of the job rejected (they broke the input contract).
        # TYPE nightjar_run_rejected_rows gauge
        nightjar_run_rejected_rows{nightjar_job="churn-nightly"} 10
        # HELP nightjar_run_rows Rows of the latest run of the job per stage (read, rejected, scored, written); written is 0 when the run published nothing.
        # TYPE nightjar_run_rows gauge
        nightjar_run_rows{nightjar_job="churn-nightly",stage="read"} 1000
        nightjar_run_rows{nightjar_job="churn-nightly",stage="rejected"} 10
        nightjar_run_rows{nightjar_job="churn-nightly",stage="scored"} 990
        nightjar_run_rows{nightjar_job="churn-nightly",stage="written"} 990
        # HELP nightjar_run_success Whether the latest run of the job succeeded (1) or not (0).
        # TYPE nightjar_run_success gauge
        nightjar_run_success{nightjar_job="churn-nightly"} 1

        """
        XCTAssertEqual(MetricsExporter.render(sample()), expected)
        XCTAssertEqual(MetricsExporter.render(sample()), MetricsExporter.render(sample()), "stable output")
    }

    func testLastSuccessOmittedOnRequestOrWhenUnknown() {
        XCTAssertFalse(MetricsExporter.render(sample(), includeLastSuccess: false).contains("last_success"))
        var m = sample(status: "failed")
        m.lastSuccessTimestamp = nil
        m.lastSuccessRowsWritten = nil
        let text = MetricsExporter.render(m)
        XCTAssertFalse(text.contains("last_success"))
        XCTAssertTrue(text.contains("nightjar_run_success{nightjar_job=\"churn-nightly\"} 0\n"))
    }

    /// Conventional names and types: counters end in `_total`, nothing else does; no `job` label,
    /// which Prometheus would rename to `exported_job`.
    func testNamesTypesAndLabelsFollowPrometheusConventions() {
        var m = sample()
        m.autoRollbacks = 2
        m.shadowFlipRate = ["churn@2": 0.01]
        m.shadowPredictionPSI = ["churn@2": 0.02]
        let text = MetricsExporter.render(m)
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            types[String(parts[2])] = String(parts[3])
        }
        XCTAssertEqual(types.count, 15, "\(types)")
        for (name, type) in types {
            XCTAssertEqual(type, name.hasSuffix("_total") ? "counter" : "gauge", name)
        }
        XCTAssertEqual(types["nightjar_model_auto_rollbacks_total"], "counter")
        XCTAssertTrue(text.contains("nightjar_model_auto_rollbacks_total{nightjar_job=\"churn-nightly\"} 2\n"))
        XCTAssertNil(text.range(of: #"[{,]job=""#, options: .regularExpression), text)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            XCTAssertTrue(line.contains("{nightjar_job=\"churn-nightly\""), String(line))
        }
    }

    /// A job keeps one series per metric: the logical date and the outcome are values, not labels.
    func testNoLabelChangesFromRunToRun() {
        func series(_ m: RunMetrics) -> [String] {
            MetricsExporter.render(m).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[0]) }
        }
        var next = sample(status: "failed")
        next.logicalDate = "2026-11-29"
        next.endTimestamp += 86_400
        next.driftStatus = "fail"
        XCTAssertEqual(series(sample()), series(next))
        XCTAssertTrue(MetricsExporter.render(next).contains("nightjar_run_logical_date_timestamp_seconds{nightjar_job=\"churn-nightly\"} 1795910400\n"))
    }

    func testDriftStatusValues() {
        for (status, value) in [("ok", "0"), ("warn", "1"), ("fail", "2"), (nil, "NaN")] as [(String?, String)] {
            var m = sample()
            m.driftStatus = status
            XCTAssertTrue(MetricsExporter.render(m).contains("nightjar_run_drift_status{nightjar_job=\"churn-nightly\"} \(value)\n"), "\(status ?? "nil")")
        }
    }

    func testLabelValuesAreEscaped() {
        var m = sample(job: "a\\b\"c\nd")
        m.featurePSI = ["x\"y": 0.5]
        let text = MetricsExporter.render(m)
        XCTAssertTrue(text.contains(#"nightjar_run_success{nightjar_job="a\\b\"c\nd"} 1"#), text)
        XCTAssertTrue(text.contains(#"nightjar_feature_psi{nightjar_job="a\\b\"c\nd",feature="x\"y"} 0.5"#), text)
        // Every sample stays on one line: a raw newline in a label would break the format.
        for line in text.split(separator: "\n") {
            XCTAssertTrue(line.hasPrefix("nightjar_") || line.hasPrefix("# "), String(line))
        }
    }

    func testNonFiniteValues() {
        var m = sample()
        m.featurePSI = ["a": .nan, "b": .infinity, "c": -.infinity]
        m.predictionPSI = .nan
        let text = MetricsExporter.render(m)
        XCTAssertTrue(text.contains("feature=\"a\"} NaN\n"))
        XCTAssertTrue(text.contains("feature=\"b\"} +Inf\n"))
        XCTAssertTrue(text.contains("feature=\"c\"} -Inf\n"))
        XCTAssertTrue(text.contains("nightjar_prediction_psi{nightjar_job=\"churn-nightly\"} NaN\n"))
    }

    func testTextfileIsWrittenAtomicallyAndOverwritten() throws {
        let dir = temporaryDirectory().appendingPathComponent("textfile/collector")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let path = dir.appendingPathComponent("nightjar_churn.prom").path

        try MetricsExporter.writeTextfile(sample(), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), MetricsExporter.render(sample()))

        let failed = sample(status: "failed")
        try MetricsExporter.writeTextfile(failed, to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), MetricsExporter.render(failed))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["nightjar_churn.prom"],
                       "no temp file left behind")
    }

    func testTextfileErrorNamesThePath() {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The target is a directory: the rename fails and the temp file is cleaned up.
        let target = dir.appendingPathComponent("taken.prom")
        try! FileManager.default.createDirectory(at: target.appendingPathComponent("x"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try MetricsExporter.writeTextfile(sample(), to: target.path)) { error in
            XCTAssertTrue(String(describing: error).contains(target.path), String(describing: error))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["taken.prom"])
    }

    func testPushPostsTextToTheJobGroup() throws {
        let server = try LocalHTTPServer()
        defer { server.stop() }
        try MetricsExporter.push(sample(), to: server.url + "/")

        let requests = server.requests
        XCTAssertEqual(requests.count, 1)
        let r = try XCTUnwrap(requests.first)
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.path, "/metrics/job/nightjar/nightjar_job/churn-nightly")
        XCTAssertTrue(r.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") ?? false, "\(r.headers)")
        // The body is the textfile rendering without the `job` label, which the grouping key sets.
        let expected = MetricsExporter.render(sample())
            .replacingOccurrences(of: "{nightjar_job=\"churn-nightly\"}", with: "")
            .replacingOccurrences(of: "{nightjar_job=\"churn-nightly\",", with: "{")
        XCTAssertEqual(r.body, expected)
        XCTAssertTrue(r.body.contains("nightjar_run_last_success_timestamp_seconds 1764300000\n"))
        XCTAssertTrue(r.body.contains("nightjar_run_last_success_rows_written 990\n"))
        XCTAssertFalse(r.body.contains("nightjar_job="), "the grouping key carries the job")
    }

    func testPushOmitsLastSuccessWhenTheRunFailed() throws {
        let server = try LocalHTTPServer()
        defer { server.stop() }
        try MetricsExporter.push(sample(status: "failed"), to: server.url)
        let body = try XCTUnwrap(server.requests.first).body
        XCTAssertFalse(body.contains("nightjar_run_last_success_timestamp_seconds"))
        XCTAssertFalse(body.contains("nightjar_run_last_success_rows_written"))
        XCTAssertTrue(body.contains("nightjar_run_success 0\n"))
        XCTAssertTrue(body.contains("nightjar_run_end_timestamp_seconds 1764300012.25\n"))
    }

    func testPushFailureNamesURLAndStatus() throws {
        let server = try LocalHTTPServer(status: 500)
        defer { server.stop() }
        XCTAssertThrowsError(try MetricsExporter.push(sample(), to: server.url)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains(server.url + "/metrics/job/nightjar/nightjar_job/churn-nightly"), text)
            XCTAssertTrue(text.contains("HTTP 500"), text)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)")
        }
    }

    func testPushToClosedPortNamesURL() throws {
        let server = try LocalHTTPServer()
        let url = server.url
        server.stop()
        XCTAssertThrowsError(try MetricsExporter.push(sample(), to: url)) { error in
            XCTAssertTrue(String(describing: error).contains(url), String(describing: error))
            XCTAssertTrue(String(describing: error).contains("connection refused"), String(describing: error))
        }
    }

    func testPushURLEncoding() throws {
        XCTAssertEqual(try MetricsExporter.pushURL(base: "http://gw:9091", job: "churn nightly").absoluteString,
                       "http://gw:9091/metrics/job/nightjar/nightjar_job/churn%20nightly")
        // '/' cannot be sent even percent-encoded: base64url with the @base64 suffix.
        XCTAssertEqual(try MetricsExporter.pushURL(base: "http://gw:9091/", job: "x/???>").absoluteString,
                       "http://gw:9091/metrics/job/nightjar/nightjar_job@base64/eC8_Pz8-")
        XCTAssertEqual(try MetricsExporter.pushURL(base: "https://gw.example/prefix", job: "").absoluteString,
                       "https://gw.example/prefix/metrics/job/nightjar/nightjar_job@base64/=")
        XCTAssertThrowsError(try MetricsExporter.pushURL(base: "gw:9091", job: "x"))
    }
}
