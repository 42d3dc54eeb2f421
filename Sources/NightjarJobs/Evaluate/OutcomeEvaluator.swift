import Foundation
import NightjarCore
import NightjarIO

/// `nightjar evaluate`: joins a date's outcomes to the rows the job published for it, by the job's
/// key, and measures every model version and arm that scored them — the champion, each shadow
/// challenger (on the same rows, compared pairwise with the champion) and a split's challenger (on
/// its own share of the keys, compared as an independent sample).
public struct OutcomeEvaluator {
    /// Where the labels come from: a CSV file (`{{ ds }}` rendered per date) or a PostgreSQL query.
    public enum LabelSource: Sendable, Equatable {
        case csv(path: String)
        case postgres(query: String, settings: JobSpec.PostgresSettings)

        /// `postgres:SELECT …` (`{{ ds }}` becomes the literal `'YYYY-MM-DD'`) or a path (relative to
        /// the working directory; `{{ ds }}` is YYYY-MM-DD); the PostgreSQL
        /// connection is `dsnEnv`, else the job's source's, sink's or run store's, else $NIGHTJAR_PG_DSN.
        public static func parse(_ text: String, job: JobSpec, dsnEnv: String?) -> LabelSource {
            guard text.hasPrefix("postgres:") else { return .csv(path: text) }
            let query = String(text.dropFirst("postgres:".count)).trimmingCharacters(in: .whitespaces)
            if let dsnEnv { return .postgres(query: query, settings: .init(dsnEnv: dsnEnv, service: nil)) }
            var settings: JobSpec.PostgresSettings? = nil
            if case .postgres(let s, _, _) = job.source { settings = s }
            if settings == nil, case .postgres(let s, _) = job.sink { settings = s }
            if settings == nil { settings = job.statePostgres }
            return .postgres(query: query, settings: settings ?? .init(dsnEnv: "NIGHTJAR_PG_DSN", service: nil))
        }

        func rendered(_ date: LogicalDate) -> LabelSource {
            switch self {
            case .csv(let path): .csv(path: DateTemplate.render(path, date: date))
            case .postgres(let query, let settings): .postgres(query: DateTemplate.renderSQL(query, date: date), settings: settings)
            }
        }
    }

    /// The result of one date.
    public struct DateResult: Sendable {
        public var date: String
        /// nil when the date has no labels yet ("not yet evaluated").
        public var records: [EvaluationRecord]
        public var note: String?
    }

    public let job: JobSpec
    public let labels: LabelSource
    public let labelColumn: String
    public let store: RunStore

    public init(job: JobSpec, labels: LabelSource, labelColumn: String, store: RunStore) {
        self.job = job
        self.labels = labels
        self.labelColumn = labelColumn
        self.store = store
    }

    /// Evaluates one date and stores the result (replacing an earlier evaluation of the date).
    /// `required`: a missing labels file is an error (one date asked for) rather than "not yet evaluated".
    public func evaluate(date: LogicalDate, required: Bool = true) throws -> DateResult {
        let day = date.description
        let scores = try PublishedScores.read(job: job, date: day)
        guard scores.groups.contains(where: { !$0.shadow }) else {
            let why = try store.latestRun(job: job.name, date: day).map { "its latest run \($0.runID) is \($0.status.rawValue)" } ?? "it has no run"
            if required {
                throw ScoreError("\(job.name) has published nothing for \(day) (\(why)); run it first: nightjar run \(job.file) --date \(day)")
            }
            return DateResult(date: day, records: [], note: "not scored (\(why))")
        }
        // The champion's version of each run that published rows (the others in its table are a split's).
        var championVersions: [String: String] = [:]
        for g in scores.groups where !g.shadow && championVersions[g.runID] == nil {
            championVersions[g.runID] = try store.run(id: g.runID)?.modelVersion ?? ""
        }
        let source = labels.rendered(date)
        let outcomes: OutcomeLabels
        switch source {
        case .csv(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                if required { throw ScoreError("labels file \(path) does not exist", kind: .temporary) }
                return DateResult(date: day, records: [], note: "not yet evaluated (no labels: \(path) does not exist)")
            }
            outcomes = try OutcomeLabels.readCSV(path: path, keys: job.keys, column: labelColumn, kind: scores.task.labelKind)
        case .postgres(let query, let settings):
            outcomes = try OutcomeLabels.readPostgres(conninfo: try settings.conninfo(job: job.name), name: "labels \(settings.description)",
                                                      query: query, keys: job.keys, column: labelColumn, kind: scores.task.labelKind)
        }
        let records = measure(scores: scores, outcomes: outcomes, championVersions: championVersions, date: day)
        try store.replaceEvaluations(job: job.name, date: day, records)
        let note = records.allSatisfy({ $0.rowsMatched == 0 }) ? "not yet evaluated (no label matches a scored key)" : nil
        return DateResult(date: day, records: records, note: note)
    }

    /// The evaluation records of one date's scores and labels (pure: nothing stored).
    /// `championVersions`: the champion's version in each run that published rows, by run id.
    public func measure(scores: PublishedScores, outcomes: OutcomeLabels, championVersions: [String: String], date: String) -> [EvaluationRecord] {
        let evaluatedAt = Timestamp.now()
        // Keys scored in the output table (champion and split): labels of other keys were never scored.
        var scoredKeys = Set<String>()
        for g in scores.groups where !g.shadow { scoredKeys.formUnion(g.keys) }
        let unscored = outcomes.byKey.keys.reduce(0) { $0 + (scoredKeys.contains($1) ? 0 : 1) }

        var measured: [(record: EvaluationRecord, group: PublishedScores.Group, matched: [Int])] = []
        for g in scores.groups {
            let arm: EvaluationRecord.Arm = g.shadow ? .challenger : (g.modelVersion == championVersions[g.runID] ? .champion : .split)
            var r = EvaluationRecord(job: job.name, logicalDate: date, modelName: g.modelName, modelVersion: g.modelVersion, arm: arm,
                                     runID: g.runID, evaluatedAt: evaluatedAt, task: scores.task.name,
                                     labelsSource: outcomes.source, labelColumn: outcomes.column)
            r.labelsRead = outcomes.rowsRead; r.labelsMissing = outcomes.missing; r.labelsDuplicate = outcomes.duplicate
            r.labelsConflicting = outcomes.conflicting; r.labelsUnscored = unscored
            r.rowsScored = g.keys.count
            var matched: [Int] = []
            for (i, key) in g.keys.enumerated() where outcomes.byKey[key] != nil { matched.append(i) }
            r.rowsMatched = matched.count
            r.rowsUnlabelled = g.keys.count - matched.count
            if !matched.isEmpty { OutcomeEvaluator.fill(&r, task: scores.task, group: g, rows: matched, labels: outcomes, threshold: job.threshold) }
            measured.append((r, g, matched))
        }
        // Each challenger and split arm against the champion.
        if let champion = measured.first(where: { $0.record.arm == .champion }), !champion.matched.isEmpty {
            for i in measured.indices where measured[i].record.arm != .champion && !measured[i].matched.isEmpty {
                OutcomeEvaluator.compare(&measured[i].record, measured[i].group, measured[i].matched,
                                         with: champion.group, champion.matched, task: scores.task, labels: outcomes)
            }
        }
        let order: [EvaluationRecord.Arm: Int] = [.champion: 0, .split: 1, .challenger: 2]
        return measured.map(\.record).sorted {
            (order[$0.arm]!, $0.modelName, $0.modelVersion) < (order[$1.arm]!, $1.modelName, $1.modelVersion)
        }
    }

    /// Labels and predictions of the matched rows of a group.
    static func columns(_ g: PublishedScores.Group, _ rows: [Int], task: PublishedScores.Task, labels: OutcomeLabels) -> (y: [Double], p: [Double]) {
        let w = task.columns.count
        var y: [Double] = [], p: [Double] = []
        y.reserveCapacity(rows.count)
        p.reserveCapacity(rows.count * w)
        for i in rows {
            y.append(labels.byKey[g.keys[i]]!)
            p.append(contentsOf: g.values[(i * w)..<(i * w + w)])
        }
        return (y, p)
    }

    static func fill(_ r: inout EvaluationRecord, task: PublishedScores.Task, group g: PublishedScores.Group, rows: [Int],
                     labels: OutcomeLabels, threshold: Double) {
        let (y, p) = columns(g, rows, task: task, labels: labels)
        switch task {
        case .binary:
            let m = BinaryOutcomeMetrics(labels: y, probabilities: p, threshold: threshold)
            r.threshold = threshold
            r.positives = m.positives
            r.auc = m.auc; r.logLoss = m.logLoss; r.brier = m.brier; r.ece = m.ece
            r.accuracy = m.accuracy; r.precision = m.precision; r.recall = m.recall
            r.calibration = m.calibration
        case .multiclass(let k):
            let m = MulticlassOutcomeMetrics(labels: y.map { Int($0) }, probabilities: p, classes: k)
            r.logLoss = m.logLoss; r.accuracy = m.accuracy; r.auc = m.macroAUC
        case .regression:
            let m = RegressionOutcomeMetrics(labels: y, predictions: p)
            r.rmse = m.rmse; r.mae = m.mae; r.r2 = m.r2
        }
    }

    /// The arm's difference from the champion (arm − champion) with a 95% interval: AUC by DeLong
    /// (binary), else the mean per-row log loss (multi-class) or squared error (regression).
    /// Shadow challengers scored the champion's rows: paired on the keys both have. A split's
    /// challenger scored other keys: independent samples.
    static func compare(_ r: inout EvaluationRecord, _ g: PublishedScores.Group, _ rows: [Int],
                        with c: PublishedScores.Group, _ championRows: [Int], task: PublishedScores.Task, labels: OutcomeLabels) {
        let interval: DifferenceInterval?
        var arm = rows, champion = championRows
        if r.arm == .challenger {
            // Pair by key: the rows of both, in the champion's order.
            var position: [String: Int] = [:]
            position.reserveCapacity(rows.count)
            for i in rows { position[g.keys[i]] = i }
            arm = []; champion = []
            for i in championRows { if let j = position[c.keys[i]] { champion.append(i); arm.append(j) } }
            guard arm.count >= 2 else { return }
        }
        let (y, p) = columns(g, arm, task: task, labels: labels)
        let (cy, cp) = columns(c, champion, task: task, labels: labels)
        let paired = r.arm == .challenger
        switch task {
        case .binary:
            r.differenceMetric = "auc"
            interval = paired ? OutcomeComparison.aucDifference(labels: y, a: cp, b: p)
                : OutcomeComparison.aucDifference(labelsA: cy, a: cp, labelsB: y, b: p)
        case .multiclass(let k):
            r.differenceMetric = "log_loss"
            let a = OutcomeComparison.logLosses(labels: cy.map { Int($0) }, probabilities: cp, classes: k)
            let b = OutcomeComparison.logLosses(labels: y.map { Int($0) }, probabilities: p, classes: k)
            interval = paired ? OutcomeComparison.meanDifference(paired: a, b) : OutcomeComparison.meanDifference(unpaired: a, b)
        case .regression:
            r.differenceMetric = "mse"
            let a = OutcomeComparison.squaredErrors(labels: cy, predictions: cp)
            let b = OutcomeComparison.squaredErrors(labels: y, predictions: p)
            interval = paired ? OutcomeComparison.meanDifference(paired: a, b) : OutcomeComparison.meanDifference(unpaired: a, b)
        }
        r.comparedWith = c.modelVersion
        if let interval {
            r.difference = interval.estimate; r.differenceLow = interval.lower; r.differenceHigh = interval.upper
            r.significant = interval.significant
        }
    }
}
