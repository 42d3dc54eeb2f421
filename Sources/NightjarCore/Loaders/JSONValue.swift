import Foundation

/// Typed access to the loosely typed tree that `JSONParser` (or `JSONSerialization`) returns, with errors that
/// name the JSON path that is wrong. Used by model loaders only (load time, not the hot path).
struct JSONNode {
    let value: Any
    let path: String

    func object() throws(JSONPathError) -> [String: Any] {
        guard let o = value as? [String: Any] else { throw JSONPathError(path: path, expected: "an object") }
        return o
    }

    subscript(key: String) -> JSONNode? {
        // `is NSNull` on a Swift array or dictionary would bridge it to Foundation, deep: compare types.
        guard let o = value as? [String: Any], let v = o[key],
              ObjectIdentifier(type(of: v)) != ObjectIdentifier(NSNull.self) else { return nil }
        return JSONNode(value: v, path: "\(path).\(key)")
    }

    func required(_ key: String) throws(JSONPathError) -> JSONNode {
        _ = try object()
        guard let v = self[key] else { throw JSONPathError(path: "\(path).\(key)", expected: "a value (the key is missing)") }
        return v
    }

    func array() throws(JSONPathError) -> [JSONNode] {
        if let numbers = value as? [Double] {
            return numbers.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]") }
        }
        guard let a = value as? [Any] else { throw JSONPathError(path: path, expected: "an array") }
        return a.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]") }
    }

    func string() throws(JSONPathError) -> String {
        guard let s = value as? String else { throw JSONPathError(path: path, expected: "a string") }
        return s
    }

    /// A number, or a string holding one (XGBoost writes many parameters as strings).
    func double() throws(JSONPathError) -> Double {
        if let d = value as? Double { return d }
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return d }
        throw JSONPathError(path: path, expected: "a number")
    }

    func int() throws(JSONPathError) -> Int {
        let d = try double()
        guard d == d.rounded(), abs(d) < 1e15 else { throw JSONPathError(path: path, expected: "an integer") }
        return Int(d)
    }

    func doubles() throws(JSONPathError) -> [Double] {
        if let numbers = value as? [Double] { return numbers }
        guard let a = value as? [Any] else { throw JSONPathError(path: path, expected: "an array of numbers") }
        var out = [Double]()
        out.reserveCapacity(a.count)
        for (i, element) in a.enumerated() {
            if let d = element as? Double { out.append(d); continue }
            if let n = element as? NSNumber { out.append(n.doubleValue); continue }
            if let s = element as? String, let d = Double(s) { out.append(d); continue }
            throw JSONPathError(path: "\(path)[\(i)]", expected: "a number")
        }
        return out
    }

    func ints() throws(JSONPathError) -> [Int] {
        let ds = try doubles()
        var out = [Int]()
        out.reserveCapacity(ds.count)
        for (i, d) in ds.enumerated() {
            // `d == d.rounded() && abs(d) < 1e15` without a libm `round` call per element (8 M of
            // the 500-tree XGBoost model's load, callgrind): within ±1e15 (NaN fails that), d is
            // whole exactly when Int(d) converts back to it.
            guard abs(d) < 1e15, Double(Int(d)) == d else { throw JSONPathError(path: "\(path)[\(i)]", expected: "an integer") }
            out.append(Int(d))
        }
        return out
    }
}

struct JSONPathError: Error {
    let path: String
    let expected: String
    var description: String { "\(path): expected \(expected)" }
}
