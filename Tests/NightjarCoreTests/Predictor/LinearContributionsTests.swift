import Foundation
import Testing
@testable import NightjarCore

/// Linear contributions on hand-made models: each input's share is Σ w·(z − μ) over the columns
/// made from it (a scaled number, a one-hot category), a constant column belongs to the bias, a
/// binary classifier explains its last score, missing values stay missing; a step that mixes inputs
/// row-wise is refused, naming them.
@Suite struct LinearContributionsTests {
    static let features = [ModelFeature(name: "age", kind: .numeric), ModelFeature(name: "plan", kind: .text(vocabulary: ["basic", "pro"]))]

    /// age → (age − 10) · 0.5 (imputed 30 when missing); plan → one-hot of its two codes; a constant 1.
    static let plan = FeaturePlan(inputCount: 2, steps: [
        .load(input: 0, float: true, into: 0),
        .map(from: 0, operation: .impute(replaced: .nan, value: 30), float: true, into: 1),
        .map(from: 1, operation: .scale(offset: 10, scale: 0.5), float: true, into: 2),
        .code(input: 1, into: 3),
        .lookup(from: 3, table: [1, 0, 0], into: 4),
        .lookup(from: 3, table: [0, 1, 0], into: 5),
        .constant(1, into: 6),
    ], scratchColumns: 7, outputs: [2, 4, 5, 6])

    static func model(_ linear: LinearModel, task: ModelTask, plan: FeaturePlan = plan) -> ScoringModel {
        ScoringModel(format: .onnx, objective: "test", task: task, features: features, plan: plan,
                     estimator: .linear(linear), link: .identity)
    }

    static func contributions(_ model: ScoringModel, _ rows: [[Double]]) throws -> [[Double]] {
        var matrix = FeatureMatrix(rows: rows.count, features: 2)
        for (r, row) in rows.enumerated() { matrix[r, 0] = row[0]; matrix[r, 1] = row[1] }
        let predictor = Predictor(model: model, includeMargin: true, threads: 1, contributions: true)
        var out: [Double] = []
        predictor.score(matrix, into: &out)
        let width = predictor.columns.count
        let first = try #require(predictor.columns.firstIndex { if case .contribution = $0.role { return true }; return false })
        return (0..<rows.count).map { Array(out[$0 * width + first ..< $0 * width + width]) }
    }

    @Test func eachInputGetsTheSumOfItsColumns() throws {
        let linear = LinearModel(coefficients: [2, -1, 3, 5], intercepts: [0.5], featureCount: 4)
        var model = Self.model(linear, task: .regression)
        // Training: ages 10 and 30 (z 0 and 10), plans basic, pro, pro.
        var train = FeatureMatrix(rows: 3, features: 2)
        for (r, (a, p)) in [(10.0, 0.0), (30.0, 1.0), (Double.nan, 1.0)].enumerated() { train[r, 0] = a; train[r, 1] = p }
        let means = LinearContributions.means(of: model, matrix: train)
        let want: [Double] = [20.0 / 3, 1.0 / 3, 2.0 / 3, 1]    // the missing age imputed 30: z = 10
        #expect(means == want)
        model.linearReference = means
        #expect(model.contributionsUnavailable == nil)
        #expect(model.contributionColumns().map(\.name) == ["contrib_age", "contrib_plan", "contrib_bias"])
        let phi = try Self.contributions(model, [[14, 1], [.nan, 0], [20, 2]])
        let bias = 0.5 + 2 * means[0] - 1 * means[1] + 3 * means[2] + 5
        // age 14: z = 2; plan pro: one-hot (0, 1).
        #expect(abs(phi[0][0] - 2 * (2 - means[0])) < 1e-12)
        #expect(abs(phi[0][1] - (-1 * (0 - means[1]) + 3 * (1 - means[2]))) < 1e-12)
        #expect(abs(phi[0][2] - bias) < 1e-12)
        // A missing age is imputed as in scoring (z = 10); an unknown plan code has no one-hot.
        #expect(abs(phi[1][0] - 2 * (10 - means[0])) < 1e-12)
        #expect(abs(phi[2][1] - (-1 * (0 - means[1]) + 3 * (0 - means[2]))) < 1e-12)
        for row in phi { #expect(abs(row.reduce(0, +) - (row[2] + row[0] + row[1])) < 1e-12) }
    }

    @Test func aBinaryClassifierExplainsItsPositiveClass() throws {
        // skl2onnx's binary LogisticRegression: [-w, w], [-b, b].
        let w: [Float] = [2, -1, 3, 0]
        let linear = LinearModel(coefficients: w.map { -$0 } + w, intercepts: [-0.25, 0.25], featureCount: 4)
        var model = Self.model(linear, task: .binary)
        model.linearReference = [1, 0.5, 0.5, 1]
        #expect(model.contributionGroups == 1 && LinearContributions.explainedTargets(model) == [1])
        let phi = try Self.contributions(model, [[12, 0]])[0]
        let want: [Double] = [0, -1 * (1 - 0.5) + 3 * (0 - 0.5), 0.25 + 2 * 1 - 0.5 + 1.5]
        #expect(phi == want)
        // A three-class model explains every class.
        let three = LinearModel(coefficients: Array(repeating: 1, count: 12), intercepts: [0, 1, 2], featureCount: 4)
        var multi = Self.model(three, task: .multiclass(classes: 3))
        multi.linearReference = [0, 0, 0, 0]
        #expect(multi.contributionGroups == 3)
        #expect(multi.contributionColumns().map(\.name).prefix(4) == ["contrib_0_age", "contrib_0_plan", "contrib_0_bias", "contrib_1_age"])
    }

    @Test func stepsThatMixInputsAreRefused() {
        let mixed = FeaturePlan(inputCount: 2, steps: [
            .load(input: 0, float: true, into: 0),
            .load(input: 1, float: true, into: 1),
            .normalize(from: [0, 1], norm: .l2, into: [2, 3]),
        ], scratchColumns: 4, outputs: [2, 3])
        #expect(mixed.inputSources() == [[0, 1], [0, 1]])
        var model = Self.model(LinearModel(coefficients: [1, 1], intercepts: [0], featureCount: 2), task: .regression, plan: mixed)
        model.linearReference = [0, 0]
        let why = model.contributionsUnavailable
        #expect(why?.contains("several input columns (age, plan)") == true, "\(why ?? "nil")")
        // A projection too; and a model without its means says where they come from.
        let projected = FeaturePlan(inputCount: 2, steps: [
            .load(input: 0, float: true, into: 0),
            .load(input: 1, float: true, into: 1),
            .linear(from: [0, 1], weights: [1, 2], bias: [0], into: [2]),
        ], scratchColumns: 3, outputs: [2, 0])
        #expect(projected.inputSources() == [[0, 1], [0]])
        var plain = Self.model(LinearModel(coefficients: [1, 2, 3, 4], intercepts: [0], featureCount: 4), task: .regression)
        #expect(plain.contributionsUnavailable?.contains("training means") == true)
        plain.linearReference = [0, 0]
        #expect(plain.contributionsUnavailable?.contains("reference means are for 2 features") == true)
    }
}
