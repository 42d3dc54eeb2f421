import Foundation
import FuzzSupport
import NightjarJobs

/// JobSpec.parse(yaml:file:) on arbitrary text (bytes that are not UTF-8 are refused before the
/// parser, as JobSpec.load does); a job it accepts has its schedule's next fires computed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJob(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard let text = String(data: Data(bytes: data, count: size), encoding: .utf8) else { return 0 }
    let job: JobSpec
    do {
        job = try JobSpec.parse(yaml: text, file: "/nonexistent/fuzz/job.yaml")
    } catch {
        FuzzLog.say("refused: \(error)")
        return 0
    }
    FuzzLog.say("accepted: \(job.name)")
    if let schedule = job.schedule {
        var at = Date(timeIntervalSince1970: 1_790_000_000)
        for _ in 0..<3 {
            guard let next = schedule.cron.next(after: at, in: schedule.timeZone) else { break }
            precondition(next > at, "a next fire that is not after the instant")
            at = next
        }
    }
    return 0
}
