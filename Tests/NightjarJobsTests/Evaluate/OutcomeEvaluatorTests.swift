import Foundation
import Testing
import NightjarIO
import NightjarCore
@testable import NightjarJobs

/// `nightjar evaluate` on the churn fixtures: the 6,000 rows of train_sample.csv scored by the
/// registry's churn@1 (XGBoost, champion) with churn@2 (LightGBM) as shadow challenger and as a 25%
/// split, joined to their own `churned` labels. Every metric is checked against scikit-learn on
/// the same joined rows, read back from the SQLite output.
@Suite(.enabled(if: SklearnReference.enabled, "needs python3 with scikit-learn (scripts/test.sh installs python3-sklearn)"))
struct OutcomeEvaluatorTests {
    static let root = fixtures.deletingLastPathComponent()

    /// A job in a fresh directory reading the repository's registry, churn@1 as champion.
    func makeJob(_ extra: String, input: String = fixture("churn/train_sample.csv")) throws -> (JobSpec, URL) {
        let dir = temporaryDirectory()
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("models"), to: dir.appendingPathComponent("models"))
        try FileManager.default.copyItem(atPath: input, toPath: dir.appendingPathComponent("in.csv").path)
        let yaml = """
            name: outcomes
            model: churn@champion
            registry: models
            source: { csv: in.csv }
            key: customer_id
            chunk_rows: 1000
            max_reject_fraction: 5%
            drift: { warn: 0.5, fail: 0.9 }
            sink: { sqlite: { path: out.db, table: scores } }
            \(extra)
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        try ModelAliases(registry: ModelRegistry(root: job.registry), store: try SQLiteRunStore(path: job.state))
            .promote(model: "churn", version: "1", alias: "champion")
        return (job, dir)
    }

    func run(_ job: JobSpec, _ date: String) throws {
        let record = try RunExecutor(job: job).run(RunOptions(date: LogicalDate(date)!))
        try #require(record.status == .succeeded)
    }

    func evaluator(_ job: JobSpec, labels: String, column: String = "churned") throws -> OutcomeEvaluator {
        OutcomeEvaluator(job: job, labels: .csv(path: labels), labelColumn: column, store: try SQLiteRunStore(path: job.state))
    }

    /// Published rows of one table and date: key → probability, and key → model version.
    func published(_ dir: URL, _ table: String, _ date: String) throws -> [(key: String, p: Double, version: String)] {
        try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
            .query("SELECT customer_id, probability, model_version FROM \(table) WHERE logical_date = '\(date)' ORDER BY customer_id")
            .map { ($0[0]!, Double($0[1]!)!, $0[2]!) }
    }

    func labels(_ path: String = fixture("churn/train_sample.csv")) throws -> [String: Double] {
        let c = try readColumns(path)
        return Dictionary(uniqueKeysWithValues: zip(c["customer_id"]!, c["churned"]!.map { Double($0)! }))
    }

    static func close(_ a: Double?, _ b: Any?, _ what: String, tolerance: Double = 1e-9, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = b as? Double
        if a == nil || expected == nil {
            #expect(a == nil && expected == nil, "\(what): nightjar \(String(describing: a)), sklearn \(String(describing: b))", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(a! - expected!) <= tolerance, "\(what): nightjar \(a!), sklearn \(expected!)", sourceLocation: sourceLocation)
    }

    /// Each stored metric of `r` against scikit-learn's on `rows` (the arm's rows with a label).
    func checkBinary(_ r: EvaluationRecord, _ rows: [(key: String, p: Double, version: String)], _ y: [String: Double]) throws {
        let matched = rows.filter { y[$0.key] != nil }
        #expect(r.rowsScored == rows.count && r.rowsMatched == matched.count)
        let a = try SklearnReference.answer(["kind": "binary", "labels": matched.map { y[$0.key]! }, "probabilities": matched.map(\.p), "threshold": 0.5])
        #expect(r.positives == a["positives"] as? Int)
        let name = "\(r.modelVersion) \(r.arm.rawValue)"
        Self.close(r.auc, a["auc"], "\(name) auc"); Self.close(r.logLoss, a["log_loss"], "\(name) log_loss")
        Self.close(r.brier, a["brier"], "\(name) brier"); Self.close(r.ece, a["ece"], "\(name) ece")
        Self.close(r.accuracy, a["accuracy"], "\(name) accuracy"); Self.close(r.precision, a["precision"], "\(name) precision")
        Self.close(r.recall, a["recall"], "\(name) recall")
        let bins = try #require(a["calibration"] as? [[String: Any]])
        #expect(bins.count == 10 && r.calibration.count == 10)
        for (mine, theirs) in zip(r.calibration, bins) {
            // (Foundation's JSON reader rounds 0.30000000000000004 in its last digit: edges to 1e-15.)
            #expect(mine.rows == theirs["rows"] as? Int)
            Self.close(mine.lower, theirs["lower"], "\(name) bin lower", tolerance: 1e-15)
            Self.close(mine.upper, theirs["upper"], "\(name) bin upper", tolerance: 1e-15)
            Self.close(mine.meanPredicted, theirs["mean_predicted"], "\(name) bin mean")
            Self.close(mine.observedRate, theirs["observed_rate"], "\(name) bin rate")
        }
    }

    @Test func everyMetricOfEveryArmEqualsScikitLearnOnTheSameJoinedRows() throws {
        let (job, dir) = try makeJob("challengers: [churn@2]\nsplit: { challenger: churn@2, share: 25% }")
        try run(job, "2026-11-28")
        let result = try evaluator(job, labels: fixture("churn/train_sample.csv")).evaluate(date: LogicalDate("2026-11-28")!)
        #expect(result.records.map { "\($0.modelVersion) \($0.arm.rawValue)" } == ["1 champion", "2 split", "2 challenger"])
        // What was stored is what was returned.
        #expect(try SQLiteRunStore(path: job.state).evaluations(job: "outcomes", from: "2026-11-28", to: "2026-11-28") == result.records)

        let y = try labels()
        let main = try published(dir, "scores", "2026-11-28"), shadow = try published(dir, "scores_shadow", "2026-11-28")
        let championRows = main.filter { $0.version == "1" }, splitRows = main.filter { $0.version == "2" }
        #expect(splitRows.count > 1300 && splitRows.count < 1700 && shadow.count == 6000)
        let champion = result.records[0], split = result.records[1], challenger = result.records[2]
        try checkBinary(champion, championRows, y)
        try checkBinary(split, splitRows, y)
        try checkBinary(challenger, shadow, y)
        for r in result.records {
            #expect(r.labelsRead == 6000 && r.labelsMissing == 0 && r.labelsDuplicate == 0 && r.labelsConflicting == 0 && r.labelsUnscored == 0)
            #expect(r.rmse == nil && r.mae == nil && r.r2 == nil && r.task == "binary" && r.threshold == 0.5)
        }

        // The split against the champion: independent samples, DeLong variances summed.
        let unpaired = try SklearnReference.answer(["kind": "delong_unpaired", "labels_a": championRows.map { y[$0.key]! }, "a": championRows.map(\.p),
                                                    "labels_b": splitRows.map { y[$0.key]! }, "b": splitRows.map(\.p)])
        #expect(split.differenceMetric == "auc" && split.comparedWith == "1" && champion.difference == nil)
        Self.close(split.difference, unpaired["estimate"], "split difference")
        Self.close(split.differenceLow, unpaired["lower"], "split lower")
        Self.close(split.differenceHigh, unpaired["upper"], "split upper")
        #expect(split.significant == !((unpaired["lower"] as! Double) <= 0 && 0 <= (unpaired["upper"] as! Double)))
        // The shadow challenger against the champion: paired on the champion's keys.
        let championKeys = Dictionary(uniqueKeysWithValues: championRows.map { ($0.key, $0.p) })
        let pairs = shadow.filter { championKeys[$0.key] != nil }
        let paired = try SklearnReference.answer(["kind": "delong_paired", "labels": pairs.map { y[$0.key]! },
                                                  "a": pairs.map { championKeys[$0.key]! }, "b": pairs.map(\.p)])
        Self.close(challenger.difference, paired["estimate"], "challenger difference")
        Self.close(challenger.differenceLow, paired["lower"], "challenger lower")
        Self.close(challenger.differenceHigh, paired["upper"], "challenger upper")
    }

    @Test func duplicateConflictingMissingAndUnscoredLabelsAreCountedExactly() throws {
        let (job, dir) = try makeJob("")
        try run(job, "2026-11-28")
        let y = try labels()
        let keys = y.keys.sorted()
        // 100 plain labels; 5 repeated with the same label; 3 given the other label too; 4 empty;
        // 6 keys nobody scored (2 of them twice); every other scored row has no label.
        var lines = ["customer_id,churned"]
        for k in keys[0..<100] { lines.append("\(k),\(Int(y[k]!))") }
        for k in keys[0..<5] { lines.append("\(k),\(Int(y[k]!))") }
        for k in keys[10..<13] { lines.append("\(k),\(1 - Int(y[k]!))") }
        for k in keys[200..<204] { lines.append("\(k),") }
        for i in 0..<6 { lines.append("X\(i),1") }
        for i in 0..<2 { lines.append("X\(i),1") }
        let path = dir.appendingPathComponent("labels.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let r = try #require(try evaluator(job, labels: path).evaluate(date: LogicalDate("2026-11-28")!).records.first)
        #expect(r.labelsRead == 100 + 5 + 3 + 4 + 6 + 2)
        #expect(r.labelsDuplicate == 5 + 3 + 2)
        #expect(r.labelsConflicting == 3)
        #expect(r.labelsMissing == 4)
        #expect(r.labelsUnscored == 6)
        #expect(r.rowsScored == 6000 && r.rowsMatched == 97 && r.rowsUnlabelled == 6000 - 97)
        let rows = try published(dir, "scores", "2026-11-28")
        var usable = Dictionary(uniqueKeysWithValues: keys[0..<100].map { ($0, y[$0]!) })
        for k in keys[10..<13] { usable[k] = nil }
        try checkBinary(r, rows, usable)
    }

    @Test func aBadLabelIsAnErrorNamingTheFileLineAndColumn() throws {
        let (job, dir) = try makeJob("")
        try run(job, "2026-11-28")
        let path = dir.appendingPathComponent("labels.csv").path
        try "customer_id,churned\nC100000,1\nC100001,maybe\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ScoreError.self) { try evaluator(job, labels: path).evaluate(date: LogicalDate("2026-11-28")!) }
        #expect(error?.description == "\(path):3: column churned: 'maybe' is not a binary label (0 or 1, true or false)")
        #expect(error?.failureKind == .input)
        let missing = #expect(throws: ScoreError.self) { try evaluator(job, labels: path, column: "outcome").evaluate(date: LogicalDate("2026-11-28")!) }
        #expect(missing?.description.contains("no column 'outcome'") == true)
        // A date nothing was published for: say so, with the command that would publish it.
        let unscored = #expect(throws: ScoreError.self) { try evaluator(job, labels: path).evaluate(date: LogicalDate("2026-11-29")!) }
        #expect(unscored?.description.contains("has published nothing for 2026-11-29") == true)
        // In a range, a date without labels yet is "not yet evaluated", and nothing is stored for it.
        let later = try evaluator(job, labels: dir.appendingPathComponent("labels-{{ ds }}.csv").path).evaluate(date: LogicalDate("2026-11-28")!, required: false)
        #expect(later.records.isEmpty && later.note?.hasPrefix("not yet evaluated") == true)
    }

    /// Labels that agree with one model's own predictions make it the better one, deterministically.
    func labelsFollowing(_ rows: [(key: String, p: Double, version: String)], invert: Bool = false, to path: String) throws {
        var lines = ["customer_id,churned"]
        for r in rows { lines.append("\(r.key),\((r.p >= 0.5) != invert ? 1 : 0)") }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func anOutcomeRuleOnAUCPromotesTheChallengerAndAnotherRollsItBackWithTheirEvidence() throws {
        let (job, dir) = try makeJob("""
            challengers: [churn@2]
            promote_when: { metric: auc, better_by: 0.005, min_rows: 1000, days: 1, significant: true }
            rollback_when: { metric: auc, worse_by: 0.01, min_rows: 1000, days: 1 }
            """)
        let store = try SQLiteRunStore(path: job.state)
        try run(job, "2026-11-27")
        // Outcomes that follow the challenger's own labels: it wins, significantly.
        let day1 = dir.appendingPathComponent("day1.csv").path
        try labelsFollowing(try published(dir, "scores_shadow", "2026-11-27"), to: day1)
        let e1 = try evaluator(job, labels: day1)
        _ = try e1.evaluate(date: LogicalDate("2026-11-27")!)
        // A dry run decides but moves nothing.
        #expect(try e1.applyRules(through: "2026-11-27", apply: false).map(\.action) == [.none, .promote])
        #expect(try store.alias(model: "churn", alias: "champion") == "1")
        let decisions = try e1.applyRules(through: "2026-11-27")
        #expect(decisions.map(\.action) == [.none, .promote])
        #expect(try store.alias(model: "churn", alias: "champion") == "2")
        let promoted = try #require(store.aliasEvents(model: "churn", alias: "champion").last)
        #expect(promoted.action == .promote && promoted.version == "2" && promoted.previousVersion == "1")
        #expect(promoted.reason?.contains("outcome rule promote_when: auc") == true)
        #expect(promoted.reason?.contains("2026-11-27:") == true && promoted.reason?.contains("paired difference") == true)
        #expect(promoted.reason?.contains("significant") == true)

        // The next night churn@2 is the champion; outcomes that contradict its labels: rolled back.
        try run(job, "2026-11-28")
        #expect(try published(dir, "scores", "2026-11-28").allSatisfy { $0.version == "2" })
        let day2 = dir.appendingPathComponent("day2.csv").path
        try labelsFollowing(try published(dir, "scores", "2026-11-28"), invert: true, to: day2)
        let e2 = try evaluator(job, labels: day2)
        _ = try e2.evaluate(date: LogicalDate("2026-11-28")!)
        let second = try e2.applyRules(through: "2026-11-28")
        #expect(second.map(\.action) == [.rollback])
        #expect(try store.alias(model: "churn", alias: "champion") == "1")
        let rolledBack = try #require(store.aliasEvents(model: "churn", alias: "champion").last)
        #expect(rolledBack.action == .autoRollback && rolledBack.version == "1" && rolledBack.previousVersion == "2")
        #expect(rolledBack.reason?.contains("outcome rule rollback_when: auc of churn@2 worse by >= 0.01 than 1") == true)
        #expect(rolledBack.reason?.contains("2026-11-28:") == true)
        // Evaluating again changes nothing: the alias is no longer newly promoted.
        #expect(try e2.applyRules(through: "2026-11-28").map(\.action) == [.none, .none])
        #expect(try store.alias(model: "churn", alias: "champion") == "1")
    }

    /// A job on a model file (no registry), its rows read back from the SQLite output.
    func modelJob(_ model: String) throws -> (JobSpec, URL) {
        let dir = temporaryDirectory()
        let yaml = """
            name: outcomes-\(model.split(separator: "/").last!.split(separator: ".").first!)
            model: { path: \(fixture(model)), name: m, version: "1" }
            source: { csv: \(fixture("churn/score_input.csv")) }
            key: customer_id
            chunk_rows: 300
            sink: { sqlite: { path: out.db, table: scores } }
            """
        try yaml.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let job = try JobSpec.load(path: dir.appendingPathComponent("job.yaml").path)
        try run(job, "2026-11-28")
        return (job, dir)
    }

    @Test func aMultiClassJobIsMeasuredAsScikitLearnDoes() throws {
        let (job, dir) = try modelJob("extra/xgb_multi.json")
        let rows = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
            .query("SELECT customer_id, probability_0, probability_1, probability_2 FROM scores ORDER BY customer_id")
        // Labels: the most likely class, moved to the next class on every 4th row (a model that is often right).
        var lines = ["customer_id,segment"]
        var y: [Int] = [], p: [[Double]] = []
        for (i, r) in rows.enumerated() {
            let probabilities = (1...3).map { Double(r[$0]!)! }
            let best = probabilities.firstIndex(of: probabilities.max()!)!
            let label = i % 4 == 0 ? (best + 1) % 3 : best
            lines.append("\(r[0]!),\(label)")
            y.append(label); p.append(probabilities)
        }
        let path = dir.appendingPathComponent("labels.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let r = try #require(try evaluator(job, labels: path, column: "segment").evaluate(date: LogicalDate("2026-11-28")!).records.first)
        #expect(r.task == "multiclass" && r.arm == .champion && r.rowsMatched == 1000 && r.brier == nil && r.rmse == nil)
        let a = try SklearnReference.answer(["kind": "multiclass", "labels": y, "probabilities": p, "classes": 3])
        Self.close(r.logLoss, a["log_loss"], "log_loss"); Self.close(r.accuracy, a["accuracy"], "accuracy"); Self.close(r.auc, a["macro_auc"], "macro auc")
        // A class index out of range is an error naming the line.
        try "customer_id,segment\nC100000,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ScoreError.self) { try evaluator(job, labels: path, column: "segment").evaluate(date: LogicalDate("2026-11-28")!) }
        #expect(error?.description == "\(path):2: column segment: '3' is not a class index from 0 to 2")
    }

    @Test func aRegressionJobIsMeasuredAsScikitLearnDoes() throws {
        // LightGBM's Huber model of income, judged on the customers' own income (rows without one are unlabelled).
        let (job, dir) = try modelJob("extra/lgbm_huber.txt")
        let r = try #require(try evaluator(job, labels: fixture("churn/score_input.csv"), column: "income").evaluate(date: LogicalDate("2026-11-28")!).records.first)
        let rows = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true).query("SELECT customer_id, prediction FROM scores")
        let c = try readColumns(fixture("churn/score_input.csv"))
        let income = Dictionary(uniqueKeysWithValues: zip(c["customer_id"]!, c["income"]!))
        let matched = rows.filter { !(income[$0[0]!] ?? "").isEmpty }
        #expect(r.task == "regression" && r.rowsScored == 1000 && r.rowsMatched == matched.count && r.labelsMissing == 1000 - matched.count)
        #expect(matched.count < 1000 && r.auc == nil && r.logLoss == nil && r.positives == nil)
        let a = try SklearnReference.answer(["kind": "regression", "labels": matched.map { Double(income[$0[0]!]!)! }, "predictions": matched.map { Double($0[1]!)! }])
        Self.close(r.rmse, a["rmse"], "rmse", tolerance: 1e-9 * max(1, r.rmse ?? 0)); Self.close(r.mae, a["mae"], "mae", tolerance: 1e-9 * max(1, r.mae ?? 0))
        Self.close(r.r2, a["r2"], "r2")
    }
}
