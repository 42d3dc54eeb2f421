import ArgumentParser
import Foundation
import Logging
import NightjarCore
import NightjarJobs

/// Runs `body`; any error becomes one line on stderr and exit status 1 (128 + signal when interrupted).
func runReportingErrors<T>(cancellation: Cancellation? = nil, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let refused as BundleRefused {
        // The worst rows, one per line: the point of the refusal.
        FileHandle.standardError.write(Data("error: \(refused)\n".utf8))
        throw ExitCode.failure
    } catch {
        FileHandle.standardError.write(Data("error: \(oneLine(error))\n".utf8))
        if let interrupted = error as? RunInterrupted { throw ExitCode(128 + interrupted.signal) }
        throw ExitCode.failure
    }
}

/// The error on one line, at most 2,000 characters (values in messages are cut to 200 bytes where
/// they are quoted; this bounds whatever else an error may carry).
func oneLine(_ error: Error) -> String {
    QuotedValue.line(String(describing: error))
}

/// Logs go to stderr; info level unless quiet, overridable with NIGHTJAR_LOG_LEVEL.
func makeLogger(quiet: Bool, level: Logger.Level = .warning) -> Logger {
    var logger = Logger(label: "nightjar") { StreamLogHandler.standardError(label: $0) }
    if let level = ProcessInfo.processInfo.environment["NIGHTJAR_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
        logger.logLevel = level
    } else {
        logger.logLevel = quiet ? .error : level
    }
    return logger
}
