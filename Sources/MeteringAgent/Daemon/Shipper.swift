internal import AsyncHTTPClient
internal import Foundation
public import Logging
public import MeteringCore
internal import NIOCore
internal import NIOHTTP1
internal import NIOSSL

/// Sends spooled records to the collector: batches by size and interval,
/// gzip, bearer token, several URLs with failover, exponential backoff with
/// jitter, `Retry-After` on 429/503. A record leaves the spool only once the
/// collector acknowledged it (accepted or duplicate); one it rejects goes to
/// the dead-letter table.
public final class Shipper: Sendable {
    let config: AgentConfig
    let spool: Spool
    let metrics: AgentMetrics
    let logger: Logger
    let client: HTTPClient

    let events: CallEventQueue

    public init(config: AgentConfig, spool: Spool, metrics: AgentMetrics, logger: Logger, events: CallEventQueue) throws {
        self.events = events
        self.config = config
        self.spool = spool
        self.metrics = metrics
        self.logger = logger
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = config.collector.caFile {
            tls.trustRoots = .file(ca)
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // A refused connection fails at once: the shipper's own backoff and
        // failover decide when and where to try again. AsyncHTTPClient's
        // default retries inside the request until its 8 s timeout, so the
        // agent took about 10 s to notice a collector that came back.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// What one attempt to ship a batch came to.
    enum Outcome: Equatable {
        case idle
        case shipped(Int)
        /// Wait this long before the next attempt.
        case retry(after: Duration)
    }

    /// Ships until cancelled. `draining` says the agent is stopping: ship
    /// whatever waits, without waiting for a full batch.
    public func run(isDraining: @Sendable () -> Bool) async {
        var state = ShipState(batchSize: config.collector.batchSize)
        while !Task.isCancelled {
            await sendEvents(&state)
            switch await shipOnce(&state, force: isDraining()) {
            case .idle:
                if isDraining() { return }
                try? await Task.sleep(for: .milliseconds(50))
            case .shipped:
                state.failures = 0
            case .retry(let after):
                if isDraining() { return }
                try? await Task.sleep(for: after)
            }
        }
    }

    /// Exponential backoff with full jitter: 0.25 s · 2^n, at most 30 s.
    static func backoff(failures: Int) -> Duration {
        let ceiling = min(30_000.0, 250.0 * pow(2.0, Double(min(failures, 10))))
        return .milliseconds(Int64(Double.random(in: ceiling / 2...ceiling)))
    }

    /// Which URL is in use, how many attempts failed in a row, the batch size.
    struct ShipState {
        var urlIndex = 0
        var failures = 0
        var batchSize: Int
        /// When the spool gauges were last set.
        var gaugesAt = ContinuousClock.now - .seconds(10)
    }

    func shipOnce(_ state: inout ShipState, force: Bool) async -> Outcome {
        let head: (span: Int, oldest: Timestamp?)
        do {
            // The exact depth (a table scan) only for the gauges, once a second.
            if ContinuousClock.now - state.gaugesAt >= .seconds(1) {
                updateGauges(try spool.depth())
                state.gaugesAt = .now
            }
            head = try spool.head()
        } catch {
            logger.error("spool unreadable", metadata: ["error": "\(error)"])
            return .retry(after: .seconds(1))
        }
        guard head.span > 0 else { return .idle }
        let age = head.oldest.map { Timestamp.now().microseconds - $0.microseconds } ?? 0
        if !force, head.span < state.batchSize, age < Int64(config.collector.batchIntervalMs) * 1000 { return .idle }
        let batch: [(id: String, json: [UInt8])]
        do {
            batch = try spool.batch(limit: state.batchSize)
        } catch {
            return .retry(after: .seconds(1))
        }
        var body = Array("{\"records\":[".utf8)
        for (i, item) in batch.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: item.json)
        }
        body.append(contentsOf: Array("]}".utf8))
        let url = config.collector.urls[state.urlIndex % config.collector.urls.count]
        var request = HTTPClientRequest(url: url.absoluteString.trimmingSuffix("/") + "/v1/records")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(config.token())")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.body = .bytes(ByteBuffer(bytes: Gzip.compress(body, level: 1)))
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            // Short enough that a SIGTERM drain ends within 10 s.
            response = try await client.execute(request, timeout: .seconds(8))
            answer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        } catch {
            metrics.collectorErrors.increment()
            logger.warning("collector unreachable", metadata: ["url": "\(url.absoluteString)", "error": "\(error)"])
            state.urlIndex += 1
            state.failures += 1
            return .retry(after: Self.backoff(failures: state.failures))
        }
        metrics.shipLatency.record(ContinuousClock.now - started)
        let status = response.status.code
        switch status {
        case 200:
            return acknowledge(batch, answer: answer)
        case 429, 503:
            metrics.collectorErrors.increment()
            let seconds = response.headers.first(name: "Retry-After").flatMap(Int.init) ?? 1
            logger.notice("collector asks to wait", metadata: ["status": "\(status)", "retry_after_s": "\(seconds)"])
            return .retry(after: .seconds(max(1, min(seconds, 300))))
        case 413:
            state.batchSize = max(1, state.batchSize / 2)
            return .retry(after: .milliseconds(10))
        case 400:
            // The batch as a whole is unreadable: keep the records, visibly.
            let reason = String(buffer: answer)
            try? spool.acknowledge(
                delivered: [], rejected: batch.map { ($0.id, "collector answered 400: \(reason)") }, now: .now())
            metrics.recordsRejected.increment(by: Int64(batch.count))
            return .shipped(0)
        default:
            metrics.collectorErrors.increment()
            logger.warning("collector refused the batch", metadata: ["url": "\(url.absoluteString)", "status": "\(status)"])
            state.urlIndex += 1
            state.failures += 1
            return .retry(after: Self.backoff(failures: state.failures))
        }
    }

    /// Sends waiting live call events (best effort: on failure they wait
    /// for the next round; the final records supersede them anyway).
    func sendEvents(_ state: inout ShipState) async {
        let batch = events.take(limit: 1000)
        guard !batch.isEmpty else { return }
        var body = Array("{\"events\":[".utf8)
        for (i, e) in batch.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            var w = JSONObjectWriter()
            w.string("type", "answered")
            w.string("id", e.id)
            w.string("profile", e.profile)
            w.string("call_id", e.callID)
            w.string("callee", e.callee)
            w.time("answer_time", e.answerTime)
            body.append(contentsOf: w.finish())
        }
        body.append(contentsOf: Array("]}".utf8))
        let url = config.collector.urls[state.urlIndex % config.collector.urls.count]
        var request = HTTPClientRequest(url: url.absoluteString.trimmingSuffix("/") + "/v1/call-events")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(config.token())")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(8))
            _ = try await response.body.collect(upTo: 1 << 20)
            if response.status.code != 200 {
                metrics.collectorErrors.increment()
                if response.status.code >= 500 || response.status.code == 429 { events.putBack(batch) }
            }
        } catch {
            metrics.collectorErrors.increment()
            events.putBack(batch)
        }
    }

    private func acknowledge(_ batch: [(id: String, json: [UInt8])], answer: ByteBuffer) -> Outcome {
        struct Answer: Decodable {
            struct Rejected: Decodable {
                var id: String?
                var error: String
            }
            var accepted: Int
            var duplicates: Int
            var rejected: [Rejected]
        }
        guard let parsed = try? JSONDecoder().decode(Answer.self, from: Data(answer.readableBytesView)) else {
            metrics.collectorErrors.increment()
            return .retry(after: .seconds(1))
        }
        var rejected: [(id: String, error: String)] = []
        var rejectedIDs: Set<String> = []
        for r in parsed.rejected {
            guard let id = r.id else { continue }
            rejected.append((id, r.error))
            rejectedIDs.insert(id)
        }
        let delivered = batch.map(\.id).filter { !rejectedIDs.contains($0) }
        do {
            try spool.acknowledge(delivered: delivered, rejected: rejected, now: .now())
        } catch {
            logger.error("spool write failed after delivery", metadata: ["error": "\(error)"])
            return .retry(after: .seconds(1))
        }
        metrics.recordsShipped.increment(by: Int64(parsed.accepted))
        metrics.recordsDuplicate.increment(by: Int64(parsed.duplicates))
        metrics.recordsRejected.increment(by: Int64(rejected.count))
        if !rejected.isEmpty {
            logger.warning(
                "records rejected by the collector",
                metadata: ["count": "\(rejected.count)", "first_error": "\(rejected[0].error)"])
        }
        return .shipped(delivered.count)
    }

    private func updateGauges(_ depth: (count: Int, oldest: Timestamp?)) {
        metrics.spoolDepth.set(Double(depth.count))
        let age = depth.oldest.map { Double(Timestamp.now().microseconds - $0.microseconds) / 1e6 } ?? 0
        metrics.spoolOldestAge.set(age)
        metrics.spoolFull.set(Double(depth.count) / Double(config.spoolMaxRecords))
        if let letters = try? spool.deadLetterCount() { metrics.deadLetters.set(Double(letters)) }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
