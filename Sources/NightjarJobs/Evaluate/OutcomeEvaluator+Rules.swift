import Foundation
import NightjarCore

/// What an outcome rule decided after an evaluation.
public struct OutcomeDecision: Sendable, Equatable {
    public enum Action: String, Sendable { case promote, rollback, none }
    public var rule: String
    public var action: Action
    /// Why, with the figures of every date it looked at: what the alias event records as its reason.
    public var evidence: String
    /// The alias event, when the alias moved.
    public var event: AliasEvent?
}

extension OutcomeEvaluator {
    /// Applies the job's `promote_when` and `rollback_when` to the evaluations stored up to `date`
    /// (nil: all of them, whichever date was evaluated last). `apply: false` decides without moving
    /// the alias (a dry run).
    public func applyRules(through date: String?, apply: Bool = true) throws -> [OutcomeDecision] {
        guard job.promoteWhen != nil || job.rollbackWhen != nil else { return [] }
        guard let ref = job.model.reference else { return [] }
        let registry = ModelRegistry(root: job.registry)
        if registry.exists(name: ref.name, version: ref.selector) {
            throw ScoreError("\(job.file): promote_when/rollback_when move an alias, but the job names version \(ref) of \(ref.name); name an alias (e.g. \(ref.name)@champion)")
        }
        let aliases = ModelAliases(registry: registry, store: store)
        let history = try store.evaluations(job: job.name, from: nil, to: date)
        var decisions: [OutcomeDecision] = []
        if let rule = job.rollbackWhen {
            var d = try rollbackDecision(rule, history: history, model: ref.name, alias: ref.selector, aliases: aliases)
            if apply, d.action == .rollback {
                d.event = try aliases.rollback(model: ref.name, alias: ref.selector, automatic: true, reason: d.evidence)
            }
            decisions.append(d)
            if d.action == .rollback { return decisions }
        }
        if let rule = job.promoteWhen {
            var d = try promoteDecision(rule, history: history, model: ref.name, alias: ref.selector)
            if apply, d.decision.action == .promote, let version = d.candidate {
                d.decision.event = try aliases.promote(model: ref.name, version: version, alias: ref.selector, reason: d.decision.evidence)
            }
            decisions.append(d.decision)
        }
        return decisions
    }

    static func format(_ v: Double) -> String { String(format: "%.4f", v) }

    /// Whether `value` beats `reference` by at least `margin` on `metric`.
    static func better(_ metric: OutcomeMetricName, _ value: Double, than reference: Double, by margin: Double) -> Bool {
        metric.higherIsBetter ? value - reference >= margin : reference - value >= margin
    }

    func promoteDecision(_ rule: JobSpec.OutcomeRule, history: [EvaluationRecord], model: String, alias: String)
        throws -> (decision: OutcomeDecision, candidate: String?) {
        let name = "promote_when \(rule.metric.rawValue)"
        let current = try store.alias(model: model, alias: alias)
        let margin = rule.margin ?? 0
        // Evidence comes from runs that started after the alias last moved: after a promotion or a
        // rollback the old evidence is spent (a rolled-back version is not promoted again on the
        // nights that promoted it the first time).
        let lastMove = try store.aliasEvents(model: model, alias: alias).last.flatMap { Timestamp.parse($0.at) }
        var started: [String: Date?] = [:]
        func fresh(_ r: EvaluationRecord) throws -> Bool {
            guard let lastMove else { return true }
            if started[r.runID] == nil { started[r.runID] = try store.run(id: r.runID).flatMap { Timestamp.parse($0.startedAt) } }
            return (started[r.runID]!).map { $0 > lastMove } ?? false
        }
        // Per candidate version: the dates where both it and the champion were evaluated, newest first.
        let byDate = Dictionary(grouping: try history.filter { try $0.modelName == model && fresh($0) }, by: \.logicalDate)
        typealias Day = (date: String, value: Double?, champion: Double?, rows: Int, championRows: Int, record: EvaluationRecord)
        var candidates: [String: [Day]] = [:]
        for (date, records) in byDate {
            guard let champion = records.first(where: { $0.arm == .champion }) else { continue }
            // A version both shadowing and in a split is judged on the shadow rows: the champion's own
            // rows, a paired comparison (the split's share is a smaller, independent sample).
            var chosen: [String: EvaluationRecord] = [:]
            for r in records where r.arm != .champion && r.modelVersion != current && r.modelVersion != champion.modelVersion {
                if chosen[r.modelVersion] == nil || r.arm == .challenger { chosen[r.modelVersion] = r }
            }
            for (version, r) in chosen {
                candidates[version, default: []].append((date, r.metric(rule.metric), champion.metric(rule.metric), r.rowsMatched, champion.rowsMatched, r))
            }
        }
        var best: (version: String, gain: Double, evidence: String)? = nil
        var notes: [String] = []
        for (version, days) in candidates.sorted(by: { $0.key < $1.key }) {
            let recent = days.sorted { $0.date > $1.date }.prefix(rule.days)
            // The gain on a day: the arm's own comparison with the champion when it measured this
            // metric (paired on the same rows for a shadow, DeLong for AUC), else the two values' difference.
            func gain(_ d: Day) -> Double? {
                let sign = rule.metric.higherIsBetter ? 1.0 : -1.0
                if d.record.differenceMetric == rule.metric.rawValue, let diff = d.record.difference { return sign * diff }
                guard let v = d.value, let c = d.champion else { return nil }
                return sign * (v - c)
            }
            let lines = recent.map { d in
                var line = "\(d.date): \(d.value.map(OutcomeEvaluator.format) ?? "undefined") vs \(d.champion.map(OutcomeEvaluator.format) ?? "undefined") (\(d.rows) vs \(d.championRows) rows)"
                if d.record.differenceMetric == rule.metric.rawValue, let diff = d.record.difference, let lo = d.record.differenceLow, let hi = d.record.differenceHigh {
                    line += String(format: ", %@ difference %+.4f [%+.4f, %+.4f] %@", d.record.arm == .challenger ? "paired" : "independent",
                                   diff, lo, hi, d.record.significant == true ? "significant" : "not significant")
                }
                return line
            }
            let evidence = "\(rule.metric.rawValue) of \(model)@\(version) against the champion: " + lines.joined(separator: "; ")
            guard recent.count == rule.days else {
                notes.append("\(model)@\(version): \(recent.count) of \(rule.days) evaluated day(s)")
                continue
            }
            let ok = recent.allSatisfy { d in
                guard let g = gain(d), d.rows >= rule.minRows, d.championRows >= rule.minRows, g >= margin else { return false }
                if rule.significant, d.record.differenceMetric == rule.metric.rawValue, d.record.significant != true { return false }
                return true
            }
            guard ok else {
                notes.append("\(model)@\(version) not better by \(margin)\(rule.significant ? " (significantly)" : "") with \(rule.minRows)+ rows on every day (\(lines.joined(separator: "; ")))")
                continue
            }
            let mean = recent.reduce(0.0) { $0 + gain($1)! } / Double(recent.count)
            if best == nil || mean > best!.gain { best = (version, mean, evidence) }
        }
        if let best {
            let evidence = "outcome rule promote_when: \(rule.metric.rawValue) better by >= \(margin) on \(rule.days) day(s) with >= \(rule.minRows) rows: \(best.evidence)"
            return (OutcomeDecision(rule: name, action: .promote, evidence: evidence), best.version)
        }
        let why = candidates.isEmpty ? "no challenger evaluated next to the champion since \(model)@\(alias) last moved" : notes.joined(separator: "; ")
        return (OutcomeDecision(rule: name, action: .none, evidence: "not promoted: \(why)"), nil)
    }

    func rollbackDecision(_ rule: JobSpec.OutcomeRule, history: [EvaluationRecord], model: String, alias: String,
                          aliases: ModelAliases) throws -> OutcomeDecision {
        let name = "rollback_when \(rule.metric.rawValue)"
        let events = try store.aliasEvents(model: model, alias: alias)
        guard let last = events.last, last.action == .promote, let previous = last.previousVersion else {
            return OutcomeDecision(rule: name, action: .none, evidence: "no rollback: \(model)@\(alias) was not newly promoted")
        }
        let version = last.version
        // The new champion's evaluated dates, newest first (only runs it scored as champion).
        let mine = history.filter { $0.modelName == model && $0.modelVersion == version && $0.arm == .champion }
            .sorted { $0.logicalDate > $1.logicalDate }
        let recent = Array(mine.prefix(rule.days))
        guard recent.count == rule.days else {
            return OutcomeDecision(rule: name, action: .none, evidence: "no rollback: \(model)@\(version) has \(recent.count) of \(rule.days) evaluated day(s) as champion")
        }
        // The previous version's reference: its own value on the same date (it ran as a challenger),
        // else its mean over its last `days` evaluated dates as champion.
        let previousAsChampion = history.filter { $0.modelName == model && $0.modelVersion == previous && $0.arm == .champion }
            .sorted { $0.logicalDate > $1.logicalDate }.prefix(rule.days).compactMap { $0.metric(rule.metric) }
        let baseline = previousAsChampion.isEmpty ? nil : previousAsChampion.reduce(0, +) / Double(previousAsChampion.count)
        var lines: [String] = []
        var all = true
        for r in recent {
            guard let v = r.metric(rule.metric), r.rowsMatched >= rule.minRows else {
                all = false
                lines.append("\(r.logicalDate): \(r.metric(rule.metric).map(OutcomeEvaluator.format) ?? "undefined") (\(r.rowsMatched) rows, fewer than \(rule.minRows) or undefined)")
                continue
            }
            let sameDay = history.first { $0.logicalDate == r.logicalDate && $0.modelName == model && $0.modelVersion == previous }?.metric(rule.metric)
            let reference = sameDay ?? baseline
            var worse = false
            var because: [String] = []
            if let margin = rule.margin, let reference {
                if OutcomeEvaluator.better(rule.metric, reference, than: v, by: margin) { worse = true }
                because.append("\(previous): \(OutcomeEvaluator.format(reference))\(sameDay == nil ? " (its mean as champion)" : " (same day)")")
            }
            if let limit = rule.limit, rule.metric.higherIsBetter ? v < limit : v > limit {
                worse = true
                because.append("limit \(OutcomeEvaluator.format(limit))")
            }
            all = all && worse
            lines.append("\(r.logicalDate): \(OutcomeEvaluator.format(v)) (\(r.rowsMatched) rows) vs \(because.joined(separator: ", "))")
        }
        let criteria = [rule.margin.map { "worse by >= \($0) than \(previous)" }, rule.limit.map { "past \($0)" }].compactMap { $0 }.joined(separator: " or ")
        let evidence = "outcome rule rollback_when: \(rule.metric.rawValue) of \(model)@\(version) \(criteria) on \(rule.days) day(s): " + lines.joined(separator: "; ")
        return OutcomeDecision(rule: name, action: all ? .rollback : .none, evidence: all ? evidence : "no rollback: " + evidence)
    }
}

extension OutcomeEvaluator {
    /// Rewrites the job's metrics (textfile, Pushgateway) with the latest run's figures and the
    /// latest evaluation's, as a run would; returns the warnings (a metrics failure fails nothing).
    public func exportMetrics() -> [String] {
        guard job.metrics.textfile != nil || job.metrics.pushgateway != nil else { return [] }
        guard let latest = try? store.recentRuns(job: job.name, limit: 1).first else { return [] }
        let metrics = RunExecutor.metrics(for: latest, job: job, store: store)
        var warnings: [String] = []
        if let path = job.metrics.textfile {
            do { try MetricsExporter.writeTextfile(metrics, to: path) } catch { warnings.append("could not write the metrics file \(path): \(error)") }
        }
        if let url = job.metrics.pushgateway {
            do { try MetricsExporter.push(metrics, to: url) } catch { warnings.append("could not push metrics to \(url): \(error)") }
        }
        return warnings
    }
}
