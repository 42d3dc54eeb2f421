import ArgumentParser
import NightjarCore
import NightjarJobs

/// The exit status contract (README, "Exit codes"; `nightjar --help`): what a wrapper, cron or a
/// Kubernetes `podFailurePolicy` can act on without reading the message.
enum ExitStatus {
    static let success: Int32 = 0
    /// A quality gate (drift, rejected rows) stopped the run; nothing was published. Page a human.
    static let qualityGate: Int32 = 3
    /// Command-line usage error (ArgumentParser's own status for a bad option).
    static let usage: Int32 = 64
    /// Input or contract error: the rows do not fit the model. Fix the data; do not retry.
    static let input: Int32 = 65
    /// Internal error: a bug. Report it.
    static let `internal`: Int32 = 70
    /// Temporary failure: database, input or lock not available. Retry later.
    static let temporary: Int32 = 75
    /// Job or configuration error: job file, model, bundle, registry. Fix it; do not retry.
    static let configuration: Int32 = 78

    static func code(for kind: FailureKind) -> Int32 {
        switch kind {
        case .configuration: return configuration
        case .input: return input
        case .qualityGate: return qualityGate
        case .temporary: return temporary
        case .internal: return `internal`
        }
    }

    /// The status of a failed command: 128 + N when signal N interrupted it.
    static func code(for error: Error) -> Int32 {
        if let interrupted = error as? RunInterrupted { return 128 + interrupted.signal }
        return code(for: FailureKind.of(error))
    }

    /// For `nightjar --help` and the README.
    static let table = """
        Exit status:
          0    success
          3    quality gate failed (drift or rejected rows over the job's limit); nothing published — a human should look
          64   command-line usage error
          65   input or contract error (rows or columns do not fit the model) — fix the data, do not retry
          70   internal error — a bug, please report it
          75   temporary failure (database or input not available, lock held, disk full) — retry later
          78   job or configuration error (job file, model, bundle, registry) — fix it, do not retry
          128+N  interrupted by signal N; `nightjar run` resumes from the last committed chunk
        `nightjar run` and `backfill` retry temporary failures themselves when the job sets `retries:`.
        """
}
