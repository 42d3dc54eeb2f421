import Foundation

/// Promotes registry versions to aliases and rolls them back. Every change is an event in the run
/// store; an alias's history is a stack (a promotion pushes, a rollback pops), so `rollback` returns
/// to the version the alias held before the current one, and repeated rollbacks walk further back.
public struct ModelAliases {
    public let registry: ModelRegistry
    public let store: RunStore

    public init(registry: ModelRegistry, store: RunStore) {
        self.registry = registry
        self.store = store
    }

    /// The versions the alias has held that a rollback can return to, oldest first; the last is the current one.
    public func stack(model: String, alias: String) throws -> [String] {
        var stack: [String] = []
        for e in try store.aliasEvents(model: model, alias: alias) {
            switch e.action {
            case .promote:
                if stack.last != e.version { stack.append(e.version) }
            case .rollback, .autoRollback:
                if !stack.isEmpty { stack.removeLast() }
                if stack.last != e.version { stack.append(e.version) }
            }
        }
        return stack
    }

    @discardableResult
    public func promote(model: String, version: String, alias: String, reason: String? = nil) throws -> AliasEvent {
        guard ModelReference.isAliasName(alias) else {
            throw ScoreError("alias '\(alias)': start with a letter; use letters, digits, '.', '_' and '-'")
        }
        guard registry.exists(name: model, version: version) else {
            let versions = registry.versions(of: model)
            throw ScoreError("no bundle \(model)/\(version) in \(registry.root) (\(versions.isEmpty ? "no versions of \(model)" : "versions: " + versions.joined(separator: ", "))); create it with nightjar bundle create")
        }
        guard !registry.exists(name: model, version: alias) else {
            throw ScoreError("alias '\(alias)' is also a version of \(model); pick another alias name")
        }
        let current = try store.alias(model: model, alias: alias)
        if current == version { throw ScoreError("\(model)@\(alias) already points at version \(version)") }
        let event = AliasEvent(model: model, alias: alias, action: .promote, version: version, previousVersion: current, at: Timestamp.now(), reason: reason)
        try store.apply(event)
        return event
    }

    @discardableResult
    public func rollback(model: String, alias: String, automatic: Bool = false, reason: String? = nil, runID: String? = nil) throws -> AliasEvent {
        let stack = try stack(model: model, alias: alias)
        guard let current = stack.last else {
            throw ScoreError("\(model)@\(alias) is not set; nothing to roll back (promote a version with nightjar models promote)")
        }
        guard stack.count >= 2 else {
            throw ScoreError("\(model)@\(alias) has no previous version to roll back to (it has only pointed at \(current))")
        }
        let target = stack[stack.count - 2]
        let event = AliasEvent(model: model, alias: alias, action: automatic ? .autoRollback : .rollback, version: target,
                               previousVersion: current, at: Timestamp.now(), reason: reason, runID: runID)
        try store.apply(event)
        return event
    }
}
