import Foundation

/// Decodes `TensorProto` constants (typed fields or little-endian `raw_data`).
enum ONNXTensorDecoder {
    struct Failure: Error { let detail: String }

    static func decode(_ t: Onnx_TensorProto) throws(Failure) -> ONNXConstant {
        guard t.dataLocation != .external else { throw Failure(detail: "tensor '\(t.name)' is stored in an external file") }
        let dims = t.dims.map { Int($0) }
        let count = dims.reduce(1, *)
        switch t.dataType {
        case 1:  // float
            let values: [Float] = t.hasRawData ? try raw(t.rawData, count) : t.floatData
            return ONNXConstant(dims: dims, type: .float, numbers: values.map(Double.init), strings: [])
        case 11:  // double
            let values: [Double] = t.hasRawData ? try raw(t.rawData, count) : t.doubleData
            return ONNXConstant(dims: dims, type: .double, numbers: values, strings: [])
        case 7:  // int64
            let values: [Int64] = t.hasRawData ? try raw(t.rawData, count) : t.int64Data
            return ONNXConstant(dims: dims, type: .int64, numbers: values.map { Double($0) }, strings: [])
        case 6:  // int32
            let values: [Int32] = t.hasRawData ? try raw(t.rawData, count) : t.int32Data
            return ONNXConstant(dims: dims, type: .int64, numbers: values.map { Double($0) }, strings: [])
        case 9:  // bool
            let values: [UInt8] = t.hasRawData ? try raw(t.rawData, count) : t.int32Data.map { UInt8(truncatingIfNeeded: $0) }
            return ONNXConstant(dims: dims, type: .bool, numbers: values.map { $0 != 0 ? 1 : 0 }, strings: [])
        case 8:  // string
            return ONNXConstant(dims: dims, type: .string, numbers: [], strings: t.stringData.map { String(decoding: $0, as: UTF8.self) })
        default:
            throw Failure(detail: "tensor '\(t.name)' has element type \(t.dataType), which Nightjar does not read")
        }
    }

    private static func raw<T>(_ data: Data, _ count: Int) throws(Failure) -> [T] {
        guard data.count == count * MemoryLayout<T>.size else {
            throw Failure(detail: "raw tensor data holds \(data.count) bytes for \(count) values")
        }
        return data.withUnsafeBytes { bytes in
            (0..<count).map { bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
        }
    }
}
