import ArgumentParser
import Foundation
import Logging
import NightjarJobs

/// How a command logs: `--log-format text|json`.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log-format"), help: "Log lines on stderr as text, or as one JSON object a line (time, level, message, job, run_id, logical_date, chunk, rows, rows_per_second, percent, eta_seconds); with json, the summary and errors are JSON lines too.")
    var logFormat: LogFormat = .text

    var json: Bool { logFormat == .json }
}
