import Foundation
import Testing
import NightjarIO
import NightjarCore
@testable import NightjarJobs

/// Shadow challengers, A/B splits, canary promotion and automatic rollback, on the churn fixtures:
/// XGBoost (the repository's bundle churn@1) as champion, LightGBM (churn@2) as challenger.
@Suite struct RolloutTests {
    static let root = fixtures.deletingLastPathComponent()

    /// A job in a fresh directory reading the repository's registry, with churn@1 as champion.
    func makeJob(_ extra: String, input: String? = nil, name: String = "rollout") throws -> (JobSpec, URL) {
        let dir = temporaryDirectory()
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("models"), to: dir.appendingPathComponent("models"))
        let text = try input ?? String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: \(name)
            model: churn@champion
            registry: models
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 300
            sink: { sqlite: { path: out.db, table: scores } }
            \(extra)
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        try aliases(job).promote(model: "churn", version: "1", alias: "champion")
        return (job, dir)
    }

    func aliases(_ job: JobSpec) throws -> ModelAliases {
        ModelAliases(registry: ModelRegistry(root: job.registry), store: try SQLiteRunStore(path: job.state))
    }

    func query(_ dir: URL, _ sql: String) throws -> [[String?]] {
        try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true).query(sql)
    }

    func run(_ job: JobSpec, _ date: String) throws -> RunRecord {
        try RunExecutor(job: job).run(RunOptions(date: LogicalDate(date)!))
    }

    /// The libraries' own probabilities for every customer of score_input.csv.
    func expected(_ file: String) throws -> [String: Double] {
        let c = try readColumns(fixture(file))
        return Dictionary(uniqueKeysWithValues: zip(c["customer_id"]!, c["probability"]!.map { Double($0)! }))
    }

    @Test func aShadowChallengerScoresTheSameRowsIntoTheShadowTableAndIsCompared() throws {
        let (job, dir) = try makeJob("challengers: [churn@2]")
        let record = try run(job, "2026-11-28")
        #expect(record.status == .succeeded && record.modelVersion == "1")
        // The champion's table is the champion's alone; the shadow table holds the challenger's rows, keyed alike.
        #expect(try query(dir, "SELECT model_version, count(*) FROM scores GROUP BY 1") == [["1", "1000"]])
        #expect(try query(dir, "SELECT model_version, model_name, count(*) FROM scores_shadow GROUP BY 1, 2") == [["2", "churn", "1000"]])
        let xgb = try expected("churn/churn_xgb.expected.csv"), lgbm = try expected("churn/churn_lgbm.expected.csv")
        for row in try query(dir, "SELECT customer_id, probability FROM scores_shadow") {
            #expect(abs(Double(row[1]!)! - lgbm[row[0]!]!) < 1e-6)
        }

        // The comparison, computed here from the two libraries' own predictions.
        let keys = xgb.keys.sorted()
        let x = keys.map { xgb[$0]! }, y = keys.map { lgbm[$0]! }
        let n = Double(keys.count)
        let meanAbs = zip(x, y).map { abs($0 - $1) }.reduce(0, +) / n
        let maxAbs = zip(x, y).map { abs($0 - $1) }.max()!
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), syy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        let correlation = sxy / (sxx * syy).squareRoot()
        let flips = zip(x, y).filter { ($0 >= 0.5) != ($1 >= 0.5) }.count
        // PSI over the champion's training deciles of the probability (its bundle's reference).
        let reference = try ModelBundle(directory: job.registry + "/churn/1").reference()
        let edges = reference.prediction!.edges
        func bins(_ v: [Double]) -> [Double] {
            var counts = [Double](repeating: 0, count: edges.count + 1)
            for p in v { counts[edges.firstIndex { p <= $0 } ?? edges.count] += 1 }
            return counts.map { max($0 / n, 1e-4) }
        }
        let psi = zip(bins(x), bins(y)).map { e, a in (a - e) * log(a / e) }.reduce(0, +)

        let stored = try SQLiteRunStore(path: job.state).shadowComparisons(runID: record.runID)
        #expect(stored.count == 1)
        let c = try #require(stored.first)
        #expect(c.challenger == "churn@2" && c.modelVersion == "2" && c.championVersion == "1" && c.rows == 1000)
        #expect(abs(c.meanAbsDiff - meanAbs) < 1e-6)
        #expect(abs(c.maxAbsDiff - maxAbs) < 1e-6)
        #expect(abs(c.correlation! - correlation) < 1e-6)
        #expect(c.flipRate == Double(flips) / n)
        #expect(abs(c.predictionPSI - psi) < 1e-6)
        #expect(c.championMicrosPerRow > 0 && c.challengerMicrosPerRow > 0)
        // The run's report shows it.
        let html = HTMLReport.render(try RunReportData.load(runID: record.runID, store: try SQLiteRunStore(path: job.state)))
        #expect(html.contains("id=\"shadows\"") && html.contains("<code>churn@2</code>"))
    }

    @Test func aSplitSendsTheSameKeysToTheChallengerEveryNight() throws {
        // 20,000 keys: K0-C100000 … K19-C100999.
        var lines = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        let body = (0..<20).flatMap { copy in lines.map { "K\(copy)-" + $0 } }
        let (job, dir) = try makeJob("split: { by: customer_id, challenger: churn@2, share: 0.10 }",
                                     input: ([header] + body).joined(separator: "\n") + "\n")
        #expect(job.split?.share == 0.10)
        _ = try run(job, "2026-11-27")
        _ = try run(job, "2026-11-28")
        let sides = try query(dir, "SELECT logical_date, customer_id, model_version FROM scores")
        #expect(sides.count == 40_000)
        var byDate: [String: [String: String]] = [:]
        for r in sides { byDate[r[0]!, default: [:]][r[1]!] = r[2]! }
        #expect(byDate["2026-11-27"] == byDate["2026-11-28"])
        let night = byDate["2026-11-28"]!
        let share = Double(night.values.filter { $0 == "2" }.count) / Double(night.count)
        #expect(abs(share - 0.10) < 0.01, "challenger share \(share)")
        // The documented hash, computed here: 64-bit FNV-1a of the key, bucket mod 10,000 below 1,000.
        for (key, version) in night {
            var h: UInt64 = 0xcbf29ce484222325
            for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            #expect((h % 10_000 < 1_000) == (version == "2"), "\(key)")
        }
        // Each side carries its own model's prediction.
        let xgb = try expected("churn/churn_xgb.expected.csv"), lgbm = try expected("churn/churn_lgbm.expected.csv")
        for r in try query(dir, "SELECT customer_id, probability, model_version FROM scores WHERE logical_date = '2026-11-28' LIMIT 2000") {
            let customer = String(r[0]!.split(separator: "-").last!)
            let want = r[2] == "2" ? lgbm[customer]! : xgb[customer]!
            #expect(abs(Double(r[1]!)! - want) < 1e-6)
        }
    }

    @Test func aCanaryIsPromotedOnlyWhenItsShadowRunsMeetTheBounds() throws {
        let (job, _) = try makeJob("challengers: [churn@2]")
        let a = try aliases(job)
        let bounds = ModelAliases.CanaryBounds(runs: 3, maxFlipRate: 0.05)
        for (i, date) in ["2026-11-25", "2026-11-26"].enumerated() {
            _ = try run(job, date)
            #expect { try a.checkCanary(model: "churn", version: "2", bounds: bounds) } throws: {
                "\($0)".contains("has \(i + 1) succeeded shadow run(s), 3 needed")
            }
        }
        _ = try run(job, "2026-11-27")
        // LightGBM flips 4.1% of the XGBoost labels on these customers.
        #expect { try a.checkCanary(model: "churn", version: "2", bounds: .init(runs: 3, maxFlipRate: 0.02)) } throws: {
            "\($0)".contains("flip rate 0.0410 > --max-flip-rate 0.02 in run")
        }
        #expect { try a.checkCanary(model: "churn", version: "2", bounds: .init(runs: 3, minCorrelation: 0.99)) } throws: {
            "\($0)".contains("correlation 0.94")
        }
        #expect(try a.checkCanary(model: "churn", version: "2", bounds: bounds).count == 3)
        try a.promote(model: "churn", version: "2", alias: "champion", reason: "canary")
        #expect(try run(job, "2026-11-28").modelVersion == "2")
    }

    @Test func aNewlyPromotedChampionThatDriftsIsRolledBack() throws {
        // Tenure collapsed and logins far apart: the predictions move far from training.
        var lines = try String(contentsOfFile: fixture("churn/score_input.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        for i in 1..<lines.count {
            var f = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[3] = "2"
            f[6] = String((Double(f[6]) ?? 0) * 4 + 30)
            lines[i] = f.joined(separator: ",")
        }
        let drifted = lines.joined(separator: "\n") + "\n"
        let (job, dir) = try makeJob("""
            rollback: { max_prediction_psi: 0.5 }
            drift: { warn: 5, fail: 10 }
            max_reject_fraction: 50%
            metrics: { textfile: metrics.prom }
            """)
        let a = try aliases(job)
        // The champion of long standing is never rolled back by the policy; a newly promoted one is.
        try a.promote(model: "churn", version: "2", alias: "champion")
        let calm = try run(job, "2026-11-26")
        #expect(calm.modelVersion == "2" && (calm.predictionPSI ?? 1) < 0.5)
        #expect(try a.store.alias(model: "churn", alias: "champion") == "2")

        try drifted.write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        let bad = try run(job, "2026-11-27")
        #expect(bad.modelVersion == "2" && bad.predictionPSI! > 0.5)
        #expect(try a.store.alias(model: "churn", alias: "champion") == "1")
        let event = try #require(try a.store.aliasEvents(model: "churn", alias: "champion").last)
        #expect(event.action == .autoRollback && event.version == "1" && event.previousVersion == "2" && event.runID == bad.runID)
        #expect(event.reason?.contains("prediction PSI") == true)
        let prom = try String(contentsOf: dir.appendingPathComponent("metrics.prom"), encoding: .utf8)
        #expect(prom.contains("nightjar_model_auto_rollbacks_total{nightjar_job=\"rollout\"} 1"))
        // The next run uses the previous version.
        #expect(try run(job, "2026-11-28").modelVersion == "1")
    }

    @Test func aFailedRunRetriedAfterARollbackTakesTheAliasAsItIsNow() throws {
        // Version 2, newly promoted, fails twice on a drift threshold; max_failures rolls it back, and
        // the retry of the same date runs version 1 (a failed run is not in flight).
        let (job, dir) = try makeJob("""
            rollback: { max_failures: 2 }
            drift: { warn: 0.01, fail: 0.05 }
            """)
        let a = try aliases(job)
        try a.promote(model: "churn", version: "2", alias: "champion")
        for attempt in 1...2 {
            #expect(throws: (any Error).self, "attempt \(attempt)") { try run(job, "2026-11-28") }
        }
        #expect(try a.store.alias(model: "churn", alias: "champion") == "1")
        #expect(try a.store.aliasEvents(model: "churn", alias: "champion").last?.reason?.contains("2 failed run(s) in a row") == true)
        var relaxed = job
        relaxed.drift = JobSpec.DriftThresholds()
        let retried = try RunExecutor(job: relaxed).run(RunOptions(date: LogicalDate("2026-11-28")!))
        #expect(retried.status == .succeeded && retried.modelVersion == "1")
        #expect(try query(dir, "SELECT DISTINCT model_version FROM scores") == [["1"]])
    }

    @Test func outputsSelectTheirOwnColumns() throws {
        // `outputs: [label]` writes the label, not the probability in the label's place.
        let (job, dir) = try makeJob("outputs: [label]")
        _ = try run(job, "2026-11-28")
        let xgb = try expected("churn/churn_xgb.expected.csv")
        let rows = try query(dir, "SELECT customer_id, label FROM scores")
        #expect(rows.count == 1000)
        for r in rows { #expect(r[1] == (xgb[r[0]!]! >= 0.5 ? "1" : "0")) }
        let columns = try query(dir, "SELECT name FROM pragma_table_info('scores')").map { $0[0]! }
        #expect(!columns.contains("probability"))
    }

    @Test func challengersNeedTheSameOutputsAndASink() throws {
        #expect(throws: JobFileError.self) {
            try JobSpec.parse(yaml: "name: x\nmodel: churn@champion\nsource: { csv: a.csv }\nchallengers: [churn@2]\nsink: { csv: { path: o.csv } }\n", file: "/j.yaml")
        }
        #expect(throws: JobFileError.self) {
            try JobSpec.parse(yaml: "name: x\nmodel: m.json\nsource: { csv: a.csv }\nrollback: { max_failures: 2 }\nsink: { sqlite: { path: o.db } }\n", file: "/j.yaml")
        }
        #expect(throws: JobFileError.self) {
            try JobSpec.parse(yaml: "name: x\nmodel: churn@champion\nsource: { csv: a.csv }\nsplit: { challenger: churn@2 }\nkey: id\nsink: { sqlite: { path: o.db } }\n", file: "/j.yaml")
        }
    }
}
