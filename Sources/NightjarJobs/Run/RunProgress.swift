import Foundation
import Logging

/// Progress of a run: a live line on a terminal, periodic log lines otherwise (cron, CI).
public final class RunProgress: @unchecked Sendable {
    let logger: Logger
    let terminal: Bool
    let started = Date()
    var lastLog = Date.distantPast
    var rowsAtStart = 0

    let onChunk: ((Int) -> Void)?

    /// `onChunk` is called after every committed chunk (tests, embedding applications).
    public init(logger: Logger, terminal: Bool = isatty(2) == 1, onChunk: ((Int) -> Void)? = nil) {
        self.logger = logger
        self.terminal = terminal
        self.onChunk = onChunk
    }

    /// `fraction`: share of the input read so far (by bytes), when known.
    func update(runID: String, chunk: Int, rows: Int, fraction: Double?) {
        onChunk?(chunk)
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(rows - rowsAtStart) / elapsed : 0
        var eta = ""
        if let fraction, fraction > 0.001, fraction < 1 {
            eta = String(format: ", ETA %.0f s", elapsed / fraction * (1 - fraction))
        }
        if terminal {
            let percent = fraction.map { String(format: " · %.0f%%", min($0, 1) * 100) } ?? ""
            let line = String(format: "\r\u{1B}[Kchunk %d · %@ rows · %@ rows/s%@%@", chunk, rows.formatted(), Int(rate).formatted(), percent, eta)
            FileHandle.standardError.write(Data(line.utf8))
        } else if Date().timeIntervalSince(lastLog) >= 10 {
            lastLog = Date()
            var metadata: Logger.Metadata = ["run_id": "\(runID)", "chunk": "\(chunk)", "rows": "\(rows)",
                                             "rows_per_second": "\(Int(rate))"]
            // Percent and ETA when the input's size is known (CSV files: by bytes read).
            if let fraction, fraction > 0 {
                metadata["percent"] = "\(String(format: "%.1f", min(fraction, 1) * 100))"
                if fraction > 0.001, fraction < 1 { metadata["eta_seconds"] = "\(Int((elapsed / fraction * (1 - fraction)).rounded()))" }
            }
            logger.info("progress", metadata: metadata)
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
