extension ScoringModel {
    /// A human-readable description for `nightjar inspect`.
    public func describe(path: String) -> String {
        var lines: [String] = []
        lines.append("model:       \(path)")
        lines.append("format:      \(format.displayName)\(libraryVersion.map { " (written by version \($0))" } ?? "")")
        lines.append("objective:   \(objective)")
        lines.append("task:        \(task.name)")
        lines.append("output:      \(outputColumns(includeMargin: false).map(\.name).joined(separator: ", ")) (link: \(link.name))")
        if let graph {
            lines.append(contentsOf: graph.describe(estimator: estimator))
            return lines.joined(separator: "\n")
        }
        guard let forest else { return lines.joined(separator: "\n") }
        var trees = "\(forest.treeCount) trees"
        if forest.outputGroups > 1 { trees += " (\(forest.iterations) iterations × \(forest.outputGroups) classes)" }
        trees += ", \(forest.nodeCount) nodes, max depth \(forest.maxDepth)"
        if forest.averageOutput { trees += ", averaged (random forest)" }
        lines.append("trees:       \(trees)")
        if forest.baseMargins.contains(where: { $0 != 0 }) {
            lines.append("base margin: \(forest.baseMargins.map { String($0) }.joined(separator: ", "))")
        }
        lines.append("features:    \(features.count)")
        let width = max(4, features.map(\.name.count).max() ?? 4)
        for (i, f) in features.enumerated() {
            let name = f.name.padding(toLength: width, withPad: " ", startingAt: 0)
            switch f.kind {
            case .numeric:
                lines.append("  \(String(i).leftPad(3))  \(name)  numeric")
            case .categorical(let categories?):
                lines.append("  \(String(i).leftPad(3))  \(name)  categorical, \(categories.count) categories in training order: \(categories.joined(separator: ", "))")
            case .categorical(nil):
                lines.append("  \(String(i).leftPad(3))  \(name)  categorical, no category names stored (the input must hold integer codes)")
            case .text:
                lines.append("  \(String(i).leftPad(3))  \(name)  string")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
