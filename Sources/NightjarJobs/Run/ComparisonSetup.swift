import Dispatch
import NightjarCore

/// How a run compares shadow challengers with its champion: which output column, which bins, and
/// what counts as a flipped label.
struct ComparisonSetup {
    /// The compared column: `probability` (binary), `prediction` (regression) or `label` (multi-class).
    let column: String
    let edges: [Double]
    /// Binary models: a label flips when the two probabilities fall on either side of it.
    let threshold: Double?

    init(plan: RunExecutor.Plan, threshold: Double) {
        column = plan.model.primaryOutput
        if let p = plan.quality.reference?.prediction, p.column == column {
            edges = p.edges  // the champion's training distribution
        } else if column == "probability" {
            edges = ShadowComparison.probabilityEdges
        } else {
            edges = []  // no reference to bin by: one bin, PSI 0
        }
        self.threshold = column == "probability" ? threshold : nil
    }

    func compare(champion: [Double], championColumns: [OutputColumn], challenger: [Double], challengerColumns: [OutputColumn]) -> ShadowComparison {
        var cmp = ShadowComparison(edges: edges)
        guard let a = championColumns.firstIndex(where: { $0.name == column }),
              let b = challengerColumns.firstIndex(where: { $0.name == column }) else { return cmp }
        let wa = championColumns.count, wb = challengerColumns.count
        let rows = wa == 0 ? 0 : champion.count / wa
        let x = (0..<rows).map { champion[$0 * wa + a] }
        let y = (0..<rows).map { challenger[$0 * wb + b] }
        if column == "label" {
            cmp.add(champion: x, challenger: y, championLabels: x, challengerLabels: y, threshold: nil)
        } else {
            cmp.add(champion: x, challenger: y, threshold: threshold)
        }
        return cmp
    }
}

extension DispatchTime {
    func seconds(since start: DispatchTime) -> Double {
        Double(uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}

extension JobSpec.Sink {
    /// The output table of a SQLite or PostgreSQL sink.
    var table: String? {
        switch self {
        case let .sqlite(_, table), let .postgres(_, table): return table
        case .csv: return nil
        }
    }
}

extension RunExecutor.Contender {
    var info: RunQuality.ChallengerInfo {
        .init(reference: reference.description, name: resolved.name, version: version)
    }
}
