import Foundation

/// What ONNX Runtime does by default on this machine, for reproducing its results.
public enum ONNXRuntimeDefaults {
    /// ONNX Runtime's default intra-op thread count: the number of physical cores (logical CPUs
    /// sharing a core count once), read from /proc/cpuinfo; the logical CPU count where that is unavailable.
    public static let intraOpThreads: Int = {
        let logical = ProcessInfo.processInfo.activeProcessorCount
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return logical }
        var cores = Set<String>()
        var physical = "0"
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "physical id" { physical = parts[1] }
            if parts[0] == "core id" { cores.insert("\(physical)/\(parts[1])") }
        }
        return cores.isEmpty ? logical : min(cores.count, logical)
    }()
}
