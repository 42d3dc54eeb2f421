import Foundation
import NightjarCore

/// Bundles on disk: `ROOT/NAME/VERSION/`. Versions are immutable once created; aliases
/// (`champion`, `challenger`, …) live in the run store so every machine sharing it agrees.
public struct ModelRegistry: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func directory(name: String, version: String) -> String {
        URL(fileURLWithPath: root).appendingPathComponent(name).appendingPathComponent(version).path
    }

    /// Model names, sorted.
    public func names() -> [String] {
        let items = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return items.filter { ModelReference.isName($0) && isDirectory(URL(fileURLWithPath: root).appendingPathComponent($0).path) }.sorted()
    }

    /// Versions of a model that hold a manifest, oldest first (numbers compare as numbers).
    public func versions(of name: String) -> [String] {
        let base = URL(fileURLWithPath: root).appendingPathComponent(name)
        let items = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return items.filter {
            ModelReference.isName($0) && FileManager.default.fileExists(atPath: base.appendingPathComponent($0).appendingPathComponent(BundleManifest.fileName).path)
        }.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
    }

    public func exists(name: String, version: String) -> Bool {
        FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory(name: name, version: version)).appendingPathComponent(BundleManifest.fileName).path)
    }

    /// The version a reference names now: the version itself, or where the alias points in `store`.
    public func resolve(_ ref: ModelReference, store: RunStore?) throws -> (version: String, alias: String?) {
        if exists(name: ref.name, version: ref.selector) { return (ref.selector, nil) }
        guard !versions(of: ref.name).isEmpty else {
            throw ScoreError("model \(ref.name) is not in the registry \(root) (it has: \(names().joined(separator: ", ").ifEmpty("no models"))); create it with nightjar bundle create --name \(ref.name)")
        }
        guard let store else {
            throw ScoreError("\(ref): no version \(ref.selector) of \(ref.name) in \(root) (versions: \(versions(of: ref.name).joined(separator: ", "))), and no run store to look the alias up in")
        }
        guard let version = try store.alias(model: ref.name, alias: ref.selector) else {
            throw ScoreError("\(ref): \(ref.name) has no version or alias '\(ref.selector)' (versions: \(versions(of: ref.name).joined(separator: ", ")); aliases in \(store.location): \(try store.aliases(model: ref.name).map { "\($0.alias)→\($0.version)" }.joined(separator: ", ").ifEmpty("none"))); set one with nightjar models promote \(ref.name) VERSION --alias \(ref.selector)")
        }
        guard exists(name: ref.name, version: version) else {
            throw ScoreError("\(ref) points at version \(version), which is not in \(root); restore \(directory(name: ref.name, version: version)) or promote another version")
        }
        return (version, ref.selector)
    }

    private func isDirectory(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
