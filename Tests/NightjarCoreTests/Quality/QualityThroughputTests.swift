import Foundation
import Testing
@testable import NightjarCore

/// Rough throughput of the per-chunk quality steps on 1M rows of churn-like input (the scoring
/// input repeated). Off by default: NIGHTJAR_BENCH=1 runs it and prints rows/s.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["NIGHTJAR_BENCH"] == "1", "set NIGHTJAR_BENCH=1"))
struct QualityThroughputTests {
    @Test func checkKeepAndStatisticsOnAMillionRows() throws {
        let (trainHeader, train) = try csvBatch("churn/train_sample.csv")
        var contract = try InputContract.derive(features: churnFeatures, header: trainHeader, sample: train)
        contract.columns[7].unseen = .reject  // region: some rows rejected, String lookups on every row
        var builder = ReferenceProfileBuilder(features: churnFeatures)
        builder.add(try encoded(train, header: trainHeader, features: churnFeatures))
        let reference = builder.build()

        let (header, input) = try csvBatch("churn/score_input.csv")
        let chunkRows = 50_000
        var chunk = TextBatch(columnCount: header.count)
        for i in 0..<chunkRows {
            let r = i % input.rowCount
            for c in 0..<header.count {
                chunk.bytes.append(contentsOf: input.bytes[input.fieldRange(row: r, column: c)])
                chunk.endField()
            }
            chunk.endRow()
        }
        let chunks = 1_000_000 / chunkRows
        let checker = try ContractChecker(contract: contract, header: header)
        let encoder = try FeatureEncoder(features: churnFeatures, header: header)
        var matrix = FeatureMatrix(rows: 0, features: churnFeatures.count)
        var stats = ChunkStatistics(reference: reference)
        var check = Duration.zero, keep = Duration.zero, encode = Duration.zero, add = Duration.zero
        let clock = ContinuousClock()
        var rejected = 0
        for _ in 0..<chunks {
            var result: ContractCheck!
            check += clock.measure { result = checker.check(chunk) }
            rejected += result.rejectedRows
            var kept: TextBatch!
            keep += clock.measure { kept = chunk.keeping(result.keep) }
            try encode += clock.measure { try encoder.encode(kept, into: &matrix) }
            add += clock.measure { stats.add(matrix, predictions: [], stride: 1) }
        }
        func rate(_ d: Duration) -> Int {
            Int(Double(chunks * chunkRows) / (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18))
        }
        print("quality throughput, 1M rows × \(header.count) columns (\(contract.columns.count) rules), \(rejected) rejected: check \(rate(check)) rows/s, keeping \(rate(keep)) rows/s, ChunkStatistics.add \(rate(add)) rows/s (for scale: FeatureEncoder.encode \(rate(encode)) rows/s)")
        #expect(rejected > 0 && stats.rows == chunks * chunkRows - rejected)
    }
}
