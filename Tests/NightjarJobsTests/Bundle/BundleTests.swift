import Foundation
import Testing
import NightjarIO
import NightjarCore
@testable import NightjarJobs

/// Bundles: created only when Nightjar reproduces the training library, verified before every run,
/// named through a registry whose aliases live in the run store.
@Suite struct BundleTests {
    func options(_ registry: URL, model: String = "churn/churn_xgb.json", expected: String = "churn/churn_xgb.expected.csv",
                 name: String = "churn", version: String = "1") -> BundleOptions {
        var o = BundleOptions(modelPath: fixture(model), name: name, version: version, registry: registry.path,
                              trainSample: fixture("churn/train_sample.csv"), expected: fixture(expected))
        o.goldenInput = fixture("churn/score_input.csv")
        return o
    }

    @Test func createsABundleThatVerifies() throws {
        let registry = temporaryDirectory()
        var o = options(registry)
        o.libraries = ["xgboost": "3.2.0"]
        o.goldenRows = 200
        let (bundle, check) = try BundleBuilder.create(o)
        #expect(check.rows == 1000)
        #expect(check.passed)
        #expect(check.maxAbsoluteDifference < 1e-6)
        let m = bundle.manifest
        #expect(m.name == "churn" && m.version == "1" && m.format == "xgboost-json" && m.task == "binary")
        #expect(m.golden.rows == 200)
        #expect(m.golden.columns == ["probability", "margin"])
        #expect(m.libraries["xgboost"] == "3.2.0")
        #expect(Set(m.files.keys) == ["churn_xgb.json", "contract.json", "reference.json", "golden_input.csv", "golden_expected.csv"])
        #expect(m.features.first { $0.name == "region" }?.categories == ["east", "north", "south", "west"])
        #expect(m.files["churn_xgb.json"] == (try RunExecutor.sha256(ofFile: fixture("churn/churn_xgb.json"))))
        let golden = try CSVTable.read(path: bundle.path(ModelBundle.goldenExpectedFile))
        #expect(golden.header == ["customer_id", "probability", "margin"])
        #expect(golden.rowCount == 200)
        let verified = try ModelBundle(directory: bundle.directory).verify()
        #expect(verified.check.rows == 200)
        // A version is never overwritten.
        #expect(throws: ScoreError.self) { try BundleBuilder.create(o) }
    }

    @Test func refusesAModelWhoseCategoryOrderDiffersFromTraining() throws {
        // The same LightGBM model with the region categories listed in another order: codes shift,
        // predictions change, and the bundle must not be created.
        let dir = temporaryDirectory()
        let text = try String(contentsOfFile: fixture("churn/churn_lgbm.txt"), encoding: .utf8)
        let swapped = text.replacingOccurrences(of: "[\"east\", \"north\", \"south\", \"west\"]", with: "[\"west\", \"south\", \"north\", \"east\"]")
        #expect(swapped != text)
        let model = dir.appendingPathComponent("churn_lgbm.txt")
        try swapped.write(to: model, atomically: true, encoding: .utf8)
        let registry = dir.appendingPathComponent("models")
        var o = options(registry, expected: "churn/churn_lgbm.expected.csv")
        o.modelPath = model.path
        do {
            _ = try BundleBuilder.create(o)
            Issue.record("a bundle with the wrong category order was created")
        } catch let refused as BundleRefused {
            #expect(refused.check.failures.count > 50)
            #expect(refused.description.contains("probability"))
            #expect(refused.description.contains("key C1"))
        }
        #expect(!FileManager.default.fileExists(atPath: registry.appendingPathComponent("churn/1").path))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: registry.appendingPathComponent("churn").path)) ?? []).isEmpty)
        // The untouched model passes.
        var good = options(registry, model: "churn/churn_lgbm.txt", expected: "churn/churn_lgbm.expected.csv")
        good.version = "2"
        #expect(try BundleBuilder.create(good).check.passed)
    }

    @Test func refusesExpectedPredictionsOfOtherRows() throws {
        var o = options(temporaryDirectory())
        o.goldenInput = nil  // the expected file scores score_input.csv, not the training sample (same keys, other rows)
        #expect(throws: BundleRefused.self) { try BundleBuilder.create(o) }
    }

    @Test func anEditedFileFailsVerificationNamingIt() throws {
        let (bundle, _) = try BundleBuilder.create(options(temporaryDirectory()))
        let input = bundle.path(ModelBundle.goldenInputFile)
        var text = try String(contentsOfFile: input, encoding: .utf8)
        text = text.replacingOccurrences(of: "C100000,71,", with: "C100000,72,")
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        do {
            try ModelBundle(directory: bundle.directory).verifyFiles()
            Issue.record("an edited bundle verified")
        } catch let e as BundleVerificationError {
            #expect(e.description.contains("golden_input.csv was modified"))
        }
    }

    @Test func goldenRowsThatNoLongerAgreeFailNamingTheRow() throws {
        // A bundle whose golden outputs disagree with the model (hashes rewritten to match, as a
        // bundle made by a Nightjar that scored differently would look): verification names the row.
        let (bundle, _) = try BundleBuilder.create(options(temporaryDirectory()))
        let expected = bundle.path(ModelBundle.goldenExpectedFile)
        var lines = try String(contentsOfFile: expected, encoding: .utf8).split(separator: "\n").map(String.init)
        var fields = lines[3].split(separator: ",").map(String.init)
        fields[1] = String(Double(fields[1])! + 0.01)
        lines[3] = fields.joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(toFile: expected, atomically: true, encoding: .utf8)
        var manifest = bundle.manifest
        manifest.files[ModelBundle.goldenExpectedFile] = try RunExecutor.sha256(ofFile: expected)
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: bundle.path(BundleManifest.fileName)))
        let reopened = try ModelBundle(directory: bundle.directory)
        try reopened.verifyFiles()
        do {
            _ = try reopened.verify()
            Issue.record("golden rows that disagree verified")
        } catch let e as BundleVerificationError {
            #expect(e.description.contains("key \(fields[0])"))
            #expect(e.description.contains("1 golden value"))
        }
    }

    @Test func aliasesPromoteAndRollBackAsAStack() throws {
        let registry = temporaryDirectory()
        for v in ["1", "2", "3"] { _ = try BundleBuilder.create(options(registry, version: v)) }
        let store = try SQLiteRunStore(path: registry.appendingPathComponent("state.db").path)
        let aliases = ModelAliases(registry: ModelRegistry(root: registry.path), store: store)
        #expect(throws: ScoreError.self) { try aliases.rollback(model: "churn", alias: "champion") }
        try aliases.promote(model: "churn", version: "1", alias: "champion")
        #expect(throws: ScoreError.self) { try aliases.rollback(model: "churn", alias: "champion") }
        try aliases.promote(model: "churn", version: "2", alias: "champion")
        try aliases.promote(model: "churn", version: "3", alias: "champion")
        #expect(try store.alias(model: "churn", alias: "champion") == "3")
        #expect(try aliases.rollback(model: "churn", alias: "champion").version == "2")
        #expect(try aliases.rollback(model: "churn", alias: "champion").version == "1")
        #expect(throws: ScoreError.self) { try aliases.rollback(model: "churn", alias: "champion") }
        #expect(throws: ScoreError.self) { try aliases.promote(model: "churn", version: "9", alias: "champion") }
        let events = try store.aliasEvents(model: "churn", alias: "champion")
        #expect(events.map(\.action) == [.promote, .promote, .promote, .rollback, .rollback])
        #expect(events.last?.previousVersion == "2")
        let registryView = ModelRegistry(root: registry.path)
        #expect(registryView.versions(of: "churn") == ["1", "2", "3"])
        #expect(try registryView.resolve(ModelReference("churn@champion")!, store: store) == ("1", "champion"))
        #expect(try registryView.resolve(ModelReference("churn@3")!, store: store) == ("3", nil))
        #expect(throws: ScoreError.self) { try registryView.resolve(ModelReference("churn@challenger")!, store: store) }
    }
}
