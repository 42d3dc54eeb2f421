import Foundation
import Testing
@testable import NightjarCore

@Suite struct ChunkStatisticsTests {
    /// The LightGBM churn model, its training sample encoded and scored, and the profile of that sample.
    struct Churn {
        let model: ScoringModel
        let predictor: Predictor
        let train: FeatureMatrix
        let trainScores: [Double]
        let reference: ReferenceProfile

        init() throws {
            model = try ModelLoader.load(path: fixture("churn/churn_lgbm.txt"))
            predictor = Predictor(model: model, includeMargin: false, threads: 1)
            let (header, batch) = try csvBatch("churn/train_sample.csv")
            train = try encoded(batch, header: header, features: model.features)
            trainScores = Self.score(predictor, train)
            var builder = ReferenceProfileBuilder(features: model.features)
            builder.add(train)
            builder.addPredictions(trainScores, stride: predictor.columns.count, column: 0, name: predictor.columns[0].name)
            reference = builder.build()
        }

        static func score(_ predictor: Predictor, _ m: FeatureMatrix) -> [Double] {
            var out: [Double] = []
            predictor.score(m, into: &out)
            return out
        }

        func statistics(_ m: FeatureMatrix) -> ChunkStatistics {
            var s = ChunkStatistics(reference: reference)
            s.add(m, predictions: Self.score(predictor, m), stride: predictor.columns.count)
            return s
        }
    }

    @Test func addAndMergeEqualAddOfTheConcatenation() throws {
        let churn = try Churn()
        let (header, batch) = try csvBatch("churn/score_input.csv")
        let input = try encoded(batch, header: header, features: churn.model.features)
        let whole = churn.statistics(input)
        var parts = churn.statistics(rows(input, 0..<300))
        parts.merge(churn.statistics(rows(input, 300..<700)))
        parts.merge(churn.statistics(rows(input, 700..<1000)))

        #expect(whole.rows == 1000 && parts.rows == 1000)
        #expect(whole.prediction == parts.prediction && whole.prediction?.reduce(0, +) == 1000)
        #expect(abs(whole.predictionSum - parts.predictionSum) < 1e-9)
        for (a, b) in zip(whole.features, parts.features) {
            #expect(a.count == b.count)
            #expect(a.nulls == b.nulls)
            #expect(a.counts == b.counts)
            #expect(a.min == b.min && a.max == b.max)
            #expect(abs(a.sum - b.sum) <= 1e-12 * Swift.max(1, abs(a.sum)))  // sums differ only by rounding
            #expect(a.counts.reduce(0, +) == a.count)
        }
        #expect(whole.features[1].nulls == 47)  // income's empty cells in the input

        // Integer values sum exactly: then the two are equal as values.
        var builder = ReferenceProfileBuilder(features: [ModelFeature(name: "n", kind: .numeric), ModelFeature(name: "c", kind: .categorical(categories: ["a", "b"]))], bins: 3)
        let m = matrix((0..<30).map { (i: Int) -> [Double] in
            let code: Double = i % 5 == 0 ? .nan : Double(i % 3)
            return [Double(i % 7), code]
        })
        builder.add(m)
        let reference = builder.build()
        var one = ChunkStatistics(reference: reference)
        one.add(m, predictions: [], stride: 1)
        var two = ChunkStatistics(reference: reference)
        two.add(rows(m, 0..<11), predictions: [], stride: 1)
        var rest = ChunkStatistics(reference: reference)
        rest.add(rows(m, 11..<30), predictions: [], stride: 1)
        two.merge(rest)
        #expect(one == two)
        #expect(one.features[1].counts == [8, 8, 8] && one.features[1].nulls == 6)  // code 2 is "other"
        #expect(one.features[0].counts == reference.features[0].counts)
    }

    @Test func driftOfTheSampleAgainstItselfIsZero() throws {
        let churn = try Churn()
        let stats = churn.statistics(churn.train)
        let (features, predictionPSI) = stats.drift(against: churn.reference)
        #expect(features.map(\.name) == churn.model.features.map(\.name))
        for (d, ref) in zip(features, churn.reference.features) {
            #expect(abs(d.psi) < 1e-12)
            #expect(d.rows == 6000)
            #expect(d.min == ref.min && d.max == ref.max)
            if let mean = ref.mean { #expect(abs(d.mean! - mean) < 1e-9 * Swift.max(1, abs(mean))) }
        }
        #expect(abs(predictionPSI! - 0) < 1e-12)
        #expect(features[1].nullRate == 397.0 / 6000)
        #expect(features[7].mean == nil)  // categorical
    }

    @Test func shiftedSampleDrifts() throws {
        let churn = try Churn()
        var shifted = churn.train
        for r in 0..<shifted.rows {
            shifted[r, 0] += 15           // everyone 15 years older
            shifted[r, 3] = shifted[r, 3] * 1.5 + 2000  // balances up
        }
        let (features, predictionPSI) = churn.statistics(shifted).drift(against: churn.reference)
        #expect(features[0].psi > 0.1 && features[3].psi > 0.1)
        #expect(features[2].psi < 1e-12)  // tenure untouched
        #expect(abs(features[0].mean! - (churn.reference.features[0].mean! + 15)) < 1e-9)
        #expect(predictionPSI! > 0)

        // The real scoring input: a fresh sample of the same population, plus an unseen region.
        let (header, batch) = try csvBatch("churn/score_input.csv")
        let input = try encoded(batch, header: header, features: churn.model.features)
        let drift = churn.statistics(input).drift(against: churn.reference).features
        #expect(drift[2].psi < 0.1 && drift[0].psi < 0.1)
        let region = header.firstIndex(of: "region")!
        let central = (0..<batch.rowCount).filter { batch.string(row: $0, column: region) == "central" }.count
        #expect(drift[7].nullRate == Double(central) / 1000)  // unseen values are encoded as missing
        #expect(drift[7].psi > 0)
    }

    @Test func jsonRoundTripAndMergingDecodedStatistics() throws {
        let churn = try Churn()
        let stats = churn.statistics(rows(churn.train, 0..<500))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(stats)
        let decoded = try JSONDecoder().decode(ChunkStatistics.self, from: data)
        #expect(decoded == stats)
        #expect(String(decoding: data, as: UTF8.self).contains(#""prediction_sum":"#))
        #expect(!String(decoding: data, as: UTF8.self).contains("edges"))  // the bins stay in the reference

        // A run resumed from stored chunk statistics continues adding rows.
        var run = ChunkStatistics(reference: churn.reference)
        run.merge(decoded)
        run.add(rows(churn.train, 500..<6000), predictions: Array(churn.trainScores[(500 * churn.predictor.columns.count)...]), stride: churn.predictor.columns.count)
        #expect(run.prediction == churn.reference.prediction?.counts)
        #expect(run.features.map(\.counts) == churn.reference.features.map(\.counts))

        let drift = try encoder.encode(run.drift(against: churn.reference).features)
        #expect(String(decoding: drift, as: UTF8.self).contains(#""null_rate":"#))
    }
}
