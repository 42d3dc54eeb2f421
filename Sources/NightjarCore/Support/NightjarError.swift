/// Errors raised by the pure-compute layer. Every case renders as one line that names
/// what is wrong and, where possible, what to do about it.
public enum ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file is not a model of any format Nightjar reads.
    case unrecognizedFormat(path: String, detail: String)
    /// The file looks like the format but is malformed (truncated JSON, missing field, bad number).
    case malformed(path: String, format: String, detail: String)
    /// The model uses something Nightjar does not reproduce exactly; it is refused rather than approximated.
    case unsupported(path: String, format: String, detail: String)
    /// There is no file at the path (or it cannot be read).
    case notFound(path: String, detail: String)

    public var description: String {
        switch self {
        case let .unrecognizedFormat(path, detail):
            return "\(path): not a model file Nightjar can read (\(detail)); expected XGBoost JSON (save_model(\"model.json\")), a LightGBM text model (save_model(\"model.txt\")) or an ONNX model (skl2onnx, onnxmltools)"
        case let .malformed(path, format, detail):
            return "\(path): malformed \(format) model: \(detail)"
        case let .unsupported(path, format, detail):
            return "\(path): unsupported \(format) model: \(detail)"
        case let .notFound(path, detail):
            return "\(path): \(detail) (the model file; check the job's model path or the registry volume)"
        }
    }
}

/// A value in an input row that cannot be turned into a feature.
/// `row` is the 0-based row index inside the chunk being encoded; the I/O layer maps it to a line.
public struct EncodingError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        case notANumber
        case noCategoryNames
    }
    public var row: Int
    public var column: String
    public var value: String
    public var reason: Reason

    public init(row: Int, column: String, value: String, reason: Reason) {
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .notANumber:
            return "column '\(column)': \(QuotedValue.quote(value)) is not a number (numeric feature; leave the field empty for a missing value)"
        case .noCategoryNames:
            return "column '\(column)': \(QuotedValue.quote(value)) is a category name, but the model stores no category names for this feature; pass integer category codes as used in training"
        }
    }
}
