import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// Exact per-feature contributions (`--contributions`) against the training libraries' own
/// `pred_contribs` (XGBoost) and `pred_contrib` (LightGBM) on every tree fixture, every row and
/// column: binary, multi-class and regression, categorical splits, missing values and unseen
/// categories included (fixtures/contributions, written by its generate.py). Tolerance relative to
/// max(1, |value|): 1e-5 for XGBoost (it computes and returns float32), 1e-6 for LightGBM.
@Suite struct ContributionParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let input: String
        let expected: String
        /// CSV columns bound to a bare-matrix model's features (f0…, Column_0…), in order.
        var features: [String]? = nil
        var testDescription: String { "\(model) on \((input as NSString).lastPathComponent)" }
        var xgboost: Bool { model.hasSuffix(".json") }
    }

    static let score = "churn/score_input.csv", unseen = "extra/score_input_unseen.csv"
    static let bare = ["balance", "age", "last_login_days", "income", "tenure_months", "has_card", "num_products"]
    static let cases: [Case] = [
        Case(model: "churn/churn_xgb.json", input: score, expected: "contributions/churn_xgb.contribs.csv"),
        Case(model: "churn/churn_lgbm.txt", input: score, expected: "contributions/churn_lgbm.contribs.csv"),
        Case(model: "churn/churn_xgb_reg.json", input: score, expected: "contributions/churn_xgb_reg.contribs.csv"),
        Case(model: "extra/xgb_multi.json", input: score, expected: "contributions/xgb_multi.contribs.csv"),
        Case(model: "extra/xgb_multi.json", input: unseen, expected: "contributions/xgb_multi.unseen.contribs.csv"),
        Case(model: "extra/xgb_reg_logistic.json", input: score, expected: "contributions/xgb_reg_logistic.contribs.csv"),
        Case(model: "extra/xgb_bare_base_score.json", input: score, expected: "contributions/xgb_bare_base_score.contribs.csv"),
        Case(model: "extra/lgbm_reg.txt", input: score, expected: "contributions/lgbm_reg.contribs.csv"),
        Case(model: "extra/lgbm_reg.txt", input: unseen, expected: "contributions/lgbm_reg.unseen.contribs.csv"),
        Case(model: "extra/lgbm_multi.txt", input: score, expected: "contributions/lgbm_multi.contribs.csv"),
        Case(model: "extra/lgbm_rf.txt", input: score, expected: "contributions/lgbm_rf.contribs.csv"),
        Case(model: "extra/lgbm_zero_missing.txt", input: score, expected: "contributions/lgbm_zero_missing.contribs.csv"),
        Case(model: "extra/lgbm_huber.txt", input: score, expected: "contributions/lgbm_huber.contribs.csv"),
        Case(model: "extra/xgb_multi_softmax.json", input: score, expected: "contributions/xgb_multi_softmax.contribs.csv"),
        Case(model: "unusual/xgb_bare_matrix.json", input: score, expected: "contributions/xgb_bare_matrix.contribs.csv", features: bare),
        Case(model: "unusual/lgbm_bare_matrix.txt", input: score, expected: "contributions/lgbm_bare_matrix.contribs.csv", features: bare),
    ]

    @Test(arguments: cases)
    func matchesTheTrainingLibrary(_ c: Case) throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        var options = ScoreOptions(modelPath: fixture(c.model), inputPath: fixture(c.input), outputPath: out,
                                   keys: ["customer_id"], threads: 2, chunkRows: 333, includeMargin: true, features: c.features)
        options.contributions = true
        _ = try ScoreRunner.run(options)
        let ours = try readColumns(out)
        let expected = try readColumns(fixture(c.expected))
        #expect(ours["customer_id"] == expected["customer_id"])
        let columns = expected.keys.filter { $0.hasPrefix("contrib_") }.sorted()
        #expect(Set(ours.keys.filter { $0.hasPrefix("contrib_") }) == Set(columns), "the same contribution columns, named alike")
        let tolerance = c.xgboost ? 1e-5 : 1e-6
        var worst = (0.0, "")
        for column in columns {
            let e = try #require(expected[column]), o = try #require(ours[column], "no column \(column)")
            for (row, (a, b)) in zip(o, e).enumerated() {
                let x = Double(a)!, y = Double(b)!
                let d = abs(x - y) / max(1, abs(y))
                if d > worst.0 || d.isNaN { worst = (d, "\(column) row \(row + 1): \(x) vs \(y)") }
            }
        }
        #expect(worst.0 <= tolerance, "\(c.model): max relative difference \(worst.1)")
        print("contributions \(c.testDescription): \(columns.count) columns, max |Δ|/max(1,|v|) \(String(format: "%.3g", worst.0))")
    }

    /// In memory (doubles, before an output rounds them): a row's contributions sum to the margin
    /// Nightjar computed for it, per output group.
    @Test(arguments: cases)
    func sumToNightjarsOwnMargin(_ c: Case) throws {
        // The first 250 rows (the recursion is slow in a debug build; every row is compared above).
        var model = try ModelLoader.load(path: fixture(c.model))
        model = try model.bindingFeatures(c.features)
        let table = try CSVTable.read(path: fixture(c.input), maxRows: 250)
        let encoder = try FeatureEncoder(features: model.features, header: table.header)
        var matrix = FeatureMatrix(rows: table.rowCount, features: model.features.count)
        try encoder.encode(table.batch, into: &matrix)
        let predictor = Predictor(model: model, includeMargin: true, threads: 2, contributions: true)
        var output: [Double] = []
        predictor.score(matrix, into: &output)
        let width = predictor.columns.count, groups = model.scoreCount, per = model.features.count + 1
        let margins = predictor.columns.enumerated().compactMap { i, col -> (Int, Int)? in
            if case .margin(let g) = col.role { return (g, i) }
            return nil
        }
        let firstContribution = try #require(predictor.columns.firstIndex { if case .contribution = $0.role { return true }; return false })
        // A LightGBM random forest's contributions are LightGBM's: they sum to its raw score, the
        // trees' sum, where Nightjar's margin is their average.
        let scale = model.forest!.averageOutput ? Double(model.forest!.iterations) : 1
        var worst = 0.0
        for r in 0..<matrix.rows {
            for (g, column) in margins {
                let m = output[r * width + column] * scale
                var sum = 0.0
                for i in 0..<per { sum += output[r * width + firstContribution + g * per + i] }
                worst = max(worst, abs(sum - m) / max(1, abs(m)))
            }
        }
        #expect(margins.count == groups)
        #expect(worst <= 1e-6, "\(c.model): contributions sum to the margin within \(worst)")
    }

    @Test func modelsWithoutCoversSayWhy() throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        var options = ScoreOptions(modelPath: fixture("churn/churn_rf.onnx"), inputPath: fixture(Self.score), outputPath: out, keys: ["customer_id"])
        options.contributions = true
        let error = #expect(throws: ScoreError.self) { try ScoreRunner.run(options) }
        #expect(error?.description.contains("ONNX tree ensemble carries no node covers") == true)
        // An XGBoost file without sum_hessian: the same model, its covers removed.
        let text = try String(contentsOfFile: fixture("churn/churn_xgb.json"), encoding: .utf8)
        let stripped = text.replacingOccurrences(of: "\"sum_hessian\"", with: "\"sum_hessian_removed\"")
        let path = temporaryDirectory().appendingPathComponent("bare.json").path
        try stripped.write(toFile: path, atomically: true, encoding: .utf8)
        options.modelPath = path
        let bare = #expect(throws: ScoreError.self) { try ScoreRunner.run(options) }
        #expect(bare?.description.contains("no node covers (XGBoost sum_hessian") == true)
    }

    /// `--reasons 3`: the features with the largest contributions by the library's own values
    /// (towards the positive class; the predicted class of a multi-class model; in absolute value
    /// for a regressor), with Nightjar's contribution; into SQLite as text.
    @Test(arguments: [("churn/churn_xgb.json", "contributions/churn_xgb.contribs.csv"),
                      ("churn/churn_xgb_reg.json", "contributions/churn_xgb_reg.contribs.csv"),
                      ("extra/lgbm_multi.txt", "contributions/lgbm_multi.contribs.csv")])
    func reasonsAreTheLargestContributions(_ model: String, _ reference: String) throws {
        let out = temporaryDirectory().appendingPathComponent("out.db").path
        var options = ScoreOptions(modelPath: fixture(model), inputPath: fixture(Self.score), outputPath: out, table: "why",
                                   keys: ["customer_id"], threads: 2, chunkRows: 333, includeMargin: true)
        options.reasons = 3
        _ = try ScoreRunner.run(options)
        let db = try SQLiteDatabase(path: out, readOnly: true)
        #expect(try db.query("SELECT typeof(reason_1), typeof(reason_1_contribution) FROM why LIMIT 1") == [["text", "real"]])
        let margins = try db.query("PRAGMA table_info(why)").map { $0[1]! }.filter { $0.hasPrefix("margin") }.sorted()
        let rows = try db.query("SELECT customer_id, reason_1, reason_2, reason_3, reason_1_contribution, reason_2_contribution, reason_3_contribution, \(margins.joined(separator: ", ")) FROM why")
        let expected = try readColumns(fixture(reference))
        let index = Dictionary(uniqueKeysWithValues: expected["customer_id"]!.enumerated().map { ($1, $0) })
        let features = try ModelLoader.load(path: fixture(model)).features.map(\.name)
        let regression = model.contains("reg")
        #expect(rows.count == 1000)
        for row in rows {
            let i = try #require(index[row[0]!])
            // The class explained: the arg-max of the margins (multi-class), else the only one.
            let m = row[7...].map { Double($0!)! }
            let k = m.indices.max { m[$0] < m[$1] || (m[$0] == m[$1] && $0 > $1) }!
            let prefix = margins.count > 1 ? "contrib_\(k)_" : "contrib_"
            func library(_ f: String) -> Double { Double(expected[prefix + f]![i])! }
            func key(_ f: String) -> Double { regression ? abs(library(f)) : library(f) }
            let reasons = [row[1]!, row[2]!, row[3]!]
            #expect(Set(reasons).count == 3 && reasons.allSatisfy(features.contains))
            for (r, name) in reasons.enumerated() {
                #expect(abs(Double(row[4 + r]!)! - library(name)) <= 1e-5 * max(1, abs(library(name))), "\(row[0]!) \(name)")
                // No feature left out has a larger value (beyond the libraries' float32 noise).
                for f in features where !reasons.contains(f) { #expect(key(f) <= key(name) + 1e-5 * max(1, abs(key(name))), "\(row[0]!): \(f) > \(name)") }
                if r > 0 { #expect(key(reasons[r - 1]) >= key(name) - 1e-5 * max(1, abs(key(name)))) }
            }
        }
    }
}
