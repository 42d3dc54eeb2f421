import Foundation
import Testing
@testable import NightjarJobs

/// What `deploy/` ships for Prometheus and Grafana: the alert rules pass `promtool check rules` and
/// their unit tests (`promtool test rules`); alerts and dashboard name only metrics the exporter writes.
@Suite(.enabled(if: Promtool.enabled, "needs promtool (Debian package prometheus)"))
struct PrometheusDeployTests {
    static let root = PrometheusMetricsTests.root

    func read(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Names in `text` that look like Nightjar metric names (`nightjar_…`), label names left out.
    static func metricNames(in text: String) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: "(?<![A-Za-z0-9_:])nightjar_[A-Za-z0-9_]*")
        let names = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
        return Set(names).subtracting(PrometheusMetricsTests.labelNames)
    }

    @Test func theAlertRulesPassPromtoolCheckAndTheirUnitTests() throws {
        let check = try Promtool.run(["check", "rules", "deploy/prometheus/alerts.yml"], in: Self.root)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS: 6 rules found"), "\(check.output)")
        let test = try Promtool.run(["test", "rules", "deploy/prometheus/alerts_test.yml"], in: Self.root)
        #expect(test.status == 0, "\(test.output)")
        #expect(test.output.contains("SUCCESS"), "\(test.output)")
    }

    /// Each alert has a unit test where it fires and one where it stays quiet.
    @Test func everyAlertIsTestedFiringAndQuiet() throws {
        let rules = try read("deploy/prometheus/alerts.yml")
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("- alert: ") ? String(t.dropFirst("- alert: ".count)) : nil
        }
        #expect(Set(alerts) == ["NightjarRunFailed", "NightjarRunLate", "NightjarDriftWarn", "NightjarDriftFail",
                                "NightjarRejectedRowsHigh", "NightjarRowsWrittenLow"])
        let lines = try read("deploy/prometheus/alerts_test.yml").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var firing = Set<String>(), quiet = Set<String>()
        for (i, line) in lines.enumerated() where line.hasPrefix("alertname: ") && i + 1 < lines.count {
            let name = String(line.dropFirst("alertname: ".count))
            if lines[i + 1] == "exp_alerts: []" { quiet.insert(name) } else if lines[i + 1] == "exp_alerts:" { firing.insert(name) }
        }
        for alert in alerts {
            #expect(firing.contains(alert), "\(alert) is never tested firing")
            #expect(quiet.contains(alert), "\(alert) is never tested quiet")
        }
    }

    @Test func theAlertsNameOnlyMetricsTheExporterWrites() throws {
        for file in ["deploy/prometheus/alerts.yml", "deploy/prometheus/alerts_test.yml"] {
            let names = Self.metricNames(in: try read(file))
            #expect(!names.isEmpty)
            #expect(names.isSubset(of: PrometheusMetricsTests.exportedNames),
                    "\(file) names \(names.subtracting(PrometheusMetricsTests.exportedNames).sorted()), which the exporter does not write")
        }
    }

    /// The dashboard is JSON Grafana can import, its panels query only exported metrics, and every
    /// query is PromQL that Prometheus parses.
    @Test func theDashboardQueriesOnlyExportedMetricsInValidPromQL() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("deploy/grafana/nightjar.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((dashboard["title"] as? String)?.isEmpty == false)
        #expect((dashboard["uid"] as? String)?.isEmpty == false)
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        #expect(panels.count >= 10)

        var exprs: [String] = []
        for panel in panels {
            let targets = try #require(panel["targets"] as? [[String: Any]], "panel \(panel["title"] ?? "?") has no targets")
            #expect(!targets.isEmpty)
            for target in targets {
                let expr = try #require(target["expr"] as? String, "a target of \(panel["title"] ?? "?") has no expr")
                exprs.append(expr)
            }
        }
        // Every exported family is on the dashboard, and nothing else.
        var used = Set<String>()
        for expr in exprs {
            let names = Self.metricNames(in: expr)
            #expect(!names.isEmpty, "\(expr) queries no Nightjar metric")
            #expect(names.isSubset(of: PrometheusMetricsTests.exportedNames), "\(expr): unknown \(names.subtracting(PrometheusMetricsTests.exportedNames).sorted())")
            used.formUnion(names)
        }
        #expect(used == PrometheusMetricsTests.exportedNames, "not on the dashboard: \(PrometheusMetricsTests.exportedNames.subtracting(used).sorted())")
        // The job variable's query too.
        let templating = String(decoding: try JSONSerialization.data(withJSONObject: dashboard["templating"] ?? [:]), as: UTF8.self)
        #expect(Self.metricNames(in: templating).isSubset(of: PrometheusMetricsTests.exportedNames))

        // PromQL syntax: each query as a recording rule, checked by promtool.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (i, expr) in exprs.enumerated() {
            yaml += "      - record: dashboard:query\(i)\n        expr: \(String(decoding: try encoder.encode(expr), as: UTF8.self))\n"
        }
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("dashboard-queries.yml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let check = try Promtool.run(["check", "rules", file.path])
        #expect(check.status == 0, "\(check.output)\n\(yaml)")
    }
}
