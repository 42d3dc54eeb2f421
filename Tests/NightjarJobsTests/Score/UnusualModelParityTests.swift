import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// Unusual but valid models (fixtures/unusual, made by fixtures/unusual/make_unusual.py) against
/// ONNX Runtime's own predictions: graphs with element-wise nodes after the estimator (onnxmltools'
/// `Mul(probabilities, 1.0)`, hand-appended Add/Sub/Mul/Div/Identity/Cast chains, a double output),
/// and an Imputer whose replaced value is −0.0. All 1000 rows of churn/score_input.csv, ONNX
/// Runtime's summation order for 2 threads. float32 outputs are compared as float32, double outputs
/// as doubles; the label is the estimator's, as ONNX Runtime's label output.
@Suite struct UnusualModelParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        /// ONNX Runtime's column → Nightjar's column
        let columns: [String: String]
        var features: [String]? = nil
        /// The graph's output is double: compared as doubles.
        var double = false
        var testDescription: String { model }
    }

    static let numeric = ["age", "income", "tenure_months", "balance", "num_products", "last_login_days", "has_card"]
    static let binary = ["onnxruntime_probability": "probability", "onnxruntime_label": "label"]
    static let multi = ["onnxruntime_probability_0": "probability_0", "onnxruntime_probability_1": "probability_1",
                        "onnxruntime_probability_2": "probability_2", "onnxruntime_label": "label"]
    static let cases: [Case] = [
        Case(model: "onnx_lgbm_mul", columns: binary, features: numeric),
        Case(model: "onnx_lgbm_multi_mul", columns: multi, features: numeric),
        Case(model: "onnx_logreg_post", columns: binary),
        Case(model: "onnx_logreg_multi_post", columns: multi),
        Case(model: "onnx_etr_post_double", columns: ["onnxruntime_prediction": "prediction"], double: true),
        Case(model: "onnx_imputer_neg0_tree", columns: binary),
    ]

    /// Largest difference relative to max(1, |expected|), and its row. The linear estimators differ
    /// from ONNX Runtime's by at most an ulp of float32 before the nodes after them, which
    /// `onnx_logreg_multi_post` multiplies by up to 33: the tolerance is relative.
    static func worst(_ ours: [String], _ theirs: [String], double: Bool) -> (relative: Double, absolute: Double, row: Int) {
        var worst = (relative: 0.0, absolute: 0.0, row: 0)
        for (i, (a, b)) in zip(ours, theirs).enumerated() {
            let x = double ? Double(a)! : Double(Float(a)!), y = double ? Double(b)! : Double(Float(b)!)
            let d = abs(x - y)
            if d > worst.absolute || d.isNaN { worst.absolute = d; worst.row = i }
            worst.relative = max(worst.relative, d / max(1, abs(y)))
        }
        return worst
    }

    @Test(arguments: cases)
    func matchesONNXRuntime(_ c: Case) throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        let summary = try ScoreRunner.run(ScoreOptions(
            modelPath: fixture("unusual/\(c.model).onnx"), inputPath: fixture("churn/score_input.csv"), outputPath: out,
            keys: ["customer_id"], threads: 2, chunkRows: 333, features: c.features, onnxRuntimeThreads: 2))
        let ours = try readColumns(out)
        let expected = try readColumns(fixture("unusual/\(c.model).expected.csv"))
        #expect(summary.rows == 1000)
        #expect(ours["customer_id"] == expected["customer_id"])
        var report: [String] = []
        for (theirColumn, ourColumn) in c.columns.sorted(by: { $0.key < $1.key }) {
            let o = try #require(ours[ourColumn]), e = try #require(expected[theirColumn])
            #expect(!o.contains(""), "\(c.model) \(ourColumn): an empty (NULL) value")
            if ourColumn == "label" {
                #expect(o == e, "\(c.model): labels differ from ONNX Runtime's")
                continue
            }
            let w = Self.worst(o, e, double: c.double)
            report.append("\(ourColumn) \(String(format: "%.3g", w.absolute))")
            #expect(w.relative <= (c.double ? 1e-12 : 1e-6), "\(c.model) \(ourColumn): max diff \(w.absolute) at row \(w.row + 1)")
        }
        print("unusual parity \(c.model): max abs diff vs ONNX Runtime \(report.joined(separator: ", "))")
    }

    /// The converter's `Mul(probabilities, 1.0)` changes nothing: the same bits as ONNX Runtime.
    @Test func lightGBMMulByOneIsExact() throws {
        for (model, columns) in [("onnx_lgbm_mul", Self.binary), ("onnx_lgbm_multi_mul", Self.multi)] {
            let out = temporaryDirectory().appendingPathComponent("out.csv").path
            _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("unusual/\(model).onnx"), inputPath: fixture("churn/score_input.csv"),
                                                 outputPath: out, keys: ["customer_id"], features: Self.numeric, onnxRuntimeThreads: 2))
            let ours = try readColumns(out), expected = try readColumns(fixture("unusual/\(model).expected.csv"))
            for (theirs, mine) in columns {
                #expect(ours[mine]!.map { Float($0)! } == expected[theirs]!.map { Float($0)! }, "\(model) \(mine)")
            }
        }
    }

    /// A graph whose output is cast to double writes doubles, not float32 text.
    @Test func aDoubleOutputIsWrittenAsDoubles() throws {
        let model = try ModelLoader.load(path: fixture("unusual/onnx_etr_post_double.onnx"))
        #expect(!model.float32Outputs)
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("unusual/onnx_etr_post_double.onnx"),
                                             inputPath: fixture("churn/score_input.csv"), outputPath: out, keys: ["customer_id"],
                                             onnxRuntimeThreads: 2))
        let values = try readColumns(out)["prediction"]!.map { Double($0)! }
        #expect(values.contains { Double(Float($0)) != $0 }, "values rounded to float32")
        #expect(try ModelLoader.load(path: fixture("unusual/onnx_lgbm_mul.onnx")).float32Outputs)
    }

    /// An Imputer replacing −0.0 (not NaN) in front of a linear model would give NaN probabilities
    /// (NULL in the output) for every row with an empty numeric field: refused when it is loaded, as a
    /// model (configuration) error naming the node, the value and why.
    @Test func anImputerThatLetsNaNReachALinearModelIsRefused() throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        let error = #expect(throws: ModelError.self) {
            _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("unusual/onnx_imputer_neg0_linear.onnx"),
                                                 inputPath: fixture("churn/score_input.csv"), outputPath: out, keys: ["customer_id"]))
        }
        let text = error?.description ?? ""
        #expect(text.contains("Imputer (node 'Imputer')") && text.contains("-0.0") && text.contains("not NaN")
                && text.contains("LinearClassifier") && text.contains("NULL"), "\(text)")
        #expect(!text.contains("\n"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
