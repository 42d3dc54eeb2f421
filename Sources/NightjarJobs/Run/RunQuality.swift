import Foundation
import NightjarCore
import NightjarIO

/// What a bundle adds to a run: every chunk checked against the input contract (rows that break
/// it go to `nightjar_rejects`, unscored), statistics of every scored chunk committed with its
/// checkpoint, and at the end the run's drift against the training sample. A bare model file has
/// none of it.
final class RunQuality {
    let contract: InputContract?
    /// The training sample's statistics, its prediction column re-indexed to this run's output columns.
    let reference: ReferenceProfile?
    let job: JobSpec
    /// The reject fraction is checked once this many rows were read (and always at the end), so a
    /// few early rejects in a small first chunk do not stop a run.
    static let rejectCheckMinimumRows = 1000
    /// A column entirely empty in the first chunk fails the run when the training sample makes that
    /// this unlikely by chance: (training null rate)^rows below this.
    static let allNullProbability = 1e-6

    init(bundle: ModelBundle?, outputColumns: [OutputColumn], job: JobSpec) throws {
        self.job = job
        guard let bundle else {
            contract = nil
            reference = nil
            return
        }
        contract = try bundle.contract()
        var reference = try bundle.reference()
        if let p = reference.prediction {
            if let index = outputColumns.firstIndex(where: { $0.name == p.column }) {
                reference.prediction!.columnIndex = index
            } else {
                reference.prediction = nil  // the job does not output the profiled column
            }
        }
        self.reference = reference
    }

    // MARK: Reading thread

    /// The contract bound to a source header.
    func checker(header: [String], file: String) throws -> ContractChecker? {
        guard let contract else { return nil }
        do {
            return try ContractChecker(contract: contract, header: header)
        } catch {
            throw InputError(path: file, line: 1, message: error.description)
        }
    }

    /// Rows of a chunk that broke the contract, taken out of the batch.
    struct Screened {
        var rejects: [RejectRecord] = []
        var rejectedRows = 0
    }

    /// Checks `batch` and removes the rows that break the contract.
    /// - Parameters:
    ///   - rowsBefore: rows of the run's input read before this chunk (numbers the rejects).
    ///   - firstChunk: the first chunk of the run: a column entirely empty there fails the run.
    func screen(_ batch: inout TextBatch, checker: ContractChecker, keyColumns: [Int], rowsBefore: Int, firstChunk: Bool,
                runID: String, shard: Int, location: (Int) -> (file: String, line: Int?)) throws -> Screened {
        let check = checker.check(batch)
        if firstChunk, !check.allNullColumns.isEmpty {
            for column in check.allNullColumns {
                let rate = reference?.features.first { $0.name == column }.map { Double($0.nulls) / Double(max(1, $0.count + $0.nulls)) } ?? 0
                if pow(rate, Double(batch.rowCount)) < RunQuality.allNullProbability {
                    let (file, _) = location(0)
                    throw InputError(path: file, columnName: column, message: "every one of the first \(batch.rowCount) rows is empty (\(String(format: "%.1f", rate * 100))% were empty in training); the column went null upstream — fix the source, or mark it nullable in a new bundle's contract")
                }
            }
        }
        guard check.rejectedRows > 0 else { return Screened() }
        var screened = Screened(rejects: [], rejectedRows: check.rejectedRows)
        screened.rejects.reserveCapacity(check.violations.count)
        for v in check.violations {
            let key = keyColumns.isEmpty
                ? { let (f, l) = location(v.row); return "\(f):\(l.map(String.init) ?? "?")" }()
                : keyColumns.map { batch.string(row: v.row, column: $0) }.joined(separator: ",")
            screened.rejects.append(RejectRecord(runID: runID, shard: shard, chunk: 0, rowNumber: rowsBefore + v.row + 1, key: key,
                                                 column: v.column, value: String(v.value.prefix(200)), reason: v.reason.rawValue))
        }
        batch = batch.keeping(check.keep)
        return screened
    }

    // MARK: Scoring thread

    /// What a chunk's checkpoint carries (JSON): its statistics against the reference, and each
    /// shadow challenger's comparison with the champion.
    struct ChunkStats: Codable {
        var drift: ChunkStatistics?
        var shadows: [ShadowComparison]?
    }

    /// A shadow challenger as the run's comparisons name it.
    struct ChallengerInfo {
        var reference: String
        var name: String
        var version: String
    }

    /// The chunk's statistics as JSON, stored with its checkpoint.
    func statistics(_ matrix: FeatureMatrix, predictions: [Double], stride: Int, shadows: [ShadowComparison] = []) throws -> String? {
        guard reference != nil || !shadows.isEmpty else { return nil }
        var stats = ChunkStats(drift: nil, shadows: shadows.isEmpty ? nil : shadows)
        if let reference {
            var s = ChunkStatistics(reference: reference)
            s.add(matrix, predictions: predictions, stride: stride)
            stats.drift = s
        }
        return String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
    }

    /// Stops the run when too many rows broke the contract.
    func checkRejects(rejected: Int, read: Int, final: Bool, store: RunStore, runID: String) throws {
        guard contract != nil, rejected > 0, read > 0, final || read >= RunQuality.rejectCheckMinimumRows else { return }
        let fraction = Double(rejected) / Double(read)
        guard fraction > job.maxRejectFraction else { return }
        let top = (try? store.rejectCounts(runID: runID).prefix(5).map { "\($0.column) \($0.reason) ×\($0.count)" }.joined(separator: ", ")) ?? ""
        throw ScoreError("run \(runID) stopped: \(String(format: "%.2f", fraction * 100))% of rows broke the input contract (\(rejected) of \(read); max_reject_fraction \(job.maxRejectFraction * 100)%); top reasons: \(top); the rows are in nightjar_rejects (nightjar report \(runID))", kind: .qualityGate)
    }

    // MARK: End of run

    /// Each challenger's comparisons merged over the run's chunks.
    static func comparisons(_ stats: [ChunkStats], challengers: [ChallengerInfo], record: RunRecord) -> [ShadowComparisonRecord] {
        challengers.enumerated().compactMap { i, c in
            let parts = stats.compactMap { $0.shadows?.count ?? 0 > i ? $0.shadows![i] : nil }
            guard var total = parts.first else { return nil }
            for p in parts.dropFirst() { total.merge(p) }
            let perRow = { (seconds: Double) in total.rows > 0 ? seconds / Double(total.rows) * 1e6 : 0 }
            return ShadowComparisonRecord(
                runID: record.runID, job: record.job, logicalDate: record.logicalDate, challenger: c.reference, modelName: c.name,
                modelVersion: c.version, championVersion: record.modelVersion ?? "", rows: total.rows,
                meanAbsDiff: total.meanAbsoluteDifference, maxAbsDiff: total.maxAbsoluteDifference, correlation: total.correlation,
                flipRate: total.flipRate, predictionPSI: total.predictionPSI, championMicrosPerRow: perRow(total.championSeconds),
                challengerMicrosPerRow: perRow(total.challengerSeconds))
        }
    }

    /// Merges the chunks' statistics into the run's drift, stores it, and fails the run when a
    /// feature or the predictions drifted beyond the job's `fail` threshold.
    func finish(_ record: inout RunRecord, chunks: [ChunkRecord], store: RunStore, challengers: [ChallengerInfo] = []) throws {
        record.rowsRejected = chunks.reduce(0) { $0 + $1.rowsRejected }
        record.rowsScored = record.rowsRead - record.rowsRejected
        record.rowsWritten = record.rowsScored
        let decoder = JSONDecoder()
        let stats = try chunks.compactMap { c in try c.stats.map { try decoder.decode(ChunkStats.self, from: Data($0.utf8)) } }
        if !challengers.isEmpty {
            try store.replaceShadowComparisons(runID: record.runID, RunQuality.comparisons(stats, challengers: challengers, record: record))
        }
        try checkRejects(rejected: record.rowsRejected, read: record.rowsRead, final: true, store: store, runID: record.runID)
        guard let reference else { return }
        var merged = ChunkStatistics(reference: reference)
        for s in stats {
            if let drift = s.drift { merged.merge(drift) }
        }
        let (features, predictionPSI) = merged.drift(against: reference)
        let featureStats = features.map {
            FeatureStatRecord(runID: record.runID, feature: $0.name, rows: $0.rows, nullRate: $0.nullRate, mean: $0.mean,
                              min: $0.min, max: $0.max, psi: $0.psi, status: job.drift.status($0.psi, feature: $0.name))
        }
        try store.replaceFeatureStats(runID: record.runID, featureStats)
        record.predictionPSI = predictionPSI
        record.stats = String(decoding: try JSONEncoder().encode(merged), as: UTF8.self)
        var failing = featureStats.filter { $0.status == .fail }.map { "\($0.feature) PSI \(String(format: "%.3f", $0.psi)) ≥ \(job.drift.thresholds(for: $0.feature).fail)" }
        var warned = featureStats.contains { $0.status == .warn }
        if let p = predictionPSI {
            switch job.drift.status(p, feature: "prediction") {
            case .fail: failing.append("predictions PSI \(String(format: "%.3f", p)) ≥ \(job.drift.thresholds(for: "prediction").fail)")
            case .warn: warned = true
            case .ok: break
            }
        }
        record.driftStatus = !failing.isEmpty ? .fail : warned ? .warn : .ok
        if !failing.isEmpty {
            throw ScoreError("run \(record.runID) failed on drift: \(failing.joined(separator: ", ")); \(job.writeMode == .replacePartition ? "the rows were not published" : "the rows were appended") (nightjar runs show \(record.runID))", kind: .qualityGate)
        }
    }
}
