import MeteringCore
import MeteringStore
import RatingEngine
import Testing

/// A small seedable generator (SplitMix64) so a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Ledger properties over random decks, calls and allocations")
struct LedgerPropertyTests {
    /// A random deck of `count` distinct prefixes with 6-decimal rates.
    static func randomDeck(_ rng: inout SplitMix64, count: Int) -> String {
        var csv = "prefix,description,rate_per_minute,connect_fee,initial_seconds,increment_seconds\n"
        var used: Set<String> = []
        while used.count < count {
            let prefix = String(Int.random(in: 1...999, using: &rng))
            guard used.insert(prefix).inserted else { continue }
            let rate = FixedDecimal.format(Int64.random(in: 0...3_000_000, using: &rng), scale: 6)
            let fee = Bool.random(using: &rng) ? "0" : FixedDecimal.format(Int64.random(in: 0...50_000, using: &rng), scale: 6)
            let initial = [0, 1, 6, 30, 60].randomElement(using: &rng)!
            let increment = [1, 6, 30, 60].randomElement(using: &rng)!
            csv += "\(prefix),P\(prefix),\(rate),\(fee),\(initial),\(increment)\n"
        }
        return csv
    }

    @Test(
        "sum of rated prices = sum of ledger debits = change of balances, to the unit",
        arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func reconciles(seed: UInt64) async throws {
        var rng = SplitMix64(state: seed)
        let f = try await Fixture.make()
        let csv = Self.randomDeck(&rng, count: 40)
        _ = try await f.store.putRateDeck(group: f.group, name: "standard", csv: csv, entries: 40, now: Fixture.now)
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "1000")!, reference: "", now: Fixture.now)
        if Bool.random(using: &rng) {
            _ = try await f.store.addBundle(
                group: f.group, profile: "alice-trunk", name: "b", minutes: Int64.random(in: 1...30, using: &rng),
                prefixes: [String(Int.random(in: 1...9, using: &rng))], now: Fixture.now)
        }
        // Random allocations and take-backs (some refused: that is part of the property).
        for _ in 0..<10 {
            let target: AllocationTarget = [.member("alice"), .member("bob"), .profile("bob-trunk")].randomElement(using: &rng)!
            let units = Int64.random(in: -50_000...400_000, using: &rng)
            guard units != 0 else { continue }
            _ = try? await f.store.allocate(group: f.group, to: target, amount: Money(units: units), now: Fixture.now)
        }
        let before = try await f.store.ledgerTotals(group: f.group)
        let balancesBefore = before.balances.values.reduce(Money.zero, +)
        var records: [CallRecord] = []
        for i in 0..<300 {
            let callee = String(Int.random(in: 1...999, using: &rng)) + String(Int.random(in: 1_000_000...9_999_999, using: &rng))
            let disposition: Disposition = Int.random(in: 0..<5, using: &rng) == 0 ? .busy : .answered
            let ms = Int64.random(in: 0...7_200_000, using: &rng)
            let direction: Direction = Int.random(in: 0..<10, using: &rng) == 0 ? .inbound : .outbound
            records.append(
                Fixture.call(
                    "r\(i)", profile: Bool.random(using: &rng) ? "alice-trunk" : "bob-trunk", callee: callee, ms: ms,
                    disposition: disposition, direction: direction))
        }
        // Several batches, with every record sent a second time.
        for chunk in stride(from: 0, to: records.count, by: 70) {
            let slice = Array(records[chunk..<min(records.count, chunk + 70)])
            _ = try await f.store.ingest(records: slice, agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
            _ = try await f.store.ingest(records: slice, agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        }
        let after = try await f.store.ledgerTotals(group: f.group)
        let month = records[0].setupTime.monthKey
        var calls: [RatedCallInfo] = []
        var cursor: CallCursor?
        repeat {
            let page = try await f.store.calls(
                group: f.group, query: CallQuery(from: .monthStart(month), to: .monthEnd(month), limit: 97, after: cursor))
            calls += page.calls
            cursor = page.next
        } while cursor != nil
        #expect(calls.count == records.count)
        let priced = calls.compactMap(\.price).reduce(Money.zero, +)
        #expect(priced == -after.callCharges)
        #expect(balancesBefore - after.balances.values.reduce(Money.zero, +) == priced)
        for (account, balance) in after.balances {
            #expect(after.ledger[account, default: .zero] == balance, "account \(account): balance ≠ sum of its ledger")
        }
        // Each price is the deck's price for the seconds not paid by a bundle, rounded once.
        let deck = try RateDeck(csv: csv)
        for call in calls {
            guard let price = call.price, call.billedSeconds > 0, let prefix = call.prefix else { continue }
            let entry = deck.entries.first { $0.prefix == prefix }!
            let charged = call.billedSeconds - call.bundleSeconds
            let expected =
                charged > 0
                ? Rating.price(seconds: charged, ratePerMinute: entry.ratePerMinute, connectFee: entry.connectFee) : .zero
            #expect(price == expected)
        }
    }
}
