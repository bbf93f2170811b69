import ArgumentParser
import CreditLedger
import Foundation
import Hummingbird
import Logging
import MeteringCollector
import MeteringCore
import MeteringStore
import NIOCore
import NIOEmbedded

/// The collector's own cost per request, in process: requests go straight
/// to the router's responder (middlewares, routing, handler, response body),
/// with no sockets and no HTTP parsing, so the figure is steady where a
/// loopback run on 2 shared cores is not. `POST /v1/authorize` is timed
/// beside `GET /healthz`; the difference is what authorization adds.
struct Respond: AsyncParsableCommand {
    @Option var requests = 200_000
    @Option(help: "Distinct Call-IDs cycled through (the reservations held).") var calls = 1_000
    @Option(help: "Sample rate deck (CSV).") var rates = "Samples/rates.csv"
    @Option var rounds = 3

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-respond-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("collector.db").path)
        let now = Timestamp.now()
        let (group, _) = try await store.createGroup(name: "bench", currency: "EUR", now: now)
        let csv = try String(contentsOfFile: rates, encoding: .utf8)
        _ = try await store.putRateDeck(
            group: group.id, name: "standard", csv: csv, entries: csv.split(separator: "\n").count - 1, now: now)
        _ = try await store.addMember(group: group.id, name: "alice", kind: .business, now: now)
        _ = try await store.addProfile(group: group.id, name: "alice-trunk", member: "alice", rateDeck: "standard", now: now)
        _ = try await store.recordPurchase(
            group: group.id, amount: Money(units: 1_000_000 * 10_000), reference: "bench", now: now)
        _ = try await store.allocate(group: group.id, to: .member("alice"), amount: Money(units: 100_000 * 10_000), now: now)
        var limits = Limits()
        limits.channels = 5_000
        limits.dailyCap = Money(units: 50_000 * 10_000)
        limits.maxCallSeconds = 3_600
        try await store.setLimits(group: group.id, target: .member("alice"), limits: limits, now: now)
        let (_, token) = try await store.addAgent(group: group.id, name: "bench", profiles: ["alice-trunk"], now: now)

        let responder = Collector(store: store).router().buildResponder()
        let logger = Logger(label: "bench")
        let bodies = (0..<calls).map {
            ByteBuffer(
                string: #"{"profile":"alice-trunk","caller":"1001","callee":"+442071234567","call_id":"c\#($0)"}"#)
        }
        let authorize = { (i: Int) in
            Request(
                head: HTTPRequest(
                    method: .post, scheme: "http", authority: "localhost", path: "/v1/authorize",
                    headerFields: [
                        .authorization: "Bearer \(token)", .contentType: "application/json",
                        .contentLength: "\(bodies[i % bodies.count].readableBytes)",
                    ]),
                body: RequestBody(buffer: bodies[i % bodies.count]))
        }
        let healthz = { (_: Int) in
            Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/healthz", headerFields: [:]),
                body: RequestBody(buffer: ByteBuffer()))
        }
        let first = try await responder.respond(
            to: authorize(0), context: CollectorContext(source: .init(channel: EmbeddedChannel(), logger: logger)))
        let kept = Kept()
        try await first.body.write(Sink(kept: kept))
        guard first.status == .ok, kept.text.contains("\"allow\":true") else {
            throw CLIFailure("the first authorization was not allowed: \(first.status) \(kept.text)")
        }
        for round in 0..<rounds {
            for (name, make) in [("GET /healthz", healthz), ("POST /v1/authorize", authorize)] {
                let channel = EmbeddedChannel()
                let start = ContinuousClock.now
                for i in 0..<requests {
                    let response = try await responder.respond(
                        to: make(i), context: CollectorContext(source: .init(channel: channel, logger: logger)))
                    try await response.body.write(Sink(kept: nil))
                }
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                print(
                    "round \(round + 1) \(name): \(String(format: "%.2f", seconds * 1e6 / Double(requests))) µs/request"
                        + " (\(Int(Double(requests) / seconds)) requests/s on one core, in process)")
            }
        }
    }
}

/// A response body writer that keeps what it is given in `kept`, if any.
struct Sink: ResponseBodyWriter {
    let kept: Kept?
    mutating func write(_ buffer: ByteBuffer) async throws { kept?.text += String(buffer: buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

final class Kept: @unchecked Sendable {
    var text = ""
}
