import Foundation

/// With NIGHTJAR_FUZZ_VERBOSE=1, a target says what it made of each input (to check that the seeds
/// are accepted as meant: `NIGHTJAR_FUZZ_VERBOSE=1 fuzz-onnx corpus/onnx/*`). Silent otherwise.
public enum FuzzLog {
    static let verbose = ProcessInfo.processInfo.environment["NIGHTJAR_FUZZ_VERBOSE"] == "1"

    public static func say(_ message: @autoclosure () -> String) {
        guard verbose else { return }
        FileHandle.standardError.write(Data((String(message().prefix(300)) + "\n").utf8))
    }
}
