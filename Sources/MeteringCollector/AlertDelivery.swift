internal import AsyncHTTPClient
internal import Crypto
internal import Foundation
public import Logging
public import MeteringCore
internal import MeteringStore
internal import NIOCore

/// Delivers the webhook outbox: each alert is POSTed as JSON with
/// `X-Sipmeter-Signature: sha256=<hex HMAC-SHA256 of the body with the
/// webhook's secret>`. A delivery that fails is retried with exponential
/// backoff (1 s doubling up to 1 h, with jitter); the outbox lives in the
/// database, so a restart loses none.
public struct WebhookDeliverer: Sendable {
    let collector: Collector
    let logger: Logger

    public init(collector: Collector, logger: Logger) {
        self.collector = collector
        self.logger = logger
    }

    public static func signature(body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static func backoff(attempts: Int) -> Int64 {
        let base = Int64(1) << Int64(min(attempts, 12))
        let capped = min(base, 3600)
        return capped + Int64.random(in: 0...max(capped / 4, 1))
    }

    /// Delivers what is due; returns how many were delivered.
    @discardableResult
    public func deliverDue(now: Timestamp) async throws -> Int {
        let due = try await collector.store.dueWebhooks(now: now, limit: 50)
        var delivered = 0
        for d in due {
            var request = HTTPClientRequest(url: d.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "X-Sipmeter-Signature", value: Self.signature(body: d.body, secret: d.secret))
            request.body = .bytes(ByteBuffer(bytes: d.body))
            var error: String?
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if !(200..<300).contains(response.status.code) { error = "HTTP \(response.status.code)" }
            } catch let e {
                error = "\(e)".split(separator: "\n").first.map(String.init) ?? "failed"
            }
            let ok = error == nil
            try await collector.store.webhookAttempted(
                id: d.id, delivered: ok, error: error, retryAt: now.adding(seconds: Self.backoff(attempts: d.attempts)),
                now: collector.clock())
            collector.metrics.webhook(ok ? "delivered" : "failed")
            if ok {
                delivered += 1
            } else {
                logger.warning(
                    "webhook delivery failed; will retry", metadata: ["attempts": "\(d.attempts + 1)", "error": "\(error ?? "")"])
            }
        }
        return delivered
    }
}

extension Collector {
    /// The background loop of `serve`: alerts of groups whose money moved
    /// every half second, of every group every 10 s, and webhook deliveries.
    public func runAlertLoop(logger: Logger, isStopping: @Sendable () -> Bool) async {
        let deliverer = WebhookDeliverer(collector: self, logger: logger)
        var round = 0
        while !isStopping() {
            do {
                let fired = try await evaluateAlerts(all: round % 20 == 0, now: clock())
                for a in fired {
                    logger.warning("alert", metadata: ["type": "\(a.type.rawValue)", "subject": "\(a.subject)"])
                }
                try await deliverer.deliverDue(now: clock())
            } catch {
                logger.error("alert evaluation failed", metadata: ["error": "\(error)"])
            }
            round += 1
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
