import ArgumentParser
import Foundation
import Logging

/// Runs `body`; any error becomes one line on stderr and exit status 1.
func runReportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(oneLine(error))\n".utf8))
        throw ExitCode.failure
    }
}

func oneLine(_ error: Error) -> String {
    String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
}

/// Logs go to stderr; info level unless quiet, overridable with NIGHTJAR_LOG_LEVEL.
func makeLogger(quiet: Bool) -> Logger {
    var logger = Logger(label: "nightjar") { StreamLogHandler.standardError(label: $0) }
    if let level = ProcessInfo.processInfo.environment["NIGHTJAR_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
        logger.logLevel = level
    } else {
        logger.logLevel = quiet ? .error : .warning
    }
    return logger
}
