import Foundation

/// Decodes `TensorProto` constants (typed fields or little-endian `raw_data`).
enum ONNXTensorDecoder {
    struct Failure: Error { let detail: String }

    static func decode(_ t: Onnx_TensorProto) throws(Failure) -> ONNXConstant {
        guard t.dataLocation != .external else { throw Failure(detail: "\(label(t.name)) is stored in an external file") }
        let dims = t.dims.map { Int($0) }
        let count = try elementCount(dims, name: t.name)
        let name = label(t.name)
        switch t.dataType {
        case 1:  // float
            let values: [Float] = t.hasRawData ? try raw(t.rawData, count) : try typed(t.floatData, count, name: name)
            return ONNXConstant(dims: dims, type: .float, numbers: values.map(Double.init), strings: [])
        case 11:  // double
            let values: [Double] = t.hasRawData ? try raw(t.rawData, count) : try typed(t.doubleData, count, name: name)
            return ONNXConstant(dims: dims, type: .double, numbers: values, strings: [])
        case 7:  // int64
            let values: [Int64] = t.hasRawData ? try raw(t.rawData, count) : try typed(t.int64Data, count, name: name)
            return ONNXConstant(dims: dims, type: .int64, numbers: values.map { Double($0) }, strings: [])
        case 6:  // int32
            let values: [Int32] = t.hasRawData ? try raw(t.rawData, count) : try typed(t.int32Data, count, name: name)
            return ONNXConstant(dims: dims, type: .int64, numbers: values.map { Double($0) }, strings: [])
        case 9:  // bool
            let values: [UInt8] = t.hasRawData ? try raw(t.rawData, count) : try typed(t.int32Data, count, name: name).map { UInt8(truncatingIfNeeded: $0) }
            return ONNXConstant(dims: dims, type: .bool, numbers: values.map { $0 != 0 ? 1 : 0 }, strings: [])
        case 8:  // string
            let values = try typed(t.stringData, count, name: name)
            return ONNXConstant(dims: dims, type: .string, numbers: [], strings: values.map { String(decoding: $0, as: UTF8.self) })
        default:
            throw Failure(detail: "\(name) has element type \(t.dataType), which Nightjar does not read")
        }
    }

    /// The number of elements the shape says, refused when a dimension is negative or the product
    /// does not fit an Int (a shape read from the file must never trap the process).
    static func elementCount(_ dims: [Int], name: String) throws(Failure) -> Int {
        let name = label(name)
        var count = 1
        for d in dims {
            guard d >= 0 else { throw Failure(detail: "\(name) has a negative dimension (shape \(shape(dims)))") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw Failure(detail: "\(name) has a shape whose element count does not fit in 64 bits (shape \(shape(dims)))") }
            count = product
        }
        return count
    }

    /// Typed data must hold exactly as many values as the shape says (ONNX Runtime refuses the file otherwise).
    private static func typed<T>(_ values: [T], _ count: Int, name: String) throws(Failure) -> [T] {
        guard values.count == count else {
            throw Failure(detail: "\(name) holds \(values.count) values where its shape says \(count)")
        }
        return values
    }

    /// "tensor 'w'", or "an unnamed tensor" (a Constant node's value, an attribute).
    static func label(_ name: String) -> String {
        name.isEmpty ? "an unnamed tensor" : "tensor \(QuotedValue.quote(name))"
    }

    /// A shape for an error line: at most 8 dimensions written out.
    static func shape(_ dims: [Int]) -> String {
        dims.count <= 8 ? "\(dims)" : "[\(dims.prefix(8).map(String.init).joined(separator: ", ")), … \(dims.count) dimensions]"
    }

    private static func raw<T>(_ data: Data, _ count: Int) throws(Failure) -> [T] {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.size)
        guard !overflow, data.count == bytes else {
            throw Failure(detail: "raw tensor data holds \(data.count) bytes for \(count) values")
        }
        return data.withUnsafeBytes { bytes in
            (0..<count).map { bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
        }
    }
}
