import Foundation
import GRDB
import MeteringCore
import MeteringStore
import Testing

/// For random ledgers over three months, every report's totals equal the
/// ledger's movements of its month, read straight from the ledger table.
@Suite("Report totals reconcile with the ledger")
struct ReportPropertyTests {
    static let months = [202610, 202611, 202612]

    /// A random instant in `month`.
    static func instant(_ month: Int, _ rng: inout SplitMix64) -> Timestamp {
        let start = Timestamp.monthStart(month).microseconds
        let end = Timestamp.monthEnd(month).microseconds
        return Timestamp(microseconds: Int64.random(in: start..<end, using: &rng))
    }

    @Test(
        "Summary, Purchases, Allocations and Usage totals = ledger movements of the month",
        arguments: [1, 2, 3, 4, 5] as [UInt64])
    func reconciles(seed: UInt64) async throws {
        var rng = SplitMix64(state: seed)
        let f = try await Fixture.make(.onDisk)
        defer { f.removeFiles() }
        let csv = LedgerPropertyTests.randomDeck(&rng, count: 30)
        _ = try await f.store.putRateDeck(group: f.group, name: "standard", csv: csv, entries: 30, now: Fixture.now)
        _ = try await f.store.addBundle(
            group: f.group, profile: "alice-trunk", name: "b", minutes: Int64.random(in: 1...20, using: &rng),
            prefixes: [String(Int.random(in: 1...9, using: &rng))], now: Fixture.now)
        for month in Self.months {
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                _ = try await f.store.recordPurchase(
                    group: f.group, amount: Money(units: Int64.random(in: 1...5_000_000, using: &rng)), reference: "p",
                    now: Self.instant(month, &rng))
            }
            for _ in 0..<8 {
                let target: AllocationTarget = [.member("alice"), .member("bob"), .profile("bob-trunk")]
                    .randomElement(using: &rng)!
                let units = Int64.random(in: -100_000...900_000, using: &rng)
                guard units != 0 else { continue }
                // Some are refused (more than the group or the target holds): part of the property.
                _ = try? await f.store.allocate(
                    group: f.group, to: target, amount: Money(units: units), now: Self.instant(month, &rng))
            }
        }
        var records: [CallRecord] = []
        for i in 0..<240 {
            let month = Self.months.randomElement(using: &rng)!
            records.append(
                Fixture.call(
                    "r\(i)", profile: Bool.random(using: &rng) ? "alice-trunk" : "bob-trunk",
                    callee: String(Int.random(in: 1...999, using: &rng)) + String(Int.random(in: 100_000...999_999, using: &rng)),
                    ms: Int64.random(in: 0...400_000, using: &rng),
                    disposition: Int.random(in: 0..<5, using: &rng) == 0 ? .busy : .answered,
                    setup: Self.instant(month, &rng)))
        }
        // Ingested in December: what counts is the month a call was set up.
        _ = try await f.store.ingest(records: records, agent: f.agent, decks: RateDeckCache(), now: Fixture.now)

        let db = try DatabaseQueue(path: try #require(f.directory).appendingPathComponent("collector.db").path)
        for month in Self.months {
            let (from, to) = (Timestamp.monthStart(month).microseconds, Timestamp.monthEnd(month).microseconds)
            let ledger = try await db.read { db in
                let purchases = try Int64.fetchOne(
                    db,
                    sql:
                        "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'purchase' AND created_at >= ? AND created_at < ?",
                    arguments: [from, to])!
                // What members and profiles gained by allocations and take-backs (the group's side mirrors it).
                let allocated = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT COALESCE(SUM(l.amount), 0) FROM ledger l JOIN account a ON a.id = l.account_id
                        WHERE l.kind IN ('allocation', 'take_back') AND a.kind <> 'group' AND l.created_at >= ? AND l.created_at < ?
                        """, arguments: [from, to])!
                let charged = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT COALESCE(-SUM(l.amount), 0) FROM ledger l JOIN rated_call c ON c.seq = l.call_seq
                        WHERE l.kind = 'call_charge' AND c.setup_time >= ? AND c.setup_time < ?
                        """, arguments: [from, to])!
                return (purchases, allocated, charged)
            }
            let summary = try await f.store.summaryReport(group: f.group, month: month, scope: .group)
            let purchases = try await f.store.purchasesReport(group: f.group, month: month)
            let allocations = try await f.store.allocationsReport(group: f.group, month: month, scope: .group)
            #expect(purchases.total.units == ledger.0, "purchases \(month)")
            #expect(summary.purchases.units == ledger.0, "summary purchases \(month)")
            #expect(allocations.net.units == ledger.1, "allocations \(month)")
            #expect(summary.allocated.units == ledger.1, "summary allocated \(month)")
            #expect(summary.used.units == ledger.2, "summary used \(month)")
            var usageTotal = Money.zero
            for profile in ["alice-trunk", "bob-trunk"] {
                var q = UsageQuery(month: month, profile: profile)
                let whole = try await f.store.usageReport(group: f.group, query: q)
                #expect(whole.calls.reduce(Money.zero) { $0 + ($1.price ?? .zero) } == whole.totals.cost)
                #expect(Int64(whole.calls.count) == whole.totals.calls)
                // Page by page, the lines add up to the same totals.
                q.limit = 17
                var paged = Money.zero
                var pages = 0
                repeat {
                    let page = try await f.store.usageReport(group: f.group, query: q)
                    paged += page.calls.reduce(Money.zero) { $0 + ($1.price ?? .zero) }
                    q.after = page.next
                    pages += 1
                } while q.after != nil && pages < 100
                #expect(paged == whole.totals.cost)
                usageTotal += whole.totals.cost
            }
            #expect(usageTotal.units == ledger.2, "usage \(month)")
            // A member's Usage covers its profiles: bob's equals bob-trunk's.
            let bob = try await f.store.usageReport(group: f.group, query: UsageQuery(month: month, member: "bob"))
            let bobTrunk = try await f.store.usageReport(group: f.group, query: UsageQuery(month: month, profile: "bob-trunk"))
            #expect(bob.totals == bobTrunk.totals)
        }
    }
}
