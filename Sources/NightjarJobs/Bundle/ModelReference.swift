/// A model named through the registry: `churn@3` (a version) or `churn@champion` (an alias).
public struct ModelReference: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// A version directory name or an alias; a version wins when both exist.
    public var selector: String

    public init(name: String, selector: String) {
        self.name = name
        self.selector = selector
    }

    /// Parses `NAME@VERSION` or `NAME@ALIAS`; nil when `text` is not of that form.
    public init?(_ text: String) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              ModelReference.isName(String(parts[0])), ModelReference.isName(String(parts[1])) else { return nil }
        name = String(parts[0])
        selector = String(parts[1])
    }

    /// Names of models, versions and aliases: letters, digits, '.', '_' and '-', not starting with '.'.
    public static func isName(_ s: String) -> Bool {
        guard let first = s.first, first != "." else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }

    /// Aliases are names that start with a letter (`champion`); `churn@7` can only be a version.
    public static func isAliasName(_ s: String) -> Bool {
        isName(s) && s.first?.isLetter == true
    }

    public var description: String { "\(name)@\(selector)" }
}
