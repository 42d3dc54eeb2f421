import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a cancellation request, so a run finishes or rolls back its
/// current chunk, records itself as interrupted and exits non-zero. A second signal exits at once.
public enum SignalTrap {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []

    public static func install(_ cancellation: Cancellation) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if cancellation.requested != nil { exit(128 + sig) }
                cancellation.cancel(signal: sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}
