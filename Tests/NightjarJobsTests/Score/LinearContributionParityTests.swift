import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// Linear models' contributions (`--contributions` with `--reference-sample`, and from a bundle)
/// against shap.LinearExplainer's values on the scikit-learn pipelines the ONNX files were exported
/// from, grouped to input columns (fixtures/contributions/generate_linear.py): binary (the positive
/// class), multi-class, regression; StandardScaler, MinMaxScaler, one-hot of strings and of int64,
/// missing values imputed, unseen categories. Tolerance 1e-5 relative to max(1, |value|, |margin|):
/// the model computes in float32 (as ONNX Runtime does; scikit-learn in double), so a value carries
/// the rounding of its float32 inputs times its weight — the Ridge model's income weight is 6,454,
/// and the float32 rounding of a scaled income moves its contribution by up to 4e-5, 2e-8 of the
/// margin (ONNX Runtime's own prediction is 3e-6 from scikit-learn's there).
@Suite struct LinearContributionParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let expected: String
        var testDescription: String { (model as NSString).lastPathComponent }
    }

    static let input = "churn/score_input.csv", train = "churn/train_sample.csv"
    static let cases: [Case] = [
        Case(model: "churn/churn_logreg.onnx", expected: "contributions/churn_logreg.contribs.csv"),
        Case(model: "onnx/onnx_logreg_multi.onnx", expected: "contributions/onnx_logreg_multi.contribs.csv"),
        Case(model: "onnx/onnx_minmax_onehot_int.onnx", expected: "contributions/onnx_minmax_onehot_int.contribs.csv"),
        Case(model: "contributions/linear_ridge.onnx", expected: "contributions/linear_ridge.contribs.csv"),
    ]

    @Test(arguments: cases)
    func matchesShapLinearExplainer(_ c: Case) throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        var options = ScoreOptions(modelPath: fixture(c.model), inputPath: fixture(Self.input), outputPath: out,
                                   keys: ["customer_id"], threads: 2, chunkRows: 333, includeMargin: true)
        options.contributions = true
        options.referenceSample = fixture(Self.train)
        _ = try ScoreRunner.run(options)
        let ours = try readColumns(out), expected = try readColumns(fixture(c.expected))
        #expect(ours["customer_id"] == expected["customer_id"])
        let columns = expected.keys.filter { $0.hasPrefix("contrib_") }.sorted()
        #expect(Set(ours.keys.filter { $0.hasPrefix("contrib_") }) == Set(columns), "the same contribution columns, named alike")
        var worst = (0.0, ""), worstOfValue = 0.0
        for column in columns {
            let e = try #require(expected[column]), o = try #require(ours[column], "no column \(column)")
            // The group's margin: contrib_<k>_… sums to margin_<k>, contrib_… to margin.
            let parts = column.split(separator: "_")
            let margin = try #require(expected[parts.count > 2 && Int(parts[1]) != nil ? "margin_\(parts[1])" : "margin"] ?? expected["margin"])
            for (row, (a, b)) in zip(o, e).enumerated() {
                let x = Double(a)!, y = Double(b)!, m = Double(margin[row])!
                let d = abs(x - y) / max(1, abs(y), abs(m))
                worstOfValue = max(worstOfValue, abs(x - y) / max(1, abs(y)))
                if d > worst.0 || d.isNaN { worst = (d, "\(column) row \(row + 1): \(x) vs \(y) (margin \(m))") }
            }
        }
        #expect(worst.0 <= 1e-5, "\(c.model): max relative difference \(worst.1)")
        print("linear contributions \(c.testDescription): \(columns.count) columns, max |Δ|/max(1,|v|,|margin|) \(String(format: "%.3g", worst.0)), max |Δ|/max(1,|v|) \(String(format: "%.3g", worstOfValue))")
    }

    /// In memory: each explained group's contributions sum to Nightjar's own margin for it (a binary
    /// classifier's positive class: its last score).
    @Test(arguments: cases)
    func sumToNightjarsOwnMargin(_ c: Case) throws {
        var options = ScoreOptions(modelPath: fixture(c.model), inputPath: "", outputPath: "")
        options.referenceSample = fixture(Self.train)
        let model = try ScoreRunner.loadModel(options)
        let table = try CSVTable.read(path: fixture(Self.input))
        let matrix = try GoldenRows.encode(model, table: table, rows: Array(0..<table.rowCount))
        let predictor = Predictor(model: model, includeMargin: true, threads: 2, contributions: true)
        var output: [Double] = []
        predictor.score(matrix, into: &output)
        let width = predictor.columns.count, per = model.features.count + 1
        let margins = predictor.columns.indices.filter { if case .margin = predictor.columns[$0].role { return true }; return false }
        let explained = LinearContributions.explainedTargets(model)
        let first = try #require(predictor.columns.firstIndex { if case .contribution = $0.role { return true }; return false })
        var worst = 0.0
        for r in 0..<matrix.rows {
            for (g, target) in explained.enumerated() {
                let m = output[r * width + margins[target]]
                let sum = (0..<per).reduce(0.0) { $0 + output[r * width + first + g * per + $1] }
                worst = max(worst, abs(sum - m) / max(1, abs(m)))
            }
        }
        #expect(explained.count == (model.task == .binary ? 1 : model.scoreCount))
        #expect(worst <= 1e-6, "\(c.model): contributions sum to the margin within \(worst)")
    }

    /// Reasons of a binary linear classifier point towards the positive class: the largest
    /// contributions to its score, by shap's values.
    @Test func reasonsFollowThePositiveClass() throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        var options = ScoreOptions(modelPath: fixture("churn/churn_logreg.onnx"), inputPath: fixture(Self.input), outputPath: out,
                                   keys: ["customer_id"], threads: 1)
        options.reasons = 2
        options.referenceSample = fixture(Self.train)
        _ = try ScoreRunner.run(options)
        let ours = try readColumns(out), expected = try readColumns(fixture("contributions/churn_logreg.contribs.csv"))
        let features = expected.keys.filter { $0.hasPrefix("contrib_") && $0 != "contrib_bias" }.map { String($0.dropFirst(8)) }
        for row in 0..<1000 {
            let ranked = features.sorted { Double(expected["contrib_" + $0]![row])! > Double(expected["contrib_" + $1]![row])! }
            #expect(ours["reason_1"]![row] == ranked[0], "row \(row + 1)")
            let value = Double(ours["reason_1_contribution"]![row])!, want = Double(expected["contrib_" + ranked[0]]![row])!
            #expect(abs(value - want) <= 1e-5 * max(1, abs(want)))
        }
    }

    /// A model file without its training means is refused before any row, saying where they come from.
    @Test func aBareLinearModelNeedsItsReferenceSample() throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        var options = ScoreOptions(modelPath: fixture("churn/churn_logreg.onnx"), inputPath: fixture(Self.input), outputPath: out)
        options.contributions = true
        let error = #expect(throws: ScoreError.self) { try ScoreRunner.run(options) }
        #expect(error?.description.contains("--reference-sample") == true)
        #expect(!FileManager.default.fileExists(atPath: out))
        // An empty sample: one line naming the file.
        let empty = temporaryDirectory().appendingPathComponent("empty.csv").path
        try "age,income\n".write(toFile: empty, atomically: true, encoding: .utf8)
        options.referenceSample = empty
        let refused = #expect(throws: (any Error).self) { try ScoreRunner.run(options) }
        #expect("\(refused!)".contains("empty.csv"))
    }

    /// A bundle records the means in reference.json when it is created; its model carries them.
    @Test func aBundleRecordsTheTrainingMeans() throws {
        let dir = temporaryDirectory()
        var options = BundleOptions(modelPath: fixture("churn/churn_logreg.onnx"), name: "lr", version: "1", registry: dir.path,
                                    trainSample: fixture(Self.train), expected: fixture("churn/churn_logreg.expected.csv"))
        options.goldenInput = fixture(Self.input)
        options.expectedColumns = ["probability=onnxruntime_probability"]
        let bundle = try BundleBuilder.create(options).bundle
        let reference = try bundle.reference()
        let means = try #require(reference.linearMeans)
        let model = try bundle.loadModel()
        #expect(model.linearReference == means)
        #expect(model.contributionsUnavailable == nil)
        var direct = ScoreOptions(modelPath: fixture("churn/churn_logreg.onnx"), inputPath: "", outputPath: "")
        direct.referenceSample = fixture(Self.train)
        #expect(try ScoreRunner.loadModel(direct).linearReference == means)
        // Tree models record none.
        var tree = BundleOptions(modelPath: fixture("churn/churn_xgb.json"), name: "gbm", version: "1", registry: dir.path,
                                 trainSample: fixture(Self.train), expected: fixture("churn/churn_xgb.expected.csv"))
        tree.goldenInput = fixture(Self.input)
        #expect(try BundleBuilder.create(tree).bundle.reference().linearMeans == nil)
    }
}
