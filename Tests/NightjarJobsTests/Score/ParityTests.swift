import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// Every fixture model against the training library's own predictions, all rows.
/// XGBoost computes in float32: its outputs are compared after rounding the expected text to float32
/// (the expected files print 9 significant digits, which is exact for float32 but not for double).
@Suite struct ParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let expected: String
        let input: String
        /// expected column → Nightjar column
        let columns: [String: String]
        var testDescription: String { "\(model) on \((input as NSString).lastPathComponent)" }
    }

    static let score = "churn/score_input.csv"
    static let cases: [Case] = [
        Case(model: "churn/churn_xgb.json", expected: "churn/churn_xgb.expected.csv", input: score,
             columns: ["probability": "probability", "margin": "margin"]),
        Case(model: "churn/churn_lgbm.txt", expected: "churn/churn_lgbm.expected.csv", input: score,
             columns: ["probability": "probability", "raw": "margin"]),
        Case(model: "churn/churn_xgb_reg.json", expected: "churn/churn_xgb_reg.expected.csv", input: score,
             columns: ["prediction": "prediction"]),
        Case(model: "extra/xgb_multi.json", expected: "extra/xgb_multi.expected.csv", input: score,
             columns: ["probability_0": "probability_0", "probability_1": "probability_1", "probability_2": "probability_2",
                       "margin_0": "margin_0", "margin_1": "margin_1", "margin_2": "margin_2"]),
        Case(model: "extra/xgb_multi.json", expected: "extra/xgb_multi.unseen.expected.csv", input: "extra/score_input_unseen.csv",
             columns: ["probability_0": "probability_0", "probability_1": "probability_1", "probability_2": "probability_2",
                       "margin_0": "margin_0", "margin_1": "margin_1", "margin_2": "margin_2"]),
        Case(model: "extra/xgb_multi_softmax.json", expected: "extra/xgb_multi_softmax.expected.csv", input: score,
             columns: ["label": "label"]),
        Case(model: "extra/xgb_reg_logistic.json", expected: "extra/xgb_reg_logistic.expected.csv", input: score,
             columns: ["probability": "probability", "margin": "margin"]),
        Case(model: "extra/xgb_bare_base_score.json", expected: "extra/xgb_reg_logistic.expected.csv", input: score,
             columns: ["probability": "probability", "margin": "margin"]),
        Case(model: "extra/lgbm_reg.txt", expected: "extra/lgbm_reg.expected.csv", input: score,
             columns: ["prediction": "prediction", "raw": "margin"]),
        Case(model: "extra/lgbm_reg.txt", expected: "extra/lgbm_reg.unseen.expected.csv", input: "extra/score_input_unseen.csv",
             columns: ["prediction": "prediction", "raw": "margin"]),
        Case(model: "extra/lgbm_multi.txt", expected: "extra/lgbm_multi.expected.csv", input: score,
             columns: ["probability_0": "probability_0", "probability_1": "probability_1", "probability_2": "probability_2",
                       "raw_0": "margin_0", "raw_1": "margin_1", "raw_2": "margin_2"]),
        // LightGBM's raw score of a random forest is the sum of the trees; Nightjar's margin is the averaged score.
        Case(model: "extra/lgbm_rf.txt", expected: "extra/lgbm_rf.expected.csv", input: score,
             columns: ["probability": "probability"]),
        Case(model: "extra/lgbm_zero_missing.txt", expected: "extra/lgbm_zero_missing.expected.csv", input: score,
             columns: ["probability": "probability", "raw": "margin"]),
        Case(model: "extra/lgbm_huber.txt", expected: "extra/lgbm_huber.expected.csv", input: score,
             columns: ["prediction": "prediction", "raw": "margin"]),
    ]

    @Test(arguments: cases)
    func matchesTrainingLibrary(_ c: Case) throws {
        let dir = temporaryDirectory()
        let out = dir.appendingPathComponent("out.csv").path
        let summary = try ScoreRunner.run(ScoreOptions(modelPath: fixture(c.model), inputPath: fixture(c.input), outputPath: out,
                                                       keys: ["customer_id"], threads: 2, chunkRows: 333, includeMargin: true))
        let ours = try readColumns(out)
        let expected = try readColumns(fixture(c.expected))
        #expect(summary.rows == expected["customer_id"]!.count)
        #expect(ours["customer_id"] == expected["customer_id"], "rows must come out in input order, one per input row")
        let float32 = c.model.hasSuffix(".json")
        var report: [String] = []
        for (expectedColumn, ourColumn) in c.columns.sorted(by: { $0.key < $1.key }) {
            let e = try #require(expected[expectedColumn], "expected file has no column \(expectedColumn)")
            let o = try #require(ours[ourColumn], "Nightjar wrote no column \(ourColumn)")
            var worst = 0.0
            var worstRow = 0
            for (row, (a, b)) in zip(o, e).enumerated() {
                let x = Double(a)!, y = Double(b)!
                let diff = float32 ? abs(Double(Float(x)) - Double(Float(y))) : abs(x - y)
                if diff > worst || diff.isNaN { worst = diff; worstRow = row }
            }
            report.append("\(expectedColumn) \(String(format: "%.3g", worst))")
            #expect(worst <= 1e-6, "\(c.model) \(expectedColumn): max abs diff \(worst) at row \(worstRow + 1)")
        }
        print("parity \(c.testDescription): max abs diff \(report.joined(separator: ", "))")
    }

    @Test func randomForestMarginIsTheAveragedRawScore() throws {
        let out = temporaryDirectory().appendingPathComponent("rf.csv").path
        _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("extra/lgbm_rf.txt"), inputPath: fixture(Self.score),
                                             outputPath: out, keys: ["customer_id"], includeMargin: true))
        let model = try ModelLoader.load(path: fixture("extra/lgbm_rf.txt"))
        let ours = try readColumns(out)["margin"]!.map { Double($0)! }
        let raw = try readColumns(fixture("extra/lgbm_rf.expected.csv"))["raw"]!.map { Double($0)! }
        let iterations = Double(model.forest!.iterations)
        let worst = zip(ours, raw).map { abs($0 * iterations - $1) }.max()!
        #expect(worst <= 1e-9)
    }
}
