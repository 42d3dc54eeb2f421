import Foundation
import Testing
import NightjarIO

/// `--features` (and a job's `features:`) for XGBoost and LightGBM models trained on a bare matrix
/// (implicit names f0… and Column_0…), through the real binary, at parity with the training
/// library's own predictions (fixtures/unusual, made by fixtures/unusual/make_unusual.py); and an
/// onnxmltools LightGBM graph ending in `Mul(probabilities, 1.0)`, at parity with ONNX Runtime.
@Suite struct FeatureBindingCLITests {
    /// The bare-matrix models' column order (not the CSV's).
    static let order = "balance,age,last_login_days,income,tenure_months,has_card,num_products"
    static let numeric = "age,income,tenure_months,balance,num_products,last_login_days,has_card"

    /// A small CSV file (no quoted fields) as columns keyed by header name.
    static func columns(_ path: String) throws -> [String: [String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        var out: [String: [String]] = [:]
        for (c, name) in lines[0].enumerated() { out[name] = lines.dropFirst().map { $0[c] } }
        return out
    }

    /// Max abs difference between two text columns, as float32 or as doubles.
    static func maxDiff(_ a: [String], _ b: [String], float32: Bool) -> Double {
        zip(a, b).map { x, y in
            float32 ? abs(Double(Float(x)!) - Double(Float(y)!)) : abs(Double(x)! - Double(y)!)
        }.max() ?? .infinity
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let model: String
        let features: String
        /// expected column → Nightjar column
        let columns: [String: String]
        let float32: Bool
        var testDescription: String { model }
    }

    static let cases: [Case] = [
        Case(model: "xgb_bare_matrix.json", features: order, columns: ["probability": "probability", "margin": "margin"], float32: true),
        Case(model: "lgbm_bare_matrix.txt", features: order, columns: ["prediction": "prediction", "raw": "margin"], float32: false),
        Case(model: "onnx_lgbm_mul.onnx", features: numeric,
             columns: ["onnxruntime_probability": "probability", "onnxruntime_label": "label"], float32: true),
    ]

    @Test(arguments: cases)
    func scoresWithFeaturesAtParity(_ c: Case) throws {
        let dir = CLITests().temporaryDirectory()
        let out = dir.appendingPathComponent("out.csv").path
        let r = try CLITests().run(["score", "--model", "fixtures/unusual/\(c.model)", "--input", "fixtures/churn/score_input.csv",
                                    "--output", out, "--key", "customer_id", "--raw", "--ort-threads", "2", "--features", c.features])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try Self.columns(out)
        let expected = try Self.columns(CLITests.root.appendingPathComponent("fixtures/unusual/\(c.model.split(separator: ".")[0]).expected.csv").path)
        #expect(ours["customer_id"] == expected["customer_id"])
        var report: [String] = []
        for (theirs, mine) in c.columns.sorted(by: { $0.key < $1.key }) {
            let o = try #require(ours[mine]), e = try #require(expected[theirs])
            let d = Self.maxDiff(o, e, float32: c.float32)
            report.append("\(mine) \(String(format: "%.3g", d))")
            #expect(d <= 1e-6, "\(c.model) \(mine): max abs diff \(d)")
        }
        print("--features parity \(c.model): max abs diff \(report.joined(separator: ", "))")
    }

    @Test func aBareModelWithoutFeaturesPointsToThem() throws {
        let out = CLITests().temporaryDirectory().appendingPathComponent("out.csv").path
        let r = try CLITests().run(["score", "--model", "fixtures/unusual/xgb_bare_matrix.json", "--input", "fixtures/churn/score_input.csv",
                                    "--output", out])
        #expect(r.status != 0)
        #expect(r.stderr.contains("'f0'") && r.stderr.contains("bare matrix") && r.stderr.contains("--features"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func theFeatureCountIsChecked() throws {
        let out = CLITests().temporaryDirectory().appendingPathComponent("out.csv").path
        for (model, format, count) in [("xgb_bare_matrix.json", "XGBoost", 7), ("lgbm_bare_matrix.txt", "LightGBM", 7)] {
            let r = try CLITests().run(["score", "--model", "fixtures/unusual/\(model)", "--input", "fixtures/churn/score_input.csv",
                                        "--output", out, "--features", "age,income"])
            #expect(r.status == 78, "configuration error: \(r.stderr)")
            #expect(r.stderr.contains("--features names 2 columns") && r.stderr.contains("\(format)")
                    && r.stderr.contains("has \(count) features"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        let twice = try CLITests().run(["score", "--model", "fixtures/unusual/xgb_bare_matrix.json", "--input", "fixtures/churn/score_input.csv",
                                        "--output", out, "--features", "age,age,income,balance,tenure_months,has_card,num_products"])
        #expect(twice.status == 78 && twice.stderr.contains("'age' twice"), "\(twice.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// A job's `features:` binds the columns the same way; a wrong count fails the run as a configuration error.
    @Test func aJobsFeaturesBindABareModel() throws {
        let root = CLITests.root.path
        let dir = CLITests().temporaryDirectory()
        func job(_ name: String, features: String) throws -> String {
            let yaml = """
                name: \(name)
                model: \(root)/fixtures/unusual/lgbm_bare_matrix.txt
                features: [\(features)]
                source: { csv: "\(root)/fixtures/churn/score_input.csv" }
                key: customer_id
                sink: { sqlite: { path: out.db, table: scores } }
                """
            let path = dir.appendingPathComponent("\(name).yaml")
            try yaml.write(to: path, atomically: true, encoding: .utf8)
            return path.path
        }
        let good = try CLITests().run(["run", try job("bare", features: Self.order), "--date", "2026-11-01"])
        #expect(good.status == 0, "\(good.stderr)")
        let rows = try SQLiteDatabase(path: dir.appendingPathComponent("out.db").path, readOnly: true)
            .query("SELECT customer_id, prediction FROM scores ORDER BY rowid")
        let expected = try Self.columns("\(root)/fixtures/unusual/lgbm_bare_matrix.expected.csv")
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0[0]!, $0[1]!) })
        #expect(byKey.count == 1000)
        let d = Self.maxDiff(expected["customer_id"]!.map { byKey[$0] ?? "nan" }, expected["prediction"]!, float32: false)
        #expect(d <= 1e-6, "max abs diff \(d)")
        print("job features: parity lgbm_bare_matrix: max abs diff \(String(format: "%.3g", d))")

        let bad = try CLITests().run(["run", try job("short", features: "age, income"), "--date", "2026-11-01"])
        #expect(bad.status == 78, "\(bad.stderr)")
        #expect(bad.stderr.contains("--features names 2 columns") && bad.stderr.contains("has 7 features"), "\(bad.stderr)")
    }
}
