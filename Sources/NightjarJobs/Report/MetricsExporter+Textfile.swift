import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node exporter textfile collector: a `.prom` file the node exporter reads on every scrape.
extension MetricsExporter {
    /// Writes the textfile-collector file atomically: a temp file in the same directory, fsync, rename.
    /// Creates the directory.
    ///
    /// The collector may read the file at any moment, so it must never see a half-written file: the
    /// text goes to a hidden temp file (a name not ending in `.prom`, which the collector ignores) in
    /// the same directory, is flushed to disk, then renamed over the target, which is atomic within
    /// one file system. The directory is synced too, so the rename survives a power cut.
    public static func writeTextfile(_ m: RunMetrics, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MetricsError("cannot create the metrics directory \(directory): \(error.localizedDescription); check its permissions")
        }
        let temp = directory + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let bytes = Array(render(m).utf8)

        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MetricsError("cannot create \(temp): \(errnoText()); check that \(directory) is writable") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = errnoText()
                close(fd); unlink(temp)
                throw MetricsError("cannot write \(temp): \(reason); check free space in \(directory)")
            }
            written += n
        }
        if fsync(fd) != 0 {
            let reason = errnoText()
            close(fd); unlink(temp)
            throw MetricsError("cannot flush \(temp) to disk: \(reason)")
        }
        close(fd)
        if rename(temp, path) != 0 {
            let reason = errnoText()
            unlink(temp)
            throw MetricsError("cannot rename \(temp) to \(path): \(reason); check that \(path) is not a directory")
        }
        let dfd = open(directory, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
