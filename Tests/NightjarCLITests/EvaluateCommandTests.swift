import Foundation
import Testing

/// `nightjar evaluate` as a real process on the churn fixtures (champion churn@1, churn@2 as shadow
/// challenger and 25% split), its text and JSON output, the metrics file as promtool reads it, the
/// outcome rule moving the alias, and the HTML reports that show the outcomes.
@Suite struct EvaluateCommandTests {
    let cli = CLITests()

    func makeJob() throws -> (dir: URL, job: String) {
        let dir = cli.temporaryDirectory()
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("models"), to: dir.appendingPathComponent("models"))
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("fixtures/churn/train_sample.csv"), to: dir.appendingPathComponent("in.csv"))
        let yaml = """
            name: evaluated
            model: churn@champion
            registry: models
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 1000
            max_reject_fraction: 5%
            drift: { warn: 0.5, fail: 0.9 }
            sink: { sqlite: { path: out.db, table: scores } }
            challengers: [churn@2]
            split: { challenger: churn@2, share: 25% }
            metrics: { textfile: metrics/evaluated.prom }
            promote_when: { metric: auc, better_by: 0.001, min_rows: 1000, days: 1 }
            """
        let job = dir.appendingPathComponent("job.yaml")
        try yaml.write(to: job, atomically: true, encoding: .utf8)
        #expect(try cli.run(["models", "promote", "churn", "1", "--alias", "champion", "--job", job.path]).status == 0)
        let run = try cli.run(["run", job.path, "--date", "2026-11-28", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        return (dir, job.path)
    }

    /// promtool from the Debian package prometheus (installed by scripts/test.sh).
    static let promtool: String? = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func textJSONMetricsRuleAndReports() throws {
        let (dir, job) = try makeJob()
        let labels = dir.appendingPathComponent("in.csv").path
        // A dry run: the table, and what the rule would do, moving nothing.
        let dry = try cli.run(["evaluate", job, "--date", "2026-11-28", "--labels", labels, "--label-column", "churned", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let lines = dry.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("evaluated 2026-11-28: 6000 label rows read from \(labels) (column churned)"))
        #expect(lines[1].hasPrefix("MODEL  VERSION  ARM") && lines[1].contains("AUC") && lines[1].contains("VS CHAMPION (95% CI)"))
        #expect(lines[2].hasPrefix("churn  1        champion") && lines[3].hasPrefix("churn  2        split") && lines[4].hasPrefix("churn  2        challenger"))
        #expect(lines[4].contains("auc +") && lines[4].contains("significant"))
        #expect(dry.stdout.contains("would promote (--dry-run): outcome rule promote_when: auc"))
        let history = try cli.run(["models", "history", "churn", "--job", job])
        #expect(!history.stdout.contains("outcome rule"))

        // JSON: one object per model version and arm; then the rule moves the alias.
        let json = try cli.run(["evaluate", job, "--date", "2026-11-28", "--labels", labels, "--label-column", "churned", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let objects = try json.stdout.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.count == 3)
        #expect(objects.map { "\($0["model"]!)@\($0["version"]!) \($0["arm"]!)" } == ["churn@1 champion", "churn@2 split", "churn@2 challenger"])
        for o in objects {
            #expect(o["rows_matched"] as? Int == o["rows_scored"] as? Int)
            for key in ["auc", "log_loss", "brier", "ece", "accuracy", "precision", "recall"] { #expect(o[key] is Double, "\(key)") }
            for key in ["rmse", "mae", "r2"] { #expect(o[key] is NSNull, "\(key)") }
        }
        #expect(json.stderr.contains("promoted churn 2 to @champion (was 1): outcome rule promote_when"))
        let moved = try cli.run(["models", "history", "churn", "--job", job])
        #expect(moved.stdout.contains("churn@champion → 2 (was 1)") && moved.stdout.contains("outcome rule promote_when: auc"))

        // The metrics file holds the evaluation, and Prometheus' own checker accepts it.
        let metrics = try String(contentsOf: dir.appendingPathComponent("metrics/evaluated.prom"), encoding: .utf8)
        #expect(metrics.contains("nightjar_evaluation_auc{nightjar_job=\"evaluated\",model=\"churn\",model_version=\"1\",arm=\"champion\"} 0.9"))
        #expect(metrics.contains("nightjar_evaluation_labels{nightjar_job=\"evaluated\",kind=\"read\"} 6000"))
        #expect(metrics.contains("nightjar_run_success{nightjar_job=\"evaluated\"} 1"))
        if ProcessInfo.processInfo.environment["NIGHTJAR_REQUIRE_PG"] == "1" || Self.promtool != nil {
            let promtool = try #require(Self.promtool, "promtool is missing: install the Debian package prometheus (scripts/test.sh does)")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: promtool)
            p.arguments = ["check", "metrics"]
            let input = Pipe(), output = Pipe()
            p.standardInput = input
            p.standardOutput = output
            p.standardError = output
            try p.run()
            input.fileHandleForWriting.write(Data(metrics.utf8))
            try input.fileHandleForWriting.close()
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0 && said.isEmpty, "promtool check metrics: \(said)")
        }

        // The run's report shows the outcomes and the calibration plot; the range report the AUC per night.
        let runs = try cli.run(["runs", "--job", job, "--json"])
        let runID = try #require((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])?.first?["run_id"] as? String)
        let page = dir.appendingPathComponent("report.html").path
        #expect(try cli.run(["report", runID, "--job", job, "--html", page]).status == 0)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("<section id=\"outcomes\">") && html.contains("id=\"calibration-chart\""))
        #expect(html.contains("churn@2</code></td><td>challenger</td>") && html.contains("6,000 label rows"))
        let range = dir.appendingPathComponent("outcomes.html").path
        let r = try cli.run(["report", "--job", job, "--from", "2026-11-01", "--to", "2026-11-30", "--html", range])
        #expect(r.status == 0, "\(r.stderr)")
        let over = try String(contentsOfFile: range, encoding: .utf8)
        #expect(over.contains("id=\"outcomes-chart\"") && over.contains("AUC per night") && over.components(separatedBy: "<circle").count - 1 == 3)
    }

    @Test func errorsAreOneLineWithTheirExitStatus() throws {
        let (dir, job) = try makeJob()
        let labels = dir.appendingPathComponent("in.csv").path
        let missing = try cli.run(["evaluate", job, "--date", "2026-11-28", "--labels", labels, "--label-column", "outcome"])
        #expect(missing.status == 65 && missing.stderr.hasPrefix("error: \(labels): no column 'outcome' (--label-column)"), "\(missing.stderr)")
        let notRun = try cli.run(["evaluate", job, "--date", "2026-11-20", "--labels", labels, "--label-column", "churned"])
        #expect(notRun.status == 78 && notRun.stderr.contains("has published nothing for 2026-11-20"), "\(notRun.stderr)")
        let badRange = try cli.run(["evaluate", job, "--from", "2026-11-28", "--labels", labels, "--label-column", "churned"])
        #expect(badRange.status == 64 && badRange.stderr.contains("give both --from and --to"))
        // A range: dates without a run are "not scored", the run's date is evaluated.
        let range = try cli.run(["evaluate", job, "--from", "2026-11-27", "--to", "2026-11-28", "--labels", labels, "--label-column", "churned", "--dry-run"])
        #expect(range.status == 0, "\(range.stderr)")
        #expect(range.stdout.contains("evaluated 2026-11-27: not scored (it has no run)") && range.stdout.contains("churn  1        champion"))
    }
}
