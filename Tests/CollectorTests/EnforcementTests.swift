import CreditLedger
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MeteringCollector
import MeteringCore
import MeteringStore
import NIOCore
import Testing

@Suite("Enforcement: authorization, exposure, alerts, auto-recharge")
struct EnforcementTests {
    static func collector(_ f: Fixture, now: Timestamp = Fixture.now) -> Collector {
        Collector(store: f.store, clock: { now })
    }

    /// A fixture whose group bought `purchase` and gave alice `alice`, her calls capped at `maxCallSeconds`.
    static func funded(purchase: String, alice: String, maxCallSeconds: Int64) async throws -> Fixture {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: purchase)!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: alice)!, now: Fixture.now)
        var limits = Limits()
        limits.maxCallSeconds = maxCallSeconds
        try await f.store.setLimits(group: f.group, target: .member("alice"), limits: limits, now: Fixture.now)
        return f
    }

    static func request(_ callID: String, callee: String = "442079460000") -> Authorizer.Request {
        .init(profile: "alice-trunk", caller: "1001", callee: callee, callID: callID)
    }

    @Test("200 concurrent authorizations against credit for 10 calls: the exposure granted never exceeds the credit")
    func exposureBound() async throws {
        // UK at 0.0210/min, calls capped at 10 min: 0.2100 each; credit for exactly 10.
        let f = try await Self.funded(purchase: "100", alice: "2.10", maxCallSeconds: 600)
        let c = Self.collector(f)
        let decisions = try await withThrowingTaskGroup(of: AuthorizationDecision.self) { tasks in
            for i in 0..<200 {
                tasks.addTask { try await c.authorizer.authorize(Self.request("c\(i)"), principal: f.agent, now: Fixture.now) }
            }
            var out: [AuthorizationDecision] = []
            for try await d in tasks { out.append(d) }
            return out
        }
        let allowed = decisions.filter(\.allow)
        let granted = allowed.reduce(Money.zero) { $0 + $1.exposure }
        #expect(granted <= Money(decimal: "2.10")!)
        #expect(allowed.count == 10)
        #expect(allowed.allSatisfy { $0.maxDurationSeconds == 600 })
        #expect(decisions.filter { !$0.allow }.allSatisfy { $0.reason == .creditExhausted })
        // A final record ends a reservation: its exposure is free again (the charge is on the balance).
        let held = c.authorizer.reservations(group: f.group).map(\.callID).sorted()
        #expect(held.count == 10)
        c.authorizer.release(group: f.group, callIDs: Array(held.prefix(2)))
        #expect(c.authorizer.reservations(group: f.group).count == 8)
        let again = try await c.authorizer.authorize(Self.request("late"), principal: f.agent, now: Fixture.now)
        #expect(again.allow)
        // Stale authorizations expire after their longest call and a margin.
        let later = Fixture.now.adding(seconds: 600 + 121)
        _ = try await c.authorizer.authorize(Self.request("later"), principal: f.agent, now: later)
        #expect(c.authorizer.reservations(group: f.group).map(\.callID) == ["later"])
    }

    @Test("the same Call-ID asked twice (a retransmitted INVITE) reserves once")
    func retransmission() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "10")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "1")!, now: Fixture.now)
        let c = Self.collector(f)
        let a = try await c.authorizer.authorize(Self.request("x"), principal: f.agent, now: Fixture.now)
        let b = try await c.authorizer.authorize(Self.request("x"), principal: f.agent, now: Fixture.now)
        #expect(a == b)
        #expect(c.authorizer.reservations(group: f.group).count == 1)
    }

    /// The router alone, or the served application, whose event loops answer
    /// most authorizations before the router (`AuthorizeFastPath`).
    static func app(_ c: Collector, fastPath: Bool) -> any ApplicationProtocol {
        fastPath
            ? c.application(host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
            : Application(router: c.router())
    }

    @Test(
        "POST /v1/authorize: allowed with the rate, denied with a reason, unbound profiles refused (router, event-loop path)",
        arguments: [false, true])
    func route(fastPath: Bool) async throws {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "10")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "1")!, now: Fixture.now)
        let collector = Self.collector(f)
        try await Self.app(collector, fastPath: fastPath).test(.live) { client in
            let agent: HTTPFields = [.authorization: "Bearer \(f.agentToken)"]
            let admin: HTTPFields = [.authorization: "Bearer \(f.adminToken)"]
            func authorize(_ callee: String, _ headers: HTTPFields, profile: String = "alice-trunk") async throws -> TestResponse
            {
                try await client.executeRequest(
                    uri: "/v1/authorize", method: .post, headers: headers,
                    body: ByteBuffer(
                        string: #"{"profile":"\#(profile)","caller":"1001","callee":"\#(callee)","call_id":"k\#(callee)"}"#))
            }
            let ok = try await authorize("+442079460000", agent)
            #expect(ok.status == .ok)
            let body = RouteTests.object(ok.body)
            #expect(body["allow"] as? Bool == true)
            #expect((body["rate"] as? [String: Any])?["prefix"] as? String == "44")
            #expect((body["max_duration_s"] as? Int ?? 0) > 0)
            let none = RouteTests.object(try await authorize("8613800000000", agent).body)
            #expect(none["allow"] as? Bool == false)
            #expect(none["reason"] as? String == "no_rate")
            // Suspend alice: every call is refused with that reason.
            let put = try await client.executeRequest(
                uri: "/v1/limits/members/alice", method: .put, headers: admin, body: ByteBuffer(string: #"{"suspended":true}"#))
            #expect(put.status == .noContent)
            #expect(RouteTests.object(try await authorize("442079460001", agent).body)["reason"] as? String == "suspended")
            #expect(try await authorize("442079460000", agent, profile: "nobody").status == .notFound)
            // Bodies that are not the request: 400 with the field named, never a crash.
            for (body, says) in [
                (#"{"profile":"alice-trunk","callee":"44"}"#, "call_id is missing"),
                (#"{"profile":"alice-trunk","callee":44,"call_id":"x"}"#, "callee has the wrong type"),
                (#"{"profile":"alice-trunk","callee":"44","call_id":"x""#, "malformed JSON"),
                (#"["alice-trunk"]"#, "malformed JSON"),
                (#"{"profile":"alice-trunk","callee":"44","call_id":"x"} {}"#, "malformed JSON"),
            ] {
                let bad = try await client.executeRequest(
                    uri: "/v1/authorize", method: .post, headers: agent, body: ByteBuffer(string: body))
                #expect(bad.status == .badRequest, "\(body)")
                #expect((RouteTests.object(bad.body)["error"] as? String ?? "").contains(says), "\(body)")
            }
            // Escapes, unknown members and member order are read as JSON says.
            let escaped = try await client.executeRequest(
                uri: "/v1/authorize", method: .post, headers: agent,
                body: ByteBuffer(
                    string: #"{"x":{"y":[1,null]},"call_id":"k\u0031","callee":"+44207946\u00300000","caller":null,"#
                        + #""profile":"alice\u002dtrunk"}"#))
            // alice is suspended by now: the reason shows the profile was read through its escapes.
            #expect(escaped.status == .ok)
            #expect(RouteTests.object(escaped.body)["reason"] as? String == "suspended")
            let limits = RouteTests.object(
                try await client.executeRequest(uri: "/v1/limits", method: .get, headers: admin, body: nil).body)
            #expect((limits["limits"] as? [[String: Any]])?.first?["suspended"] as? Bool == true)
            // Every decision is counted, on either path; the event loop answered the valid ones.
            let metrics = String(
                buffer: try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil).body)
            #expect(metrics.contains(#"sipmeter_collector_authorizations_total{result="allowed"} 1"#))
            #expect(metrics.contains(#"sipmeter_collector_authorizations_total{result="suspended"} 2"#))
            #expect(metrics.contains(#"sipmeter_collector_authorizations_total{result="no_rate"} 1"#))
            // no_rate and the escaped body. The first call, and the first after the
            // limits changed, wait for a snapshot (router); so do the errors.
            #expect(
                metrics.split(separator: "\n").contains("sipmeter_collector_authorize_fast_path_total \(fastPath ? 2 : 0)"))
        }
    }

    @Test("alerts: low balance fires once per crossing with its webhook delivery queued; exhaustion after it")
    func alertsAndOutbox() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "10")!, reference: "", now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "0.10")!, now: Fixture.now)
        _ = try await f.store.allocate(group: f.group, to: .member("bob"), amount: Money(decimal: "1")!, now: Fixture.now)
        try await f.store.setWebhook(group: f.group, url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef", now: Fixture.now)
        try await f.store.setAlertRules(
            group: f.group,
            [
                AlertRuleInfo(target: nil, rule: AlertRule(type: .lowBalance, amount: Money(decimal: "0.05"))),
                AlertRuleInfo(target: nil, rule: AlertRule(type: .creditExhausted)),
            ])
        let c = Self.collector(f)
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).isEmpty)
        // 2 min to the UK at 0.0210: 0.0420 → balance 0.0580; then 3 min more → −0.0050.
        _ = try await f.store.ingest(records: [Fixture.call("a", ms: 120_000)], agent: f.agent, decks: c.decks, now: Fixture.now)
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).isEmpty)
        _ = try await f.store.ingest(records: [Fixture.call("b", ms: 60_000)], agent: f.agent, decks: c.decks, now: Fixture.now)
        let low = try await c.evaluateAlerts(group: f.group, now: Fixture.now)
        #expect(low.map(\.type) == [.lowBalance])
        #expect(low.first?.subject == "member:alice")
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).isEmpty)
        _ = try await f.store.ingest(records: [Fixture.call("c", ms: 180_000)], agent: f.agent, decks: c.decks, now: Fixture.now)
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).map(\.type) == [.creditExhausted])
        // A recharge re-arms both; a new crossing fires low balance again.
        _ = try await f.store.allocate(group: f.group, to: .member("alice"), amount: Money(decimal: "1")!, now: Fixture.now)
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).isEmpty)
        _ = try await f.store.ingest(
            records: [Fixture.call("d", ms: 2_700_000)], agent: f.agent, decks: c.decks, now: Fixture.now)
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).map(\.type) == [.lowBalance])
        let queued = try await f.store.dueWebhooks(now: Fixture.now, limit: 10)
        #expect(queued.count == 3)
        let first = try JSONSerialization.jsonObject(with: Data(queued[0].body)) as? [String: Any]
        #expect(first?["type"] as? String == "low_balance")
        #expect(first?["group"] as? String == "acme")
        let listed = try await f.store.alerts(group: f.group, limit: 10)
        #expect(listed.map(\.type) == [.lowBalance, .creditExhausted, .lowBalance])
    }

    @Test("auto-recharge moves credit below the threshold, at most the monthly limit, then alerts")
    func autoRecharge() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.recordPurchase(group: f.group, amount: Money(decimal: "20")!, reference: "", now: Fixture.now)
        try await f.store.setAutoRecharge(
            group: f.group,
            AutoRechargeInfo(
                target: .member("alice"), amount: Money(decimal: "4")!, threshold: Money(decimal: "1")!,
                monthlyLimit: Money(decimal: "8")!), now: Fixture.now)
        try await f.store.setAlertRules(group: f.group, [AlertRuleInfo(target: nil, rule: AlertRule(type: .autoRechargeShort))])
        let c = Self.collector(f)
        func alice() async throws -> Money {
            try await f.store.balances(group: f.group).members.first { $0.name == "alice" }!.balance
        }
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).isEmpty)
        #expect(try await alice() == Money(decimal: "4")!)
        // 3.5 h to the UK at 0.0210/min = 4.41: below the threshold → recharged again.
        _ = try await f.store.ingest(
            records: [Fixture.call("a", ms: 12_600_000)], agent: f.agent, decks: c.decks, now: Fixture.now)
        #expect(try await c.evaluateAlerts(group: f.group, now: Fixture.now).isEmpty)
        #expect(try await alice() == Money(decimal: "3.59")!)
        _ = try await f.store.ingest(
            records: [Fixture.call("b", ms: 12_600_000)], agent: f.agent, decks: c.decks, now: Fixture.now)
        // The monthly limit (8) is reached: no recharge, an alert instead.
        let fired = try await c.evaluateAlerts(group: f.group, now: Fixture.now)
        #expect(fired.map(\.type) == [.autoRechargeShort])
        #expect(try await alice() == Money(decimal: "-0.82")!)
        let balances = try await f.store.balances(group: f.group)
        #expect(balances.group == Money(decimal: "12")!)
        let configs = try await f.store.autoRecharges(group: f.group, now: Fixture.now)
        #expect(configs.first?.rechargedThisMonth == Money(decimal: "8")!)
    }

    @Test("the webhook signature is HMAC-SHA256 of the body (RFC 4231 test case 2)")
    func signature() {
        let body = Array("what do ya want for nothing?".utf8)
        #expect(
            WebhookDeliverer.signature(body: body, secret: "Jefe")
                == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
