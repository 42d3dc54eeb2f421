import Foundation
import Testing
import NightjarCore
import NightjarIO
@testable import NightjarJobs

/// Every ONNX fixture against ONNX Runtime's own predictions (the `onnxruntime_*` columns), all rows,
/// max abs difference ≤ 1e-5. ONNX Runtime writes float32: both sides are compared as float32.
/// The fixtures were scored by ONNX Runtime with 2 intra-op threads, whose float32 summation order
/// Nightjar is asked to reproduce. The difference to the training library's column is printed too.
@Suite struct ONNXParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let expected: String
        /// expected ONNX Runtime column → Nightjar column
        let columns: [String: String]
        var features: [String]? = nil
        var testDescription: String { (model as NSString).lastPathComponent }
    }

    static let numeric = ["age", "income", "tenure_months", "balance", "num_products", "last_login_days", "has_card"]
    static let binary = ["onnxruntime_probability": "probability"]
    static let regression = ["onnxruntime_prediction": "prediction"]
    static let cases: [Case] = [
        Case(model: "churn/churn_logreg.onnx", expected: "churn/churn_logreg.expected.csv", columns: binary),
        Case(model: "churn/churn_rf.onnx", expected: "churn/churn_rf.expected.csv", columns: binary),
        Case(model: "churn/churn_gbr.onnx", expected: "churn/churn_gbr.expected.csv", columns: regression),
        Case(model: "onnx/onnx_gbc.onnx", expected: "onnx/onnx_gbc.expected.csv", columns: binary),
        Case(model: "onnx/onnx_etr.onnx", expected: "onnx/onnx_etr.expected.csv", columns: regression),
        Case(model: "onnx/onnx_logreg_multi.onnx", expected: "onnx/onnx_logreg_multi.expected.csv",
             columns: ["onnxruntime_probability_0": "probability_0", "onnxruntime_probability_1": "probability_1",
                       "onnxruntime_probability_2": "probability_2"]),
        Case(model: "onnx/onnx_minmax_onehot_int.onnx", expected: "onnx/onnx_minmax_onehot_int.expected.csv", columns: binary),
        Case(model: "onnx/onnx_xgb.onnx", expected: "onnx/onnx_xgb.expected.csv", columns: binary, features: numeric),
        Case(model: "onnx/onnx_lgbm.onnx", expected: "onnx/onnx_lgbm.expected.csv", columns: regression, features: numeric),
    ]

    static func maxDiff(_ a: [String], _ b: [String]) -> (Double, Int) {
        var worst = 0.0, row = 0
        for (i, (x, y)) in zip(a, b).enumerated() {
            let d = abs(Double(Float(x)!) - Double(Float(y)!))
            if d > worst || d.isNaN { worst = d; row = i }
        }
        return (worst, row)
    }

    @Test(arguments: cases)
    func matchesONNXRuntime(_ c: Case) throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        let summary = try ScoreRunner.run(ScoreOptions(
            modelPath: fixture(c.model), inputPath: fixture("churn/score_input.csv"), outputPath: out,
            keys: ["customer_id"], threads: 2, chunkRows: 333, features: c.features, onnxRuntimeThreads: 2))
        let ours = try readColumns(out)
        let expected = try readColumns(fixture(c.expected))
        #expect(summary.rows == 1000)
        #expect(ours["customer_id"] == expected["customer_id"])
        var report: [String] = []
        for (ortColumn, ourColumn) in c.columns.sorted(by: { $0.key < $1.key }) {
            let o = try #require(ours[ourColumn])
            let e = try #require(expected[ortColumn])
            let (worst, row) = Self.maxDiff(o, e)
            var line = "\(ourColumn): vs ONNX Runtime \(String(format: "%.3g", worst))"
            let libraryColumn = String(ortColumn.dropFirst("onnxruntime_".count))
            if let lib = expected[libraryColumn] {
                line += ", vs library \(String(format: "%.3g", Self.maxDiff(o, lib).0))"
            }
            report.append(line)
            #expect(worst <= 1e-5, "\(c.model) \(ourColumn): max abs diff \(worst) at row \(row + 1)")
        }
        print("onnx parity \(c.testDescription): \(report.joined(separator: "; "))")
    }

    @Test func featuresAreRequiredForATensorInput() throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        let error = #expect(throws: ScoreError.self) {
            _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("onnx/onnx_xgb.onnx"), inputPath: fixture("churn/score_input.csv"),
                                                 outputPath: out))
        }
        let text = error?.description ?? ""
        #expect(text.contains("'input'") && text.contains("7 columns") && text.contains("--features"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func featuresCountMustMatch() throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        let error = #expect(throws: ScoreError.self) {
            _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("onnx/onnx_xgb.onnx"), inputPath: fixture("churn/score_input.csv"),
                                                 outputPath: out, features: ["age", "income"]))
        }
        #expect(error?.description.contains("names 2 columns") == true, "\(error?.description ?? "")")
    }

    @Test func inputNamesThatAreNotInTheCSVAreNamed() throws {
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        let error = #expect(throws: InputError.self) {
            _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("onnx/missing_columns.onnx"),
                                                 inputPath: fixture("churn/score_input.csv"), outputPath: out))
        }
        let text = error.map { String(describing: $0) } ?? ""
        #expect(text.contains("'salary'") && text.contains("'seniority'") && !text.contains("'age',"), "\(text)")
    }

    @Test func sumsFollowTheRequestedRuntimeThreads() throws {
        // churn_gbr's expected column was computed by ONNX Runtime with 2 threads; file order differs in float32.
        let out = temporaryDirectory().appendingPathComponent("out.csv").path
        _ = try ScoreRunner.run(ScoreOptions(modelPath: fixture("churn/churn_gbr.onnx"), inputPath: fixture("churn/score_input.csv"),
                                             outputPath: out, keys: ["customer_id"], onnxRuntimeThreads: 1))
        let (worst, _) = Self.maxDiff(try readColumns(out)["prediction"]!, try readColumns(fixture("churn/churn_gbr.expected.csv"))["onnxruntime_prediction"]!)
        #expect(worst > 1e-5 && worst < 1e-2)
    }
}
