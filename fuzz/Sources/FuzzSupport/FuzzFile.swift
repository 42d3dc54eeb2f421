import Foundation

/// One scratch file per process (libFuzzer runs inputs one after another in a process).
public enum FuzzFile {
    static let directory: String = {
        let base = ProcessInfo.processInfo.environment["NIGHTJAR_FUZZ_TMP"] ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        return base + "/nightjar-fuzz-\(getpid())"
    }()

    public static func path(_ ext: String) -> String {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory + "/input." + ext
    }

    public static func write(_ bytes: UnsafeBufferPointer<UInt8>, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}
