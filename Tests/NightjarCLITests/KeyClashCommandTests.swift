import Foundation
import Testing

/// `nightjar validate` refuses a key named like a column Nightjar writes next to it with one line
/// naming the job file and the key (exit 78), before any database is made.
@Suite struct KeyClashCommandTests {
    let cli = CLITests()

    @Test(arguments: ["run_id", "model_sha256", "probability", "label"])
    func validateRefusesAKeyNamedLikeAnOutputColumn(_ name: String) throws {
        let dir = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try String(contentsOf: CLITests.root.appendingPathComponent("fixtures/churn/score_input.csv"), encoding: .utf8)
            .replacingOccurrences(of: "customer_id,", with: "\(name),")
        try input.write(to: dir.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        try """
            name: clash
            model: \(CLITests.root.appendingPathComponent("fixtures/churn/churn_xgb.json").path)
            source: { csv: in.csv }
            key: \(name)
            sink: { sqlite: { path: out.db, table: scores } }
            """.write(to: dir.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
        let r = try cli.run(["validate", dir.appendingPathComponent("job.yaml").path, "--date", "2026-11-28"])
        #expect(r.status == 78, "\(r.stdout)\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains("job.yaml")
                && lines[0].contains("the key column '\(name)' has the name of an output column"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.db").path))
    }
}
