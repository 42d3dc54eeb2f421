import Foundation
import SwiftProtobuf

/// Loads an ONNX model (scikit-learn pipelines exported by skl2onnx, XGBoost/LightGBM converted by
/// onnxmltools) and lowers its graph into Nightjar's form: a `FeaturePlan` for the preprocessing,
/// a `Forest` or `LinearModel`, and ONNX Runtime's output conventions.
public enum ONNXLoader {
    /// True when `data` starts like a serialized `ModelProto` (field 1, `ir_version`, as a varint).
    public static func looksLikeONNX(_ data: Data) -> Bool {
        guard data.count >= 2, data[data.startIndex] == 0x08 else { return false }
        let version = data[data.startIndex + 1]
        return version >= 1 && version < 0x40
    }

    public static func load(data: Data, path: String) throws(ModelError) -> ScoringModel {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw .malformed(path: path, format: "ONNX", detail: "the protobuf cannot be decoded (\(error)); the file may be truncated")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw .malformed(path: path, format: "ONNX", detail: "the file holds no graph nodes; it may be truncated")
        }
        var lowering = ONNXLowering(model: model, path: path)
        return try lowering.lower()
    }
}
