import Foundation

/// Typed access to a node's attributes. Every read records the attribute as understood; `checkAttributes`
/// refuses a node carrying one that no read asked for.
struct ONNXNodeReader {
    let node: Onnx_NodeProto
    let path: String
    private var attributes: [String: Onnx_AttributeProto] = [:]

    init(_ node: Onnx_NodeProto, path: String) {
        self.node = node
        self.path = path
        for a in node.attribute { attributes[a.name] = a }
    }

    var label: String { "\(node.opType) (node '\(node.name)')" }

    func unsupported(_ detail: String) -> ModelError {
        .unsupported(path: path, format: "ONNX", detail: "\(label): \(detail)")
    }

    func malformed(_ detail: String) -> ModelError {
        .malformed(path: path, format: "ONNX", detail: "\(label): \(detail)")
    }

    /// Refuses attributes outside `known`.
    func checkAttributes(_ known: Set<String>) throws(ModelError) {
        for name in node.attribute.map(\.name) where !known.contains(name) {
            throw unsupported("attribute '\(name)' is not supported; Nightjar refuses the model rather than score it differently")
        }
    }

    func has(_ name: String) -> Bool { attributes[name] != nil }

    func int(_ name: String, default value: Int64) -> Int64 { attributes[name].map { $0.i } ?? value }
    func float(_ name: String, default value: Float) -> Float { attributes[name].map { $0.f } ?? value }
    func string(_ name: String, default value: String) -> String {
        attributes[name].map { String(decoding: $0.s, as: UTF8.self) } ?? value
    }
    func ints(_ name: String) -> [Int64] { attributes[name]?.ints ?? [] }
    func floats(_ name: String) -> [Float] { attributes[name]?.floats ?? [] }
    func strings(_ name: String) -> [String] {
        (attributes[name]?.strings ?? []).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A `*_as_tensor` attribute as doubles (empty when absent).
    func doubles(_ name: String) throws(ModelError) -> [Double] {
        guard let a = attributes[name] else { return [] }
        do {
            let c = try ONNXTensorDecoder.decode(a.t)
            guard c.type != .string else { throw ModelError.malformed(path: path, format: "ONNX", detail: "") }
            return c.numbers
        } catch {
            throw malformed("attribute '\(name)' is not a numeric tensor")
        }
    }
}
