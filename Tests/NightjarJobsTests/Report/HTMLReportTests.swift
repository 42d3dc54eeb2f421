import Foundation
import XCTest
@testable import NightjarJobs

final class HTMLReportTests: XCTestCase {
    /// A realistic nightly churn run: two features drifted, a few rejects.
    static func churnRun() -> RunReportData {
        RunReportData(
            job: "churn-nightly", runID: "r-20261129-023000-7f3a", logicalDate: "2026-11-28",
            status: "succeeded", driftStatus: "fail",
            startedAt: "2026-11-29T02:30:00Z", endedAt: "2026-11-29T02:31:47Z", durationSeconds: 107.4,
            rowsRead: 184_220, rowsScored: 184_093, rowsWritten: 184_093, rowsRejected: 127,
            model: ModelLineage(
                name: "churn", version: "7", sha256: "9f2c4e1b7a6d3f08c5e2b9a41d7e6c3f2a8b5d09e1c4f7a2b6d8e0c3f5a7b9d1",
                path: "models/churn/churn_xgb_v7.json", alias: "production", format: "xgboost-json",
                createdAt: "2026-11-02T14:12:09Z", verifiedBy: "nightjar verify (1,000 reference rows, max |Δ| 0)",
                libraries: ["xgboost": "2.1.1", "scikit-learn": "1.5.2", "numpy": "1.26.4"], nightjarVersion: "0.9.0"),
            features: [
                FeatureDriftRow(name: "age", nullRate: 0.0, referenceNullRate: 0.0, mean: 41.8, min: 18, max: 92, psi: 0.012, status: "ok"),
                FeatureDriftRow(name: "income", nullRate: 0.031, referenceNullRate: 0.012, mean: 58_412.7, min: 0, max: 412_000, psi: 0.184, status: "warn"),
                FeatureDriftRow(name: "tenure_months", nullRate: 0, referenceNullRate: 0, mean: 37.2, min: 0, max: 120, psi: 0.027, status: "ok"),
                FeatureDriftRow(name: "balance", nullRate: 0.002, referenceNullRate: 0.002, mean: 7_312.55, min: -1_250.5, max: 251_090.12, psi: 0.044, status: "ok"),
                FeatureDriftRow(name: "num_products", nullRate: 0, referenceNullRate: 0, mean: 1.53, min: 1, max: 4, psi: 0.006, status: "ok"),
                FeatureDriftRow(name: "last_login_days", nullRate: 0.054, referenceNullRate: 0.009, mean: 23.9, min: 0, max: 365, psi: 0.412, status: "fail"),
                FeatureDriftRow(name: "has_card", nullRate: 0, referenceNullRate: 0, mean: 0.71, min: 0, max: 1, psi: 0.003, status: "ok"),
                FeatureDriftRow(name: "region", nullRate: 0.001, referenceNullRate: 0.001, psi: 0.019, status: "ok"),
                FeatureDriftRow(name: "plan", nullRate: 0, referenceNullRate: 0, psi: 0.068, status: "ok"),
            ],
            predictionPSI: 0.087,
            histogram: ScoreHistogram(
                column: "churn_probability", edges: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                reference: [41_200, 28_900, 17_800, 11_900, 8_100, 5_600, 3_900, 2_700, 1_800, 1_100],
                current: [31_050, 26_400, 19_900, 15_800, 11_700, 8_900, 6_300, 4_900, 3_600, 2_543]),
            rejectReasons: [
                RejectReasonCount(column: "age", reason: "not a number", count: 12),
                RejectReasonCount(column: "income", reason: "below minimum 0", count: 94),
                RejectReasonCount(column: "plan", reason: "unknown category", count: 21),
            ],
            sampleRejects: [
                RejectSample(key: "C-1048812", column: "income", value: "-2500", reason: "below minimum 0"),
                RejectSample(key: "C-1049107", column: "age", value: "forty", reason: "not a number"),
                RejectSample(key: "C-1051233", column: "plan", value: "premium_plus_2027", reason: "unknown category"),
            ])
    }

    static func emptyRun() -> RunReportData {
        RunReportData(
            job: "empty", runID: "r1", logicalDate: "2026-11-28", status: "running", driftStatus: "ok",
            startedAt: "2026-11-29T02:30:00Z", rowsRead: 0, rowsScored: 0, rowsWritten: 0, rowsRejected: 0,
            model: ModelLineage(name: "m", version: "1", sha256: "", path: "m.json", nightjarVersion: "0.9.0"))
    }

    /// The text of one `<svg id=...>` element.
    func svg(_ html: String, id: String) throws -> String {
        let start = try XCTUnwrap(html.range(of: "<svg class=\"chart\" id=\"\(id)\""), "no chart \(id)")
        let end = try XCTUnwrap(html.range(of: "</svg>", range: start.upperBound..<html.endIndex))
        return String(html[start.lowerBound..<end.upperBound])
    }

    func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    func testSectionsHaveStableIDs() {
        let html = HTMLReport.render(Self.churnRun())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        for id in ["summary", "histogram", "drift", "rejects", "lineage"] {
            XCTAssertEqual(count("<section id=\"\(id)\">", in: html), 1, id)
        }
        XCTAssertTrue(html.contains("<style>"))
        XCTAssertTrue(html.contains("@media print"))
    }

    func testSummaryShowsRunAndCounts() {
        let html = HTMLReport.render(Self.churnRun())
        XCTAssertTrue(html.contains("<h1>churn-nightly</h1>"))
        XCTAssertTrue(html.contains("r-20261129-023000-7f3a"))
        XCTAssertTrue(html.contains("184,220"))
        XCTAssertTrue(html.contains("1 min 47 s"))
        XCTAssertTrue(html.contains("<span class=\"badge ok\">succeeded</span>"))
        XCTAssertTrue(html.contains("<span class=\"badge fail\">drift fail</span>"))
    }

    func testDriftChartHasOneBarPerFeatureSortedByPSI() throws {
        let data = Self.churnRun()
        let html = HTMLReport.render(data)
        let chart = try svg(html, id: "drift-chart")
        XCTAssertEqual(count("<rect", in: chart), data.features.count)
        XCTAssertEqual(count("class=\"threshold warn\"", in: chart), 1)
        XCTAssertEqual(count("class=\"threshold fail\"", in: chart), 1)
        // Largest PSI first, in the chart and in the table.
        let order = ["last_login_days", "income", "plan", "balance", "tenure_months", "region", "age", "num_products", "has_card"]
        let positions = order.map { chart.range(of: ">\($0)<")!.lowerBound }
        XCTAssertEqual(positions, positions.sorted())
        XCTAssertTrue(chart.contains("class=\"bar fail\""))
        XCTAssertTrue(chart.contains("class=\"bar warn\""))
        let table = String(html[html.range(of: "</svg>", range: html.range(of: "id=\"drift-chart\"")!.upperBound..<html.endIndex)!.upperBound...])
        let tablePositions = order.map { table.range(of: "<code>\($0)</code>")!.lowerBound }
        XCTAssertEqual(tablePositions, tablePositions.sorted())
    }

    func testHistogramHasTwoBarsPerBinAndRangeLabels() throws {
        let html = HTMLReport.render(Self.churnRun())
        let chart = try svg(html, id: "histogram-chart")
        XCTAssertEqual(count("<rect", in: chart), 20)
        XCTAssertEqual(count("class=\"bar ref\"", in: chart), 10)
        XCTAssertTrue(chart.contains(">&lt; 0.1<"))
        XCTAssertTrue(chart.contains(">0.4 – 0.5<"))
        XCTAssertTrue(chart.contains(">≥ 0.9<"))
        XCTAssertTrue(html.contains("Training reference"))
        XCTAssertTrue(html.contains("This run"))
    }

    func testEscapesEveryText() {
        var data = Self.churnRun()
        data.features[0].name = "<script>alert(1)</script>"
        data.error = "can't parse \"x\" & <y> in row 3"
        data.job = "a&b"
        data.sampleRejects[0].value = "<img src=x onerror=alert(1)>"
        data.model.libraries["<b>"] = "'1'"
        let html = HTMLReport.render(data)
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("can&#39;t parse &quot;x&quot; &amp; &lt;y&gt; in row 3"))
        XCTAssertTrue(html.contains("<h1>a&amp;b</h1>"))
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        XCTAssertTrue(html.contains("&lt;b&gt; &#39;1&#39;"))
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<b>"))
    }

    func testNoScriptsAndNoRemoteResources() {
        var data = Self.churnRun()
        data.model.path = "https://models.example/churn.json"
        let html = HTMLReport.render(data)
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("src="))
        XCTAssertFalse(html.contains("href="))
        XCTAssertFalse(html.contains("url("))
        XCTAssertFalse(html.contains("@import"))
        // The only remote-looking text is the escaped model path, shown as text.
        XCTAssertEqual(count("https://", in: html), 1)
        XCTAssertFalse(HTMLReport.render(Self.churnRun()).contains("http://") || HTMLReport.render(Self.churnRun()).contains("https://"))
    }

    func testEmptyDataRendersAndSaysSo() throws {
        let html = HTMLReport.render(Self.emptyRun())
        for id in ["summary", "histogram", "drift", "rejects", "lineage"] {
            XCTAssertTrue(html.contains("<section id=\"\(id)\">"), id)
        }
        XCTAssertTrue(html.contains("No score histogram"))
        XCTAssertTrue(html.contains("No feature statistics"))
        XCTAssertTrue(html.contains("No rejected rows"))
        XCTAssertFalse(html.contains("<svg"))
        XCTAssertTrue(html.contains("<span class=\"badge info\">running</span>"))
        XCTAssertTrue(html.contains("ended –"))
    }

    func testDegenerateHistogramsGetANote() {
        var data = Self.emptyRun()
        data.histogram = ScoreHistogram(column: "p", edges: [0.5], reference: [1, 2, 3], current: [1, 2])
        XCTAssertTrue(HTMLReport.render(data).contains("is inconsistent"))
        data.histogram = ScoreHistogram(column: "p", edges: [0.5], reference: [0, 0], current: [0, 0])
        XCTAssertTrue(HTMLReport.render(data).contains("has no rows"))
        data.histogram = ScoreHistogram(column: "p", edges: [], reference: [5], current: [7])
        XCTAssertTrue(HTMLReport.render(data).contains(">all<"))
    }

    func testNonFiniteValuesShowAsDash() throws {
        var data = Self.churnRun()
        data.features = [
            FeatureDriftRow(name: "a", nullRate: .nan, referenceNullRate: nil, mean: .infinity, min: -.infinity, max: .nan, psi: .nan, status: "ok"),
            FeatureDriftRow(name: "b", nullRate: 0, psi: .infinity, status: "fail"),
            FeatureDriftRow(name: "c", nullRate: 0, psi: 0.05, status: "ok"),
        ]
        data.durationSeconds = .nan
        data.predictionPSI = .infinity
        let html = HTMLReport.render(data)
        let chart = try svg(html, id: "drift-chart")
        XCTAssertEqual(count("<rect", in: chart), 3)
        // Every coordinate is a number: browsers drop elements with "nan" or "inf" in them.
        let coordinate = try NSRegularExpression(pattern: #" (x|y|x1|x2|y1|y2|width|height)="[^"]*[a-zA-Z]"#)
        XCTAssertEqual(coordinate.numberOfMatches(in: chart, range: NSRange(chart.startIndex..., in: chart)), 0, chart)
        XCTAssertTrue(chart.contains("<rect class=\"bar fail\" x=\"170\" y=\"27\" width=\"690\""), "infinite PSI: a full bar")
        let rowA = try XCTUnwrap(html.range(of: "<tr><td><code>a</code>"))
        let rowEnd = try XCTUnwrap(html.range(of: "</tr>", range: rowA.upperBound..<html.endIndex))
        XCTAssertEqual(count("<td class=\"num\">–</td>", in: String(html[rowA.lowerBound..<rowEnd.upperBound])), 5)
        // NaN sorts last.
        XCTAssertLessThan(chart.range(of: ">c<")!.lowerBound, chart.range(of: ">a<")!.lowerBound)
    }

    func testLongFeatureNamesAreShortenedInTheChartOnly() throws {
        var data = Self.churnRun()
        data.features[0].name = "days_since_last_successful_login"
        let html = HTMLReport.render(data)
        let chart = try svg(html, id: "drift-chart")
        XCTAssertTrue(chart.contains(">days_since_last_suc…<title>days_since_last_successful_login</title>"), chart)
        XCTAssertTrue(html.contains("<code>days_since_last_successful_login</code>"))
    }

    func testRejectsTableAndSample() throws {
        let html = HTMLReport.render(Self.churnRun())
        let section = String(html[html.range(of: "<section id=\"rejects\">")!.lowerBound...])
        let income = try XCTUnwrap(section.range(of: "below minimum 0")).lowerBound
        let plan = try XCTUnwrap(section.range(of: "unknown category")).lowerBound
        XCTAssertLessThan(income, plan, "largest count first")
        XCTAssertTrue(section.contains("C-1049107"))
        XCTAssertTrue(section.contains("74.0%"))
        var unexplained = Self.emptyRun()
        unexplained.rowsRejected = 3
        XCTAssertTrue(HTMLReport.render(unexplained).contains("3 rows rejected; no breakdown"))
    }

    func testLineage() {
        let html = HTMLReport.render(Self.churnRun())
        XCTAssertTrue(html.contains("9f2c4e1b7a6d3f08c5e2b9a41d7e6c3f2a8b5d09e1c4f7a2b6d8e0c3f5a7b9d1"))
        XCTAssertTrue(html.contains("numpy 1.26.4<br>scikit-learn 1.5.2<br>xgboost 2.1.1"))
        XCTAssertTrue(html.contains("<dt>Alias</dt><dd>production</dd>"))
        XCTAssertTrue(HTMLReport.render(Self.emptyRun()).contains("<dt>Alias</dt><dd>–</dd>"))
    }

    func testFormatting() {
        XCTAssertEqual(HTMLReport.grouped(0), "0")
        XCTAssertEqual(HTMLReport.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(HTMLReport.grouped(-1000), "-1,000")
        XCTAssertEqual(HTMLReport.number(58_412.7), "58,412.7")
        XCTAssertEqual(HTMLReport.number(-1_250.5), "-1,250.5")
        XCTAssertEqual(HTMLReport.number(1.53), "1.53")
        XCTAssertEqual(HTMLReport.number(0.0421), "0.042")
        XCTAssertEqual(HTMLReport.number(18), "18")
        XCTAssertEqual(HTMLReport.number(-0.0001), "0")
        XCTAssertEqual(HTMLReport.number(nil), "–")
        XCTAssertEqual(HTMLReport.duration(4.2), "4.20 s")
        XCTAssertEqual(HTMLReport.duration(754), "12 min 34 s")
        XCTAssertEqual(HTMLReport.duration(7384), "2 h 03 min")
        XCTAssertEqual(HTMLReport.niceScale(0.335).top, 0.4, accuracy: 1e-12)
        XCTAssertEqual(HTMLReport.niceScale(0.335).step, 0.1, accuracy: 1e-12)
        XCTAssertEqual(HTMLReport.niceScale(0.412).top, 0.6, accuracy: 1e-12)
        XCTAssertEqual(HTMLReport.niceScale(0.3).top, 0.3, accuracy: 1e-12)
        XCTAssertEqual(HTMLReport.niceScale(0.06).step, 0.02, accuracy: 1e-12)
        XCTAssertEqual(HTMLReport.niceScale(0).top, 1)
        XCTAssertEqual(HTMLReport.ticks((0.4, 0.1)).count, 5)
        XCTAssertEqual(HTMLReport.tickDecimals(0.05), 2)
        XCTAssertEqual(HTMLReport.tickDecimals(0.1), 1)
    }

    /// Writes the sample report to the path in NIGHTJAR_REPORT_PREVIEW, to look at it in a browser.
    func testWritesPreviewWhenAsked() throws {
        guard let path = ProcessInfo.processInfo.environment["NIGHTJAR_REPORT_PREVIEW"] else { return }
        try HTMLReport.render(Self.churnRun()).write(toFile: path, atomically: true, encoding: .utf8)
    }
}
