import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import MeteringCollector
import MeteringCore
import MeteringStore
import NIOCore
import Testing

@Suite("Exactly-once charging")
struct IdempotencyTests {
    @Test("the same records sent twice, and from two connections at once, are charged once", arguments: Fixture.Kind.allCases)
    func once(_ kind: Fixture.Kind) async throws {
        let f = try await Fixture.make(kind)
        defer { f.removeFiles() }
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "100")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "50")!, now: Fixture.now)
        let records = (0..<500).map { Fixture.call("id\($0)", ms: Int64(1_000 + $0 * 997)) }
        let body = Fixture.batchJSON(records)
        let app = Application(router: Collector(store: f.store, clock: { Fixture.now }).router())
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = httpClient.shutdown() }
            func send() async throws -> [String: Any] {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/records")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(f.agentToken)")
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await httpClient.execute(request, timeout: .seconds(60))
                let data = try await response.body.collect(upTo: 1 << 20)
                return try JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any] ?? [:]
            }
            // Two connections at once.
            async let a = send()
            async let b = send()
            let (ra, rb) = try await (a, b)
            #expect((ra["accepted"] as? Int ?? 0) + (rb["accepted"] as? Int ?? 0) == 500)
            #expect((ra["duplicates"] as? Int ?? 0) + (rb["duplicates"] as? Int ?? 0) == 500)
            // And once more, later.
            let again = try await send()
            #expect(again["accepted"] as? Int == 0)
            #expect(again["duplicates"] as? Int == 500)
        }
        let totals = try await f.store.ledgerTotals(group: f.group)
        let (calls, _) = try await f.store.calls(
            group: f.group, query: CallQuery(from: .monthStart(202611), to: .monthEnd(202611), limit: 1000))
        #expect(calls.count == 500)
        let priced = calls.compactMap(\.price).reduce(Money.zero, +)
        #expect(-totals.callCharges == priced)
        let alice = try await f.store.balances(group: f.group).members.first { $0.name == "alice" }
        #expect(alice?.balance == Money(decimal: "50")! - priced)
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test("sixteen overlapping batches at once: every request answered, every call stored and charged once")
    func concurrentBatches() async throws {
        let f = try await Fixture.make(.onDisk)
        defer { f.removeFiles() }
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "100")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "100")!, now: Fixture.now)
        _ = try await f.store.addBundle(
            group: f.group, profile: "alice-trunk", name: "uk", minutes: 10, prefixes: ["44"], now: Fixture.now)
        // Batch i holds calls i*50 ..< i*50+100: each call is in two batches.
        let decks = RateDeckCache()
        let results = try await withThrowingTaskGroup(of: IngestResult.self) { group in
            for i in 0..<16 {
                group.addTask {
                    let records = (i * 50..<i * 50 + 100).map { Fixture.call("g\($0)", ms: Int64(30_000 + $0 * 10)) }
                    return try await f.store.ingest(records: records, agent: f.agent, decks: decks, now: Fixture.now)
                }
            }
            var all: [IngestResult] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.map(\.accepted).reduce(0, +) == 850)
        #expect(results.map(\.duplicates).reduce(0, +) == 750)
        let (calls, _) = try await f.store.calls(
            group: f.group, query: CallQuery(from: .monthStart(202611), to: .monthEnd(202611), limit: 1000))
        #expect(calls.count == 850)
        // The bundle's 600 s were spent once, never twice.
        #expect(calls.map(\.bundleSeconds).reduce(0, +) == 600)
        #expect(try await f.store.bundles(group: f.group, month: 202611).map(\.secondsUsed) == [600])
        let totals = try await f.store.ledgerTotals(group: f.group)
        #expect(-totals.callCharges == calls.compactMap(\.price).reduce(Money.zero, +))
        for (account, balance) in totals.balances {
            #expect(totals.ledger[account, default: .zero] == balance)
        }
    }
}
