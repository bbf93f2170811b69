import GRDB
import MeteringCore
@testable import MeteringStore
import Testing

@Suite("Store: ledger, allocations, charging")
struct StoreTests {
    @Test("migrations are named and applied in order", arguments: Fixture.Kind.allCases)
    func migrations(_ kind: Fixture.Kind) async throws {
        let f = try await Fixture.make(kind)
        defer { f.removeFiles() }
        #expect(
            try f.store.appliedMigrations() == [
                "v1-groups-members-profiles", "v1-money-and-calls", "v2-active-calls", "v3-enforcement-and-alerts",
                "v4-reports-and-consent",
            ])
    }

    @Test(
        "a take-back can't take more than the target holds; an allocation can't exceed the group balance",
        arguments: Fixture.Kind.allCases)
    func allocationLimits(_ kind: Fixture.Kind) async throws {
        let f = try await Fixture.make(kind)
        defer { f.removeFiles() }
        await #expect(throws: StoreError.self) {
            _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "1")!, now: Fixture.now)
        }
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "50")!, reference: "PO-1", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "30")!, now: Fixture.now)
        do {
            _ = try await f.store.allocate(
                group: f.group, to: .member("alice"), amount: Money(decimal: "-30.0001")!, now: Fixture.now)
            Issue.record("take-back beyond the balance was accepted")
        } catch let error as StoreError {
            #expect(error.description == "the target holds 30.0000, less than the 30.0001 to take back")
        }
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "-10")!, now: Fixture.now)
        let b = try await f.store.balances(group: f.group)
        #expect(b.group.description == "30.0000")
        #expect(b.members.first { $0.name == "alice" }?.balance.description == "20.0000")
        let allocations = try await f.store.allocations(group: f.group)
        #expect(allocations.map(\.amount.description) == ["30.0000", "-10.0000"])
        await #expect(throws: StoreError.notFound("no member named carol")) {
            _ = try await f.store.allocate(group: f.group, to: .member("carol"), amount: Money(decimal: "1")!, now: Fixture.now)
        }
    }

    @Test("a profile with its own allocation pays its calls; otherwise the owner member pays")
    func chargingTarget() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "100")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "10")!, now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("bob"), amount: Money(decimal: "10")!, now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .profile("bob-trunk"), amount: Money(decimal: "5")!, now: Fixture.now)
        let result = try await f.store.ingest(
            records: [Fixture.call("a1", profile: "alice-trunk"), Fixture.call("b1", profile: "bob-trunk")],
            agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        #expect(result.accepted == 2)
        let b = try await f.store.balances(group: f.group)
        // 90 s to 44: 60 + 30 = 90 billed at 0.021/min = 0.0315.
        #expect(b.members.first { $0.name == "alice" }?.balance.description == "9.9685")
        #expect(b.members.first { $0.name == "bob" }?.balance.description == "10.0000")
        #expect(b.profiles.map(\.name) == ["bob-trunk"])
        #expect(b.profiles[0].balance.description == "4.9685")
    }

    @Test("a call costing more than what is left is still charged: negative balance, exhausted")
    func overdraw() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "1")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "0.01")!, now: Fixture.now)
        let result = try await f.store.ingest(
            records: [Fixture.call("long", ms: 600_000)], agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        #expect(result.accepted == 1)
        #expect(result.exhaustedAccounts == 1)
        let alice = try await f.store.balances(group: f.group).members.first { $0.name == "alice" }
        #expect(alice?.balance.description == "-0.2000")
        #expect(alice?.exhausted == true)
        // Credit brings it back above zero and clears the mark.
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "0.5")!, now: Fixture.now)
        let after = try await f.store.balances(group: f.group).members.first { $0.name == "alice" }
        #expect(after?.balance.description == "0.3000")
        #expect(after?.exhausted == false)
    }

    @Test("records are rejected one by one: unknown profile, no profile, bad fields")
    func rejections() async throws {
        let f = try await Fixture.make()
        var negative = Fixture.call("neg")
        negative.durationMs = -1
        var future = Fixture.call("future", setup: Timestamp(seconds: 253_370_764_800))  // 9999-01-01
        future.endTime = future.setupTime
        let result = try await f.store.ingest(
            records: [
                Fixture.call("ok"), Fixture.call("other", profile: "carol-trunk"), Fixture.call("none", profile: nil), negative,
                future,
            ],
            agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        #expect(result.accepted == 1)
        #expect(
            result.rejected == [
                .init(id: "other", error: "this agent's token is not bound to SIP Profile carol-trunk"),
                .init(id: "none", error: "profile is null: the call matched no SIP Profile"),
                .init(id: "neg", error: "duration_ms must not be negative"),
                .init(id: "future", error: "setup_time is more than a day in the future"),
            ])
    }

    @Test("unrated calls are stored with no price and counted; unanswered and inbound calls cost 0")
    func unratedAndFree() async throws {
        let f = try await Fixture.make()
        let result = try await f.store.ingest(
            records: [
                Fixture.call("u", callee: "81312345678"), Fixture.call("busy", disposition: .busy),
                Fixture.call("in", direction: .inbound),
            ], agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        #expect(result.accepted == 3)
        #expect(result.unrated == 1)
        let month = Fixture.call("x").setupTime.monthKey
        let (calls, _) = try await f.store.calls(group: f.group, query: CallQuery(from: .monthStart(month), to: .monthEnd(month)))
        let byID = Dictionary(uniqueKeysWithValues: calls.map { ($0.id, $0) })
        #expect(byID["u"]?.price == nil)
        #expect(byID["u"]?.billedSeconds == 90)
        #expect(byID["busy"]?.price == .zero)
        #expect(byID["in"]?.price == .zero)
        #expect(byID["in"]?.billedSeconds == 0)
    }

    @Test("bundles: seconds come out of the allowance first, per month, and usage is kept")
    func bundles() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.addBundle(
            group: f.group, profile: "alice-trunk", name: "uk", minutes: 2, prefixes: ["44"], now: Fixture.now)
        let october = Timestamp(seconds: 1_792_000_000)  // 2026-10
        let result = try await f.store.ingest(
            records: [
                Fixture.call("b1", ms: 90_000), Fixture.call("b2", ms: 60_000), Fixture.call("b3", ms: 60_000),
                Fixture.call("oct", ms: 60_000, setup: october),
            ], agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        #expect(result.accepted == 4)
        let month = Fixture.call("x").setupTime.monthKey
        let (calls, _) = try await f.store.calls(group: f.group, query: CallQuery(from: .monthStart(month), to: .monthEnd(month)))
        #expect(calls.map(\.bundleSeconds) == [90, 30, 0])
        #expect(calls.map { $0.price?.description } == ["0.0000", "0.0105", "0.0210"])
        let usage = try await f.store.bundles(group: f.group, month: month)
        #expect(usage.map(\.secondsUsed) == [120])
        #expect(try await f.store.bundles(group: f.group, month: october.monthKey).map(\.secondsUsed) == [60])
    }

    @Test("names are unique within a group; unknown references are named")
    func conflicts() async throws {
        let f = try await Fixture.make()
        await #expect(throws: StoreError.conflict("a member named alice already exists")) {
            _ = try await f.store.addMember(group: f.group, name: "alice", kind: .business, now: Fixture.now)
        }
        await #expect(throws: StoreError.self) {
            _ = try await f.store.addProfile(group: f.group, name: "x", member: "alice", rateDeck: "missing", now: Fixture.now)
        }
        await #expect(throws: StoreError.notFound("no SIP Profile named nope")) {
            _ = try await f.store.addAgent(group: f.group, name: "a2", profiles: ["nope"], now: Fixture.now)
        }
    }
}

@Suite("Store: groups and the append-only ledger")
struct GroupIsolationTests {
    @Test("two groups in one collector: tokens, names and record ids are each group's own")
    func twoGroups() async throws {
        let f = try await Fixture.make()
        let (other, otherAdmin) = try await f.store.createGroup(name: "globex", currency: "EUR", now: Fixture.now)
        #expect(try await f.store.authenticate(token: otherAdmin)?.groupID == other.id)
        #expect(try await f.store.authenticate(token: f.adminToken)?.groupID == f.group)
        // The same names are free in the other group.
        _ = try await f.store.putRateDeck(group: other.id, name: "standard", csv: Fixture.deckCSV, entries: 4, now: Fixture.now)
        _ = try await f.store.addMember(group: other.id, name: "alice", kind: .business, now: Fixture.now)
        _ = try await f.store.addProfile(
            group: other.id, name: "alice-trunk", member: "alice", rateDeck: "standard", now: Fixture.now)
        let (_, otherAgentToken) = try await f.store.addAgent(
            group: other.id, name: "edge", profiles: ["alice-trunk"], now: Fixture.now)
        let otherAgent = try #require(try await f.store.authenticate(token: otherAgentToken))
        // The same record id is a different call in each group.
        let a = try await f.store.ingest(
            records: [Fixture.call("same")], agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        let b = try await f.store.ingest(
            records: [Fixture.call("same")], agent: otherAgent, decks: RateDeckCache(), now: Fixture.now)
        #expect(a.accepted == 1 && b.accepted == 1)
        #expect(try await f.store.members(group: other.id).map(\.name) == ["alice"])
        #expect(try await f.store.members(group: f.group).map(\.name) == ["alice", "bob"])
        #expect(try await f.store.balances(group: other.id).members[0].balance.description == "-0.0315")
        #expect(try await f.store.authenticate(token: "smk_nope") == nil)
    }

    /// Ingest turns SQLite's foreign key checks off for its own transaction
    /// (every reference it writes was read in that transaction): they must
    /// be back on for every other write on the connection.
    @Test("foreign keys are enforced again after an ingest")
    func foreignKeysAfterIngest() async throws {
        let f = try await Fixture.make()
        defer { f.removeFiles() }
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "100")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "10")!, now: Fixture.now)
        let result = try await f.store.ingest(
            records: [Fixture.call("fk1", profile: "alice-trunk")], agent: f.agent, decks: RateDeckCache(), now: Fixture.now)
        #expect(result.accepted == 1)
        #expect(try await f.store.writer.write { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") } == true)
        await #expect(throws: (any Error).self) {
            try await f.store.writer.write { db in
                try db.execute(
                    sql: "INSERT INTO ledger (group_id, account_id, kind, amount, created_at) VALUES (?, 999999, 'refund', 1, 0)",
                    arguments: [f.group])
            }
        }
        // The charge references the stored call, and the account exists.
        let orphans = try await f.store.writer.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM ledger l
                    WHERE (l.call_seq IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rated_call c WHERE c.seq = l.call_seq))
                       OR NOT EXISTS (SELECT 1 FROM account a WHERE a.id = l.account_id)
                    """)
        }
        #expect(orphans == 0)
    }

    @Test("the ledger refuses UPDATE and DELETE")
    func appendOnly() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "5")!, reference: "", now: Fixture.now)
        await #expect(throws: (any Error).self) {
            try await f.store.writer.write { db in try db.execute(sql: "UPDATE ledger SET amount = 0") }
        }
        await #expect(throws: (any Error).self) {
            try await f.store.writer.write { db in try db.execute(sql: "DELETE FROM ledger") }
        }
        #expect(try await f.store.ledgerTotals(group: f.group).ledger.values.reduce(Money.zero, +).description == "5.0000")
    }
}
