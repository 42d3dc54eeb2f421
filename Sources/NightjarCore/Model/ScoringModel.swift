/// A loaded model in Nightjar's intermediate form: the input features (with the category lists
/// used to recode string columns), the forest, and the link from margins to outputs.
public struct ScoringModel: Sendable {
    public var format: ModelFormat
    /// The objective as the training library names it (`binary:logistic`, `multiclass`, …).
    public var objective: String
    public var task: ModelTask
    public var features: [ModelFeature]
    public var forest: Forest
    public var link: OutputLink
    /// Version of the library that wrote the file, when the file says.
    public var libraryVersion: String?

    public init(
        format: ModelFormat, objective: String, task: ModelTask, features: [ModelFeature],
        forest: Forest, link: OutputLink, libraryVersion: String? = nil
    ) {
        self.format = format
        self.objective = objective
        self.task = task
        self.features = features
        self.forest = forest
        self.link = link
        self.libraryVersion = libraryVersion
    }

    /// The prediction columns this model writes, in order (DESIGN.md contract).
    public func outputColumns(includeMargin: Bool) -> [OutputColumn] {
        var columns: [OutputColumn] = []
        switch task {
        case .binary:
            columns = [OutputColumn(name: "probability", role: .probability(0)), OutputColumn(name: "label", role: .label)]
        case .multiclass(let k):
            columns = (0..<k).map { OutputColumn(name: "probability_\($0)", role: .probability($0)) }
            columns.append(OutputColumn(name: "label", role: .label))
        case .multiclassLabel:
            columns = [OutputColumn(name: "label", role: .label)]
        case .regression:
            columns = [OutputColumn(name: "prediction", role: .prediction)]
        }
        if includeMargin {
            let groups = forest.outputGroups
            if groups == 1 {
                columns.append(OutputColumn(name: "margin", role: .margin(0)))
            } else {
                for g in 0..<groups { columns.append(OutputColumn(name: "margin_\(g)", role: .margin(g))) }
            }
        }
        return columns
    }
}

/// One prediction column of the output.
public struct OutputColumn: Sendable, Equatable {
    public enum Role: Sendable, Equatable {
        case probability(Int)
        case label
        case prediction
        case margin(Int)
    }
    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }
    /// Labels are integers; every other column is a real number.
    public var isInteger: Bool { role == .label }
}
