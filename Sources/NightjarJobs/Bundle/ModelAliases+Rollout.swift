import Foundation

extension ModelAliases {
    /// What a canary promotion requires of a challenger's last shadow runs.
    public struct CanaryBounds: Sendable {
        /// How many of the latest succeeded shadow runs are examined; all must meet every bound.
        public var runs: Int
        public var maxFlipRate: Double?
        public var maxPredictionPSI: Double?
        public var maxMeanAbsDiff: Double?
        public var minCorrelation: Double?

        public init(runs: Int, maxFlipRate: Double? = nil, maxPredictionPSI: Double? = nil, maxMeanAbsDiff: Double? = nil, minCorrelation: Double? = nil) {
            self.runs = runs
            self.maxFlipRate = maxFlipRate
            self.maxPredictionPSI = maxPredictionPSI
            self.maxMeanAbsDiff = maxMeanAbsDiff
            self.minCorrelation = minCorrelation
        }
    }

    /// Checks the version's last shadow comparisons against the bounds.
    /// - Returns: the comparisons examined, newest first.
    /// - Throws: naming the bound that failed, the run and the value, or how many shadow runs are missing.
    public func checkCanary(model: String, version: String, bounds: CanaryBounds) throws -> [ShadowComparisonRecord] {
        let history = try store.shadowHistory(model: model, version: version, limit: bounds.runs)
        guard history.count >= bounds.runs else {
            throw ScoreError("not promoted: \(model)@\(version) has \(history.count) succeeded shadow run(s), \(bounds.runs) needed (add it to a job's challengers: and let it run)", kind: .qualityGate)
        }
        for c in history {
            let at = "run \(c.runID) (\(c.job), \(c.logicalDate))"
            if let b = bounds.maxFlipRate, c.flipRate > b {
                throw ScoreError("not promoted: flip rate \(String(format: "%.4f", c.flipRate)) > --max-flip-rate \(b) in \(at)", kind: .qualityGate)
            }
            if let b = bounds.maxPredictionPSI, c.predictionPSI > b {
                throw ScoreError("not promoted: prediction PSI \(String(format: "%.4f", c.predictionPSI)) > --max-prediction-psi \(b) in \(at)", kind: .qualityGate)
            }
            if let b = bounds.maxMeanAbsDiff, c.meanAbsDiff > b {
                throw ScoreError("not promoted: mean absolute difference \(String(format: "%.5f", c.meanAbsDiff)) > --max-mean-abs-diff \(b) in \(at)", kind: .qualityGate)
            }
            if let b = bounds.minCorrelation, (c.correlation ?? -1) < b {
                throw ScoreError("not promoted: correlation \(c.correlation.map { String(format: "%.4f", $0) } ?? "undefined") < --min-correlation \(b) in \(at)", kind: .qualityGate)
            }
        }
        return history
    }

    /// After a run: when the alias's current version was newly promoted (still within its probation
    /// runs) and the run broke a bound of the policy, the alias returns to the previous version.
    /// - Returns: the rollback event, when there was one.
    @discardableResult
    public func applyRollbackPolicy(_ policy: JobSpec.RollbackPolicy, run r: RunRecord, job: String) throws -> AliasEvent? {
        guard let alias = r.modelAlias, let model = r.modelName, let version = r.modelVersion,
              try store.alias(model: model, alias: alias) == version else { return nil }  // moved already
        let events = try store.aliasEvents(model: model, alias: alias)
        guard let last = events.last, last.action == .promote, last.version == version,
              let promotedAt = Timestamp.parse(last.at) else { return nil }  // not newly promoted
        let since = try store.recentRuns(job: job, limit: 1000).filter {
            $0.modelVersion == version && (Timestamp.parse($0.startedAt).map { $0 >= promotedAt } ?? false)
        }
        guard since.count <= policy.probationRuns else { return nil }
        var broken: [String] = []
        if let b = policy.maxRejectFraction, r.rowsRead > 0, Double(r.rowsRejected) / Double(r.rowsRead) > b {
            broken.append(String(format: "%.2f%% of rows rejected > max_reject_fraction %g%%", Double(r.rowsRejected) / Double(r.rowsRead) * 100, b * 100))
        }
        if let b = policy.maxPredictionPSI, let psi = r.predictionPSI, psi > b {
            broken.append(String(format: "prediction PSI %.4f > max_prediction_psi %g", psi, b))
        }
        if let b = policy.maxFailures {
            // Newest first: failed runs in a row, each with its attempts (a date retried is one run record).
            let failures = since.prefix { $0.status == .failed }.reduce(0) { $0 + max(1, $1.attempt) }
            if failures >= b { broken.append("\(failures) failed run(s) in a row ≥ max_failures \(b)") }
        }
        guard !broken.isEmpty else { return nil }
        return try rollback(model: model, alias: alias, automatic: true,
                            reason: "run \(r.runID) of \(job): \(broken.joined(separator: "; "))", runID: r.runID)
    }
}
