import Foundation
import Testing
@testable import NightjarCore

/// The outcome metrics against scikit-learn and numpy (fixtures/outcomes/sklearn_metrics.py), to
/// 1e-9 on every metric, plus hand-checked cases that need no python.
@Suite struct OutcomeMetricsTests {
    static let tolerance = 1e-9

    // MARK: - Data

    /// Binary labels and probabilities with many ties (2 decimals), some exactly 0 and 1, and some
    /// exactly on the calibration edges 0.1, 0.3 and 0.7 (which belong to the lower bin).
    static func binaryData(n: Int, seed: UInt64) -> (labels: [Double], probabilities: [Double]) {
        var rng = SplitMix(state: seed)
        var labels: [Double] = [], probabilities: [Double] = []
        for i in 0..<n {
            let y: Double = Double.random(in: 0..<1, using: &rng) < 0.3 ? 1 : 0
            var p = min(1, max(0, 0.3 * y + Double.random(in: 0..<0.7, using: &rng)))
            p = (p * 100).rounded() / 100
            switch i % 97 {
            case 0: p = 0
            case 1: p = 1
            case 2: p = 0.1
            case 3: p = 0.3
            case 4: p = 0.7
            default: break
            }
            labels.append(y)
            probabilities.append(p)
        }
        return (labels, probabilities)
    }

    /// Three-class rows from small integer weights (ties within rows and between rows), normalised.
    static func multiclassData(n: Int, classes: Int, seed: UInt64) -> (labels: [Int], probabilities: [Double]) {
        var rng = SplitMix(state: seed)
        var labels: [Int] = [], probabilities: [Double] = []
        for _ in 0..<n {
            let y = Int.random(in: 0..<classes, using: &rng)
            var w = (0..<classes).map { _ in Double(Int.random(in: 0...4, using: &rng)) }
            if Double.random(in: 0..<1, using: &rng) < 0.6 { w[y] += 3 }
            if w.allSatisfy({ $0 == 0 }) { w[0] = 1 }
            let sum = w.reduce(0, +)
            labels.append(y)
            probabilities += w.map { $0 / sum }
        }
        return (labels, probabilities)
    }

    // MARK: - Against scikit-learn

    @Test(.enabled(if: SklearnReference.enabled, SklearnReference.reason))
    func binaryMatchesSklearn() throws {
        let (labels, probabilities) = Self.binaryData(n: 2000, seed: 2024)
        for threshold in [0.5, 0.3] {
            let m = BinaryOutcomeMetrics(labels: labels, probabilities: probabilities, threshold: threshold)
            let r = try SklearnReference.run([
                "\"kind\": \"binary\"", "\"labels\": \(json(labels))",
                "\"probabilities\": \(json(probabilities))", "\"threshold\": \(threshold)",
            ])
            Self.check(m, r)
            #expect(m.calibration.allSatisfy { $0.rows > 0 }, "the data should fill every bin")
        }
    }

    @Test(.enabled(if: SklearnReference.enabled, SklearnReference.reason))
    func multiclassMatchesSklearn() throws {
        let classes = 3
        let (labels, probabilities) = Self.multiclassData(n: 1500, classes: classes, seed: 77)
        let m = MulticlassOutcomeMetrics(labels: labels, probabilities: probabilities, classes: classes)
        let r = try SklearnReference.run(multiclassRequest(labels, probabilities, classes))
        Self.check(m, r)
        #expect(m.macroAUC != nil)
        // Per-row losses average to the metric.
        let losses = OutcomeComparison.logLosses(labels: labels, probabilities: probabilities, classes: classes)
        close(losses.reduce(0, +) / Double(losses.count), m.logLoss, "mean per-row multiclass log loss")
    }

    @Test(.enabled(if: SklearnReference.enabled, SklearnReference.reason))
    func regressionMatchesSklearn() throws {
        var rng = SplitMix(state: 5)
        var labels: [Double] = [], predictions: [Double] = []
        for _ in 0..<2000 {
            let y = Double.random(in: -50..<150, using: &rng)
            labels.append(y)
            predictions.append(0.9 * y + Double.random(in: -20..<25, using: &rng))
        }
        let m = RegressionOutcomeMetrics(labels: labels, predictions: predictions)
        let r = try SklearnReference.run(["\"kind\": \"regression\"", "\"labels\": \(json(labels))", "\"predictions\": \(json(predictions))"])
        Self.check(m, r)
        #expect(m.r2 != nil)
        let squared = OutcomeComparison.squaredErrors(labels: labels, predictions: predictions)
        close((squared.reduce(0, +) / Double(squared.count)).squareRoot(), m.rmse, "rmse from per-row squared errors")
    }

    @Test(.enabled(if: SklearnReference.enabled, SklearnReference.reason))
    func degenerateCasesMatchSklearn() throws {
        let (labels, probabilities) = Self.binaryData(n: 300, seed: 9)

        // One class only: no AUC (and no recall when it is the negative class).
        let zeros = [Double](repeating: 0, count: labels.count)
        let ones = [Double](repeating: 1, count: labels.count)
        for (name, y) in [("all negative", zeros), ("all positive", ones)] {
            let m = BinaryOutcomeMetrics(labels: y, probabilities: probabilities, threshold: 0.5)
            #expect(m.auc == nil, "\(name)")
            #expect((m.recall == nil) == (name == "all negative"), "\(name)")
            let r = try SklearnReference.run(["\"kind\": \"binary\"", "\"labels\": \(json(y))",
                                              "\"probabilities\": \(json(probabilities))", "\"threshold\": 0.5"])
            Self.check(m, r)
        }

        // Nothing predicted positive: no precision.
        let m = BinaryOutcomeMetrics(labels: labels, probabilities: probabilities, threshold: 1.5)
        #expect(m.precision == nil)
        #expect(m.recall == 0)
        let r = try SklearnReference.run(["\"kind\": \"binary\"", "\"labels\": \(json(labels))",
                                          "\"probabilities\": \(json(probabilities))", "\"threshold\": 1.5"])
        Self.check(m, r)

        // Constant labels: no r2 (0.1 three times has a mean that is not 0.1 exactly).
        for y in [[Double](repeating: 3, count: 50), [0.1, 0.1, 0.1]] {
            let f = y.indices.map { Double($0) * 0.01 }
            let g = RegressionOutcomeMetrics(labels: y, predictions: f)
            #expect(g.r2 == nil)
            let rr = try SklearnReference.run(["\"kind\": \"regression\"", "\"labels\": \(json(y))", "\"predictions\": \(json(f))"])
            Self.check(g, rr)
        }

        // A class absent from the labels: no macro AUC.
        let (threeClasses, mProbabilities) = Self.multiclassData(n: 200, classes: 3, seed: 3)
        let mLabels = threeClasses.map { $0 == 2 ? 0 : $0 }
        let mc = MulticlassOutcomeMetrics(labels: mLabels, probabilities: mProbabilities, classes: 3)
        #expect(mc.macroAUC == nil)
        #expect(mc.classCounts[2] == 0)
        let mr = try SklearnReference.run(multiclassRequest(mLabels, mProbabilities, 3))
        Self.check(mc, mr)
    }

    @Test(.enabled(if: SklearnReference.enabled, SklearnReference.reason))
    func delongPairedMatchesNumpy() throws {
        var rng = SplitMix(state: 31)
        var labels: [Double] = [], a: [Double] = [], b: [Double] = []
        for _ in 0..<1500 {
            let y: Double = Double.random(in: 0..<1, using: &rng) < 0.35 ? 1 : 0
            let base = 0.25 * y + Double.random(in: 0..<0.75, using: &rng)
            labels.append(y)
            a.append((base * 100).rounded() / 100)                                                   // ties
            b.append(((0.7 * base + 0.15 * y + Double.random(in: 0..<0.15, using: &rng)) * 50).rounded() / 50)
        }
        let d = try #require(OutcomeComparison.aucDifference(labels: labels, a: a, b: b))
        let r = try SklearnReference.run(["\"kind\": \"delong_paired\"", "\"labels\": \(json(labels))",
                                          "\"a\": \(json(a))", "\"b\": \(json(b))"])
        Self.check(d, r)
        // The estimate is the difference of the two AUCs of BinaryOutcomeMetrics.
        let aucA = try #require(BinaryOutcomeMetrics(labels: labels, probabilities: a, threshold: 0.5).auc)
        let aucB = try #require(BinaryOutcomeMetrics(labels: labels, probabilities: b, threshold: 0.5).auc)
        close(aucA, r.aucA, "auc a")
        close(aucB, r.aucB, "auc b")
        close(d.estimate, aucB - aucA, "estimate = auc b − auc a")
        // Paired accounts for the correlation: narrower than treating the rows as independent.
        let unpaired = try #require(OutcomeComparison.aucDifference(labelsA: labels, a: a, labelsB: labels, b: b))
        #expect(d.standardError < unpaired.standardError)
    }

    @Test(.enabled(if: SklearnReference.enabled, SklearnReference.reason))
    func delongUnpairedMatchesNumpy() throws {
        func arm(_ n: Int, _ lift: Double, _ rng: inout SplitMix) -> ([Double], [Double]) {
            var labels: [Double] = [], scores: [Double] = []
            for _ in 0..<n {
                let y: Double = Double.random(in: 0..<1, using: &rng) < 0.3 ? 1 : 0
                labels.append(y)
                scores.append(((lift * y + Double.random(in: 0..<0.8, using: &rng)) * 40).rounded() / 40)
            }
            return (labels, scores)
        }
        var rng = SplitMix(state: 4242)
        let (la, a) = arm(1200, 0.2, &rng)
        let (lb, b) = arm(900, 0.35, &rng)
        let d = try #require(OutcomeComparison.aucDifference(labelsA: la, a: a, labelsB: lb, b: b))
        let r = try SklearnReference.run(["\"kind\": \"delong_unpaired\"", "\"labels_a\": \(json(la))", "\"a\": \(json(a))",
                                          "\"labels_b\": \(json(lb))", "\"b\": \(json(b))"])
        Self.check(d, r)
        #expect(d.significant, "a lift of 0.2 against 0.35 on ~2,000 rows should show")
    }

    @Test(.enabled(if: SklearnReference.enabled, SklearnReference.reason))
    func meanDifferencesMatchNumpy() throws {
        let (labels, p) = Self.binaryData(n: 1000, seed: 8)
        let q = p.map { min(1, max(0, $0 * 0.9 + 0.04)) }
        let la = OutcomeComparison.logLosses(labels: labels, probabilities: p)
        let lb = OutcomeComparison.logLosses(labels: labels, probabilities: q)
        let paired = try #require(OutcomeComparison.meanDifference(paired: la, lb))
        let r = try SklearnReference.run(["\"kind\": \"mean_paired\"", "\"a\": \(json(la))", "\"b\": \(json(lb))"])
        Self.check(paired, r)
        let lbShort = Array(lb.prefix(700))
        let unpaired = try #require(OutcomeComparison.meanDifference(unpaired: la, lbShort))
        let u = try SklearnReference.run(["\"kind\": \"mean_unpaired\"", "\"a\": \(json(la))", "\"b\": \(json(lbShort))"])
        Self.check(unpaired, u)
    }

    // MARK: - No python needed

    @Test func probabilitiesOnEdgesGoToTheLowerBin() {
        let m = BinaryOutcomeMetrics(labels: [0, 0, 0, 1, 1, 0, 1],
                                     probabilities: [0, 0.1, 0.3, 0.7, 1, 0.30000000000000004, 0.7000000000000001],
                                     threshold: 0.5)
        #expect(m.calibration.count == 10)
        #expect(m.calibration.map(\.rows) == [2, 0, 2, 0, 0, 0, 2, 0, 0, 1])
        #expect(m.calibration.map(\.lower) == [0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9])
        #expect(m.calibration.map(\.upper) == [0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 1])
        #expect(m.calibration[1].meanPredicted == nil && m.calibration[1].observedRate == nil)
        #expect(m.calibration[9].meanPredicted == 1 && m.calibration[9].observedRate == 1)
    }

    @Test func smallBinaryByHand() {
        // Positives score .8, .4; negatives .4, .1: pairs (.8,.4)=1 (.8,.1)=1 (.4,.4)=½ (.4,.1)=1 → 3.5/4.
        let m = BinaryOutcomeMetrics(labels: [1, 1, 0, 0], probabilities: [0.8, 0.4, 0.4, 0.1], threshold: 0.4)
        #expect(m.auc == 0.875)
        #expect(m.rows == 4 && m.positives == 2)
        #expect(m.accuracy == 0.75)          // predicted 1, 1, 1, 0
        #expect(m.precision == 2.0 / 3.0)
        #expect(m.recall == 1)
        close(m.brier, (0.04 + 0.36 + 0.16 + 0.01) / 4, "brier")
        close(m.logLoss, -(log(0.8) + log(0.4) + log(0.6) + log(0.9)) / 4, "log loss")
        // Exactly 0 and 1 are clipped to eps, so a confident miss costs −log(2.22e-16) ≈ 36.04.
        let miss = BinaryOutcomeMetrics(labels: [1, 0], probabilities: [0, 1], threshold: 0.5)
        close(miss.logLoss, -log(Double.ulpOfOne), "clipped log loss")
        #expect(miss.auc == 0)
    }

    @Test func identicalModelsAreNotDifferent() throws {
        let (labels, p) = Self.binaryData(n: 500, seed: 1)
        let d = try #require(OutcomeComparison.aucDifference(labels: labels, a: p, b: p))
        #expect(d.estimate == 0)
        #expect(abs(d.standardError) < 1e-12)
        #expect(!d.significant)
        #expect(d.level == 0.95)
        let losses = OutcomeComparison.logLosses(labels: labels, probabilities: p)
        let m = try #require(OutcomeComparison.meanDifference(paired: losses, losses))
        #expect(m.estimate == 0 && m.standardError == 0 && !m.significant)
        // And the per-row losses average to the metric.
        let metrics = BinaryOutcomeMetrics(labels: labels, probabilities: p, threshold: 0.5)
        close(losses.reduce(0, +) / Double(losses.count), metrics.logLoss, "mean per-row log loss")
        let squared = OutcomeComparison.squaredErrors(labels: labels, predictions: p)
        close(squared.reduce(0, +) / Double(squared.count), metrics.brier, "mean squared error = brier")
    }

    @Test func comparisonsWithoutEnoughRowsAreNil() {
        #expect(OutcomeComparison.aucDifference(labels: [0, 0, 0], a: [0.1, 0.2, 0.3], b: [0.3, 0.2, 0.1]) == nil)
        #expect(OutcomeComparison.aucDifference(labels: [0, 1, 0], a: [0.1, 0.2, 0.3], b: [0.3, 0.2, 0.1]) == nil)
        #expect(OutcomeComparison.aucDifference(labelsA: [0, 1, 0, 1], a: [0.1, 0.2, 0.3, 0.4],
                                                labelsB: [1, 1], b: [0.5, 0.6]) == nil)
        #expect(OutcomeComparison.meanDifference(paired: [1], [2]) == nil)
        #expect(OutcomeComparison.meanDifference(unpaired: [1, 2, 3], [2]) == nil)
        let d = DifferenceInterval(estimate: 0.05, standardError: 0.01)
        #expect(d.significant && d.lower > 0)
        #expect(abs(d.upper - (0.05 + 1.959963984540054 * 0.01)) < 1e-15)
    }

    /// A million rows, heavily tied: finishes quickly only because the AUC is one sort and a walk
    /// over tie runs (no timing asserted; a quadratic pass would not finish).
    @Test func millionRowsAreOneSort() {
        let n = 1_000_000
        var labels = [Double](repeating: 0, count: n), probabilities = [Double](repeating: 0, count: n)
        for i in 0..<n {
            probabilities[i] = Double(i % 100) / 100
            labels[i] = i % 100 >= 50 ? 1 : 0
        }
        let m = BinaryOutcomeMetrics(labels: labels, probabilities: probabilities, threshold: 0.5)
        #expect(m.auc == 1)
        #expect(m.precision == 1 && m.recall == 1 && m.accuracy == 1)
        #expect(m.positives == n / 2)
        let d = OutcomeComparison.aucDifference(labels: labels, a: probabilities, b: probabilities)
        #expect(d?.estimate == 0)
    }

    // MARK: - Comparison helpers

    static func check(_ m: BinaryOutcomeMetrics, _ r: SklearnReference.Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(m.rows == r.rows && m.positives == r.positives, sourceLocation: sourceLocation)
        close(m.auc, r.auc, "auc", sourceLocation)
        close(m.logLoss, r.logLoss, "log loss", sourceLocation)
        close(m.brier, r.brier, "brier", sourceLocation)
        close(m.ece, r.ece, "ece", sourceLocation)
        close(m.accuracy, r.accuracy, "accuracy", sourceLocation)
        close(m.precision, r.precision, "precision", sourceLocation)
        close(m.recall, r.recall, "recall", sourceLocation)
        let bins = r.calibration ?? []
        #expect(bins.count == 10 && m.calibration.count == 10, sourceLocation: sourceLocation)
        for (s, p) in zip(m.calibration, bins) {
            #expect(s.lower == p.lower && s.upper == p.upper, "bin edges \(s.lower)…\(s.upper) vs numpy \(p.lower)…\(p.upper)", sourceLocation: sourceLocation)
            #expect(s.rows == p.rows, "bin \(p.lower)…\(p.upper): \(s.rows) rows, sklearn \(p.rows)", sourceLocation: sourceLocation)
            close(s.meanPredicted, p.meanPredicted, "bin \(p.lower) mean predicted", sourceLocation)
            close(s.observedRate, p.observedRate, "bin \(p.lower) observed rate", sourceLocation)
        }
    }

    static func check(_ m: MulticlassOutcomeMetrics, _ r: SklearnReference.Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(m.rows == r.rows && m.classes == r.classes && m.classCounts == r.classCounts, sourceLocation: sourceLocation)
        close(m.logLoss, r.logLoss, "log loss", sourceLocation)
        close(m.accuracy, r.accuracy, "accuracy", sourceLocation)
        close(m.macroAUC, r.macroAuc, "macro AUC", sourceLocation)
    }

    static func check(_ m: RegressionOutcomeMetrics, _ r: SklearnReference.Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(m.rows == r.rows, sourceLocation: sourceLocation)
        close(m.rmse, r.rmse, "rmse", sourceLocation)
        close(m.mae, r.mae, "mae", sourceLocation)
        close(m.r2, r.r2, "r2", sourceLocation)
        close(m.meanLabel, r.meanLabel, "mean label", sourceLocation)
    }

    static func check(_ d: DifferenceInterval, _ r: SklearnReference.Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        close(d.estimate, r.estimate, "estimate", sourceLocation)
        close(d.standardError, r.standardError, "standard error", sourceLocation)
        close(d.lower, r.lower, "lower", sourceLocation)
        close(d.upper, r.upper, "upper", sourceLocation)
        #expect(d.level == 0.95, sourceLocation: sourceLocation)
    }
}

/// |swift − reference| ≤ 1e-9, or both nil.
private func close(_ swift: Double?, _ reference: Double?, _ what: String, _ sourceLocation: SourceLocation = #_sourceLocation) {
    switch (swift, reference) {
    case (nil, nil):
        return
    case let (s?, r?):
        #expect(abs(s - r) <= OutcomeMetricsTests.tolerance, "\(what): swift \(s), reference \(r), off by \(abs(s - r))", sourceLocation: sourceLocation)
    default:
        Issue.record("\(what): swift \(swift.map { "\($0)" } ?? "nil"), reference \(reference.map { "\($0)" } ?? "nil")", sourceLocation: sourceLocation)
    }
}

/// Doubles as a JSON array. Swift prints the shortest decimal that reads back to the same double
/// (0.30000000000000004, 1e-05), so python sees exactly the values the Swift side measured.
private func json(_ values: [Double]) -> String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }
private func json(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ",") + "]" }

private func multiclassRequest(_ labels: [Int], _ probabilities: [Double], _ classes: Int) -> [String] {
    let rows = stride(from: 0, to: probabilities.count, by: classes).map { json(Array(probabilities[$0..<($0 + classes)])) }
    return ["\"kind\": \"multiclass\"", "\"labels\": \(json(labels))",
            "\"probabilities\": [\(rows.joined(separator: ","))]", "\"classes\": \(classes)"]
}

/// fixtures/outcomes/sklearn_metrics.py run by the first python3 that imports sklearn and numpy:
/// the one on PATH, else the system's (Debian: python3-sklearn). Under scripts/test.sh
/// (NIGHTJAR_REQUIRE_PG=1) a missing python3 or module is a failure, not a skip.
enum SklearnReference {
    static let reason: Comment = "needs python3 with scikit-learn and numpy (Debian: python3-sklearn)"
    static var script: String { fixture("outcomes/sklearn_metrics.py") }

    /// What the script prints; which keys are set depends on the request's kind.
    struct Answer: Decodable {
        struct Bin: Decodable {
            var lower: Double, upper: Double, rows: Int
            var meanPredicted: Double?, observedRate: Double?
        }
        var sklearn: String
        var rows: Int?, positives: Int?, classes: Int?, classCounts: [Int]?
        var auc: Double?, logLoss: Double?, brier: Double?, ece: Double?, accuracy: Double?
        var precision: Double?, recall: Double?, calibration: [Bin]?
        var macroAuc: Double?
        var rmse: Double?, mae: Double?, r2: Double?, meanLabel: Double?
        var aucA: Double?, aucB: Double?, varA: Double?, varB: Double?, covariance: Double?
        var estimate: Double?, standardError: Double?, lower: Double?, upper: Double?
    }

    static let python: String? = {
        for candidate in ["python3", "/usr/bin/python3"] {
            if let r = try? run(candidate, ["-c", "import sklearn, numpy"]), r.status == 0 { return candidate }
        }
        return nil
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["NIGHTJAR_REQUIRE_PG"] == "1" }
    static var enabled: Bool { python != nil || required }

    /// Runs the script on the JSON object made of `members` ("\"key\": value" strings).
    static func run(_ members: [String]) throws -> Answer {
        let python = try #require(python, "python3 with scikit-learn and numpy is missing: install the Debian package python3-sklearn")
        let r = try run(python, [script], input: "{" + members.joined(separator: ", ") + "}")
        try #require(r.status == 0, "sklearn_metrics.py: \(r.output)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Answer.self, from: Data(r.output.utf8))
    }

    static func run(_ python: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python] + arguments
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin
        try p.run()
        // Write from another thread: a request larger than the pipe buffer would otherwise block
        // while python blocks writing its (small) answer only after reading everything.
        let writer = stdin.fileHandleForWriting
        let data = Data((input ?? "").utf8)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            writer.write(data)
            try? writer.close()
            done.signal()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        p.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        return (p.terminationStatus, p.terminationStatus == 0 ? text : text + String(decoding: errors, as: UTF8.self))
    }
}
