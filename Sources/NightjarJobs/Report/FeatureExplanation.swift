/// One feature's part in a run's scores, from the rows a job with `explain:` wrote.
public struct FeatureExplanation: Sendable, Equatable {
    public var feature: String
    /// Mean |contribution| over the run's champion rows (`explain: { contributions: all }`;
    /// multi-class: summed over the classes), nil without contribution columns.
    public var meanAbsContribution: Double?
    /// Share of the run's champion rows whose first reason it was (`explain: { reasons: K }`).
    public var firstReasonShare: Double?

    public init(feature: String, meanAbsContribution: Double?, firstReasonShare: Double?) {
        self.feature = feature
        self.meanAbsContribution = meanAbsContribution
        self.firstReasonShare = firstReasonShare
    }
}
