import Foundation
import NightjarIO

/// Decides which of several schedulers (on one machine or many) starts runs: the one holding a
/// PostgreSQL session advisory lock. The lock is kept while the session lives and released by the
/// server when the process dies, so a standby takes over at its next tick.
public final class LeaderLock: @unchecked Sendable {
    let settings: JobSpec.PostgresSettings
    let key: String
    private var connection: PostgresConnection?
    private var held = false

    /// `key` names the group of schedulers that elect one leader (default: the jobs directory's name).
    public init(settings: JobSpec.PostgresSettings, key: String) {
        self.settings = settings
        self.key = key
    }

    /// True when this process is the leader (taking the lock when it is free).
    public func isLeader() -> Bool {
        do {
            if connection == nil {
                connection = try PostgresConnection(conninfo: try settings.conninfo(job: "scheduler"), name: "scheduler leader lock")
                held = false
            }
            if held {
                // Still connected? A lost session means a lost lock.
                _ = try connection!.execute("SELECT 1")
                return true
            }
            held = try connection!.execute("SELECT pg_try_advisory_lock(hashtext('nightjar scheduler'), hashtext($1))", [key]).string(0, 0) == "t"
            return held
        } catch {
            connection = nil
            held = false
            return false
        }
    }

    /// Gives up leadership (closing the session releases the lock).
    public func release() {
        connection = nil
        held = false
    }
}
