import Foundation
import Testing
import NightjarIO

/// Runs the real `nightjar` binary: exit status, one-line errors, outputs.
@Suite struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary built next to the test bundle (swift build and swift test share .build/<config>/).
    static let binary: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("nightjar"),
            Bundle.main.bundleURL.appendingPathComponent("nightjar"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("nightjar"),
            root.appendingPathComponent(".build/debug/nightjar"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary in `directory` (the package root by default) with `environment` added.
    func run(_ arguments: [String], in directory: URL = CLITests.root, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        SanitizerReport.check(stderr: result.stderr, status: result.status)
        return result
    }

    func temporaryDirectory() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A huge field is quoted in 200 bytes: the error stays one short line naming file, line and
    /// column (300 KB here: the debug build the tests run parses ~12 µs a byte; a 10 MB field takes
    /// ~2 s in a release build and gives the same 400-byte line).
    @Test func aHugeBadFieldGivesAShortError() throws {
        let dir = temporaryDirectory()
        let input = dir.appendingPathComponent("in.csv")
        var text = try String(contentsOf: Self.root.appendingPathComponent("fixtures/churn/score_input.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[5].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[1] = String(repeating: "9x", count: 150_000)  // age
        lines[5] = fields.joined(separator: ",")
        text = lines.joined(separator: "\n")
        try text.write(to: input, atomically: true, encoding: .utf8)
        let r = try run(["score", "--model", "fixtures/churn/churn_xgb.json", "--input", input.path,
                         "--output", dir.appendingPathComponent("o.csv").path])
        #expect(r.status != 0)
        #expect(r.stderr.utf8.count < 2000, "\(r.stderr.utf8.count) bytes of stderr")
        #expect(r.stderr.contains(input.path) && r.stderr.contains("line 6") && r.stderr.contains("age"), "\(r.stderr.prefix(600))")
        #expect(r.stderr.contains("(300000 bytes)"))
    }

    @Test func scoreIntoSQLitePrintsASummary() throws {
        let db = temporaryDirectory().appendingPathComponent("churn.db").path
        let r = try run(["score", "--model", "fixtures/churn/churn_xgb.json", "--input", "fixtures/churn/score_input.csv",
                         "--output", db, "--table", "churn_scores", "--key", "customer_id", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("scored 1000 rows"))
        #expect(r.stdout.contains("rows/s"))
        #expect(r.stdout.contains("\(db) (table churn_scores)"))
    }

    /// `nightjar bench` prints one JSON object with the documented figures (no timing asserted).
    @Test func benchPrintsOneJSONObject() throws {
        let r = try run(["bench", "--model", "fixtures/churn/churn_xgb.json", "--input", "fixtures/churn/score_input.csv",
                         "--rows", "300", "--threads", "2", "--repeat", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["rows"] as? Int == 300)
        for key in ["scoring_rows_per_second", "end_to_end_rows_per_second", "parse_rows_per_second",
                    "encode_rows_per_second", "parse_encode_rows_per_second", "model_load_seconds"] {
            #expect((object?[key] as? Double ?? -1) > 0, "\(key)")
        }
        // The build the figures came from: the kernels' CPU level (Package.swift, NIGHTJAR_TARGET_CPU).
        let cpu = object?["target_cpu"] as? String
        #expect(["haswell", "skylake-avx512", "portable"].contains(cpu ?? ""), "\(cpu ?? "nil")")
        #if arch(x86_64)
        if ProcessInfo.processInfo.environment["NIGHTJAR_TARGET_CPU"] == nil { #expect(cpu == "haswell") }
        #else
        #expect(cpu == "portable")
        #endif
        let bad = try run(["bench", "--model", "fixtures/churn/churn_xgb.json", "--input", "missing.csv"])
        #expect(bad.status == 75, "a missing input is temporary: it may not be there yet")
        #expect(bad.stderr.hasPrefix("error: "))
    }

    /// `nightjar bench --contributions` times scoring with exact contributions (the benchmark's
    /// side-by-side with pred_contribs); a model without covers is refused with the reason.
    @Test func benchTimesContributions() throws {
        let r = try run(["bench", "--model", "fixtures/churn/churn_lgbm.txt", "--input", "fixtures/churn/score_input.csv",
                         "--rows", "200", "--threads", "1", "--repeat", "1", "--contributions"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((object?["scoring_rows_per_second"] as? Double ?? -1) > 0)
        let onnx = try run(["bench", "--model", "fixtures/churn/churn_rf.onnx", "--input", "fixtures/churn/score_input.csv",
                            "--rows", "200", "--reasons", "2"])
        #expect(onnx.status != 0)
        #expect(onnx.stderr.hasPrefix("error: ") && onnx.stderr.contains("cover"), "\(onnx.stderr)")
        #expect(onnx.stderr.split(separator: "\n").count == 1, "one line: \(onnx.stderr)")
    }

    /// `nightjar score --reasons` on a linear model file: refused in one line without its training
    /// sample, explained with `--reference-sample` (into SQLite, reasons as text).
    @Test func scoreExplainsALinearModelWithItsReferenceSample() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nightjar-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("out.db").path
        let args = ["score", "--model", "fixtures/churn/churn_logreg.onnx", "--input", "fixtures/churn/score_input.csv",
                    "--output", out, "--key", "customer_id", "--reasons", "2", "--quiet"]
        let refused = try run(args)
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("error: --reasons: ") && refused.stderr.contains("--reference-sample"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "one line: \(refused.stderr)")
        let r = try run(args + ["--reference-sample", "fixtures/churn/train_sample.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let db = try SQLiteDatabase(path: out, readOnly: true)
        let rows = try db.query("SELECT count(*), count(DISTINCT reason_1), typeof(reason_1) FROM predictions")
        #expect(rows.first?[0] == "1000" && rows.first?[2] == "text")
        #expect(Int(rows.first?[1] ?? "0")! > 1, "reasons differ between rows")
    }

    @Test func inspectDescribesTheModel() throws {
        let r = try run(["inspect", "fixtures/extra/lgbm_multi.txt"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("format:      LightGBM text"))
        #expect(r.stdout.contains("multi-class classification (3 classes)"))
        #expect(r.stdout.contains("region"))
        #expect(r.stdout.contains("categorical, 4 categories in training order: north, south, west, east"))
        let x = try run(["inspect", "fixtures/churn/churn_xgb.json"])
        #expect(x.stdout.contains("150 trees"))
        #expect(x.stdout.contains("binary:logistic"))
    }

    /// Every bad input: non-zero exit and exactly one line on stderr naming the problem.
    /// Each with its exit status (`nightjar --help`, README "Exit codes").
    @Test(arguments: [
        (["score", "--model", "fixtures/churn/nope.json", "--input", "fixtures/churn/score_input.csv", "--output", "OUT/x.csv"], "no such file", Int32(78)),
        (["score", "--model", "fixtures/churn/score_input.csv", "--input", "fixtures/churn/score_input.csv", "--output", "OUT/x.csv"], "not a model file", 78),
        (["score", "--model", "fixtures/churn/churn_xgb.json", "--input", "fixtures/churn/missing.csv", "--output", "OUT/x.csv"], "missing.csv: no such file", 75),
        (["score", "--model", "fixtures/churn/churn_xgb.json", "--input", "fixtures/churn/churn_xgb.expected.csv", "--output", "OUT/x.csv"], "missing columns", 65),
        (["score", "--model", "fixtures/churn/churn_xgb.json", "--input", "fixtures/churn/score_input.csv", "--output", "OUT/x.csv", "--threads", "0"], "--threads", 64),
        (["score", "--model", "fixtures/churn/churn_xgb.json", "--input", "fixtures/churn/score_input.csv", "--output", "OUT/x.csv", "--key", "nope"], "key column 'nope'", 65),
        (["inspect", "fixtures/churn/score_input.csv"], "not a model file", 78),
    ])
    func errorsAreOneLine(_ arguments: [String], _ expected: String, _ status: Int32) throws {
        let dir = temporaryDirectory().path
        let r = try run(arguments.map { $0.replacingOccurrences(of: "OUT", with: dir) })
        #expect(r.status == status, "stderr: \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count >= 1)
        #expect(r.stderr.contains(expected), "stderr: \(r.stderr)")
        if !arguments.contains("--threads") {
            #expect(lines.count == 1, "stderr: \(r.stderr)")
            #expect(lines.first?.hasPrefix("error: ") == true)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "nothing written on failure")
    }

    @Test func truncatedModelAndEmptyInput() throws {
        let dir = temporaryDirectory()
        let model = dir.appendingPathComponent("cut.txt")
        let text = try String(contentsOf: Self.root.appendingPathComponent("fixtures/churn/churn_lgbm.txt"), encoding: .utf8)
        try String(text.prefix(30_000)).write(to: model, atomically: true, encoding: .utf8)
        let r = try run(["score", "--model", model.path, "--input", "fixtures/churn/score_input.csv", "--output", dir.appendingPathComponent("o.csv").path])
        #expect(r.status == 78, "a broken model is a configuration error")
        #expect(r.stderr.contains("cut.txt") && r.stderr.contains("truncated"))
        let empty = dir.appendingPathComponent("empty.csv")
        try Data().write(to: empty)
        let e = try run(["score", "--model", "fixtures/churn/churn_xgb.json", "--input", empty.path, "--output", dir.appendingPathComponent("o.csv").path])
        #expect(e.status == 65, "an empty input is an input error")
        #expect(e.stderr == "error: \(empty.path): the file is empty; expected a header row naming the columns\n")
    }
}

/// ONNX through the CLI: inspect, and the `--features` binding of a one-tensor graph.
@Suite struct ONNXCLITests {
    @Test func inspectListsInputsStepsAndOutputs() throws {
        let r = try CLITests().run(["inspect", "fixtures/churn/churn_logreg.onnx"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("format:      ONNX"))
        #expect(r.stdout.contains("region") && r.stdout.contains("tensor(string)"))
        #expect(r.stdout.contains("Imputer") && r.stdout.contains("OneHotEncoder") && r.stdout.contains("LinearClassifier"))
        #expect(r.stdout.contains("outputs:"))
    }

    @Test func oneTensorGraphNeedsFeatures() throws {
        let dir = CLITests().temporaryDirectory()
        let out = dir.appendingPathComponent("x.csv").path
        let without = try CLITests().run(["score", "--model", "fixtures/onnx/onnx_xgb.onnx", "--input", "fixtures/churn/score_input.csv", "--output", out])
        #expect(without.status == 78)
        #expect(without.stderr.contains("--features"))
        #expect(without.stderr.split(separator: "\n").count == 1)
        let features = "age,income,tenure_months,balance,num_products,last_login_days,has_card"
        let with = try CLITests().run(["score", "--model", "fixtures/onnx/onnx_xgb.onnx", "--input", "fixtures/churn/score_input.csv",
                                       "--output", out, "--features", features, "--key", "customer_id"])
        #expect(with.status == 0, "\(with.stderr)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.hasPrefix("customer_id,probability,label\nC100000,0.16876626,"))
    }
}
