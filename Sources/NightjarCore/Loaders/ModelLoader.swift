import Foundation

/// Opens a model file and picks the loader by its content (not its name).
public enum ModelLoader {
    public static func load(path: String) throws(ModelError) -> ScoringModel {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .notFound(path: path, detail: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw .unrecognizedFormat(path: path, detail: "is a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: [.mappedIfSafe])
        } catch {
            throw .notFound(path: path, detail: "cannot be read: \(error.localizedDescription)")
        }
        return try load(data: data, path: path)
    }

    public static func load(data: Data, path: String) throws(ModelError) -> ScoringModel {
        if ONNXLoader.looksLikeONNX(data) || path.lowercased().hasSuffix(".onnx") && data.first.map({ $0 < 0x20 }) == true {
            return try ONNXLoader.load(data: data, path: path)
        }
        guard let first = data.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0a && $0 != 0x0d && $0 != 0xef && $0 != 0xbb && $0 != 0xbf }) else {
            throw .unrecognizedFormat(path: path, detail: "the file is empty")
        }
        if first == UInt8(ascii: "{") {
            if path.hasSuffix(".ubj") || data.dropFirst().first.map({ [UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "L"), UInt8(ascii: "#"), UInt8(ascii: "$")].contains($0) }) == true {
                throw .unsupported(path: path, format: "XGBoost", detail: "UBJSON; save the model as JSON with save_model(\"model.json\")")
            }
            return try XGBoostJSONLoader.load(data: data, path: path)
        }
        if data.starts(with: Array("tree\n".utf8)) || data.starts(with: Array("tree\r\n".utf8)) {
            return try LightGBMTextLoader.load(data: data, path: path)
        }
        if data.starts(with: Array("binf".utf8)) || data.starts(with: [0x00, 0x00, 0x00, 0x3f]) {
            throw .unsupported(path: path, format: "XGBoost", detail: "the legacy binary format; save the model as JSON with save_model(\"model.json\")")
        }
        throw .unrecognizedFormat(path: path, detail: "the content is neither JSON, a LightGBM text model nor an ONNX protobuf")
    }
}
