import Foundation
import Logging

/// One JSON object a line on stderr (`--log-format json`), for log pipelines: `time` (UTC,
/// RFC 3339 with milliseconds), `level`, `message`, then the record's metadata (`job`, `run_id`,
/// `logical_date`, `chunk`, `rows`, `rows_per_second`, `percent`, `eta_seconds`, …). Counts and
/// rates are JSON numbers; everything else is a string.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let write: @Sendable (String) -> Void

    /// Metadata keys written as numbers when their value is one.
    static let numericKeys: Set<String> = [
        "chunk", "chunks", "rows", "rows_read", "rows_written", "rows_rejected", "rows_per_second", "percent",
        "eta_seconds", "seconds", "in_seconds", "pid", "exit_status", "prediction_psi", "succeeded", "failed", "skipped",
    ]

    public init(write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var all = metadata
        if let explicit { all.merge(explicit) { $1 } }
        write(JSONLogHandler.line(time: Date(), level: level, message: message.description, metadata: all))
    }

    /// The JSON line for one record (newline-terminated).
    public static func line(time: Date, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var out = "{\"time\":" + quote(timestamp(time)) + ",\"level\":" + quote(level.rawValue) + ",\"message\":" + quote(message)
        for key in metadata.keys.sorted() where !["time", "level", "message"].contains(key) {
            out += "," + quote(key) + ":" + value(metadata[key]!, key: key)
        }
        return out + "}\n"
    }

    static func value(_ v: Logger.Metadata.Value, key: String) -> String {
        switch v {
        case .string(let s):
            if numericKeys.contains(key), let d = Double(s), d.isFinite { return s.contains(where: { $0.isLetter }) ? quote(s) : s }
            return quote(s)
        case .stringConvertible(let c): return value(.string(c.description), key: key)
        case .array(let a): return "[" + a.map { value($0, key: "") }.joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.keys.sorted().map { quote($0) + ":" + value(d[$0]!, key: $0) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
