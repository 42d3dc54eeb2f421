import ArgumentParser
import Foundation
import Logging
import NightjarCore
import NightjarJobs

/// Runs `body`; any error becomes one line on stderr and the exit status of its kind
/// (`ExitStatus`: 78 configuration, 65 input, 3 quality gate, 75 temporary, 70 internal, 128 +
/// signal when interrupted).
func runReportingErrors<T>(cancellation: Cancellation? = nil, format: LogFormat = .text, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        reportError(error, format: format)
        throw ExitCode(ExitStatus.code(for: error))
    }
}

/// One line on stderr: `error: …`, or a JSON record with the exit status and the failure's kind.
func reportError(_ error: Error, format: LogFormat, context: Logger.Metadata = [:]) {
    let status = ExitStatus.code(for: error)
    switch format {
    case .text:
        // A refused bundle lists its worst rows, one per line: the point of the refusal.
        let text = error is BundleRefused ? "\(error)" : oneLine(error)
        FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    case .json:
        var metadata = context
        metadata["exit_status"] = "\(status)"
        metadata["failure"] = "\(error is RunInterrupted ? "interrupted" : FailureKind.of(error).rawValue)"
        FileHandle.standardError.write(Data(JSONLogHandler.line(time: Date(), level: .error, message: oneLine(error), metadata: metadata).utf8))
    }
}

/// The error on one line, at most 2,000 characters (values in messages are cut to 200 bytes where
/// they are quoted; this bounds whatever else an error may carry).
func oneLine(_ error: Error) -> String {
    QuotedValue.line(String(describing: error))
}

/// Logs go to stderr, as text or JSON lines; info level unless quiet, overridable with
/// NIGHTJAR_LOG_LEVEL.
func makeLogger(quiet: Bool, level: Logger.Level = .warning, format: LogFormat = .text) -> Logger {
    var logger = format == .json
        ? Logger(label: "nightjar") { _ in JSONLogHandler() }
        : Logger(label: "nightjar") { StreamLogHandler.standardError(label: $0) }
    if let level = ProcessInfo.processInfo.environment["NIGHTJAR_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
        logger.logLevel = level
    } else {
        logger.logLevel = quiet ? .error : level
    }
    return logger
}
