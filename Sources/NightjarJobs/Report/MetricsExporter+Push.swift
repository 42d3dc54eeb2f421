import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Prometheus Pushgateway, for hosts without a node exporter.
extension MetricsExporter {
    /// How long a push may take before it is abandoned: a slow gateway must not hold up the run.
    static let pushTimeout: TimeInterval = 10

    /// Pushes to a Pushgateway: POST to `{url}/metrics/job/nightjar/nightjar_job/{job}`, text
    /// format body.
    ///
    /// The grouping key is `job="nightjar", nightjar_job=<job>`: one group per Nightjar job (the
    /// gateway's URL scheme requires a `job` key). The body carries no labels of the grouping key:
    /// the gateway adds them to every sample, and in Prometheus (scraping the gateway with
    /// `honor_labels: true`) the job's name is the `nightjar_job` label, as from the textfile.
    ///
    /// POST (not PUT) replaces only the metrics of the same names within the group, which is what
    /// keeps `nightjar_run_last_success_timestamp_seconds` and `nightjar_run_last_success_rows_written`
    /// of the previous success when a run fails: they are only sent when this run succeeded.
    ///
    /// Synchronous, because the run executor calls it from a plain thread after the run; gives up
    /// after 10 seconds. Uses URLSession, which brings HTTPS, proxies from the environment and
    /// redirects for free.
    public static func push(_ m: RunMetrics, to url: String) throws {
        let target = try pushURL(base: url, job: m.job)
        let body = text(families(m, includeLastSuccess: m.status == "succeeded", jobLabel: false))

        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: pushTimeout)
        request.httpMethod = "POST"
        request.setValue("text/plain; version=0.0.4; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = pushTimeout
        configuration.timeoutIntervalForResource = pushTimeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }

        let outcome = PushOutcome()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            outcome.set(data: data, response: response, error: error)
            done.signal()
        }
        task.resume()
        // The session's own timeout fires first; this one only guards against a callback that never comes.
        if done.wait(timeout: .now() + pushTimeout + 5) == .timedOut {
            task.cancel()
            throw MetricsError("push to \(target.absoluteString) timed out after \(Int(pushTimeout)) s; check that the Pushgateway is reachable")
        }
        let (data, response, error) = outcome.get()
        if let error {
            throw MetricsError("push to \(target.absoluteString) failed: \(describe(error)); check the URL and that the Pushgateway is up")
        }
        guard let http = response as? HTTPURLResponse else {
            throw MetricsError("push to \(target.absoluteString) got no HTTP response; check the URL")
        }
        guard (200..<300).contains(http.statusCode) else {
            let detail = data.flatMap { String(data: $0, encoding: .utf8) }?
                .split(whereSeparator: \.isNewline).first.map { ": " + $0.prefix(200) } ?? ""
            throw MetricsError("push to \(target.absoluteString) answered HTTP \(http.statusCode)\(detail)")
        }
    }

    /// Transport errors in words: on Linux URLSession's own text is only "NSURLErrorDomain error -1001".
    static func describe(_ error: any Error) -> String {
        guard let e = error as? URLError else { return String(describing: error) }
        switch e.code {
        case .timedOut: return "no answer within \(Int(pushTimeout)) s"
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .networkConnectionLost: return "connection closed before the answer"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS handshake failed (URLError \(e.code.rawValue))"
        default: return "URLError \(e.code.rawValue)"
        }
    }

    /// `{base}/metrics/job/nightjar/nightjar_job/{job}`, the job name percent-encoded, or base64url
    /// with the `@base64` suffix when it contains a '/' (which even percent-encoded would split the
    /// path at the gateway) or is empty (which the gateway's router would drop).
    static func pushURL(base: String, job: String) throws -> URL {
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let baseURL = URL(string: trimmed), let scheme = baseURL.scheme?.lowercased(),
              scheme == "http" || scheme == "https", baseURL.host != nil
        else {
            throw MetricsError("Pushgateway URL \(base) is not an http(s) URL; give one like http://pushgateway:9091")
        }
        let segment: String
        if job.contains("/") || job.isEmpty {
            let encoded = Data(job.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            segment = "nightjar_job@base64/" + (encoded.isEmpty ? "=" : encoded)
        } else {
            // RFC 3986 unreserved characters; everything else is encoded.
            let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
            segment = "nightjar_job/" + (job.addingPercentEncoding(withAllowedCharacters: unreserved) ?? job)
        }
        guard let url = URL(string: trimmed + "/metrics/job/nightjar/" + segment) else {
            throw MetricsError("cannot build a push URL from \(base) and job \(job)")
        }
        return url
    }
}

/// Hands the completion handler's results to the waiting thread.
private final class PushOutcome: @unchecked Sendable {
    // Guarded by `lock`; the semaphore already orders the one write before the read, the lock
    // just makes that visible to the checker and to readers of the code.
    private let lock = NSLock()
    private var data: Data?
    private var response: URLResponse?
    private var error: (any Error)?

    func set(data: Data?, response: URLResponse?, error: (any Error)?) {
        lock.lock(); defer { lock.unlock() }
        self.data = data; self.response = response; self.error = error
    }

    func get() -> (Data?, URLResponse?, (any Error)?) {
        lock.lock(); defer { lock.unlock() }
        return (data, response, error)
    }
}
