import CreditLedger
import MeteringCore
import Testing

@Suite("alert conditions and the once-per-crossing latch")
struct AlertTests {
    static let t0 = Timestamp(seconds: 1_795_000_000)

    /// Runs observations through the latch as the collector does; returns
    /// the types fired at each step.
    static func run(_ steps: [AlertObservation], rules: [AlertRule], times: [Timestamp]? = nil) -> [[AlertType]] {
        var fired: Set<String> = []
        var out: [[AlertType]] = []
        for (i, o) in steps.enumerated() {
            let checks = Alerts.checks(o, rules: rules, now: times?[i] ?? t0)
            let (fire, rearm) = Alerts.latch(checks, fired: fired)
            for c in fire { fired.insert(c.key) }
            for k in rearm { fired.remove(k) }
            out.append(fire.map(\.type))
        }
        return out
    }

    static func member(balance: String, last: String? = nil) -> AlertObservation {
        var o = AlertObservation(subject: "member:alice")
        o.balance = Money(decimal: balance)
        o.lastAllocation = last.flatMap { Money(decimal: $0) }
        return o
    }

    @Test("low balance below an amount: once per crossing, again only after a recharge and a new crossing")
    func lowBalanceHysteresis() {
        let rules = [AlertRule(type: .lowBalance, amount: Money(decimal: "5.00"))]
        let fired = Self.run(
            ["10.00", "4.99", "3.00", "1.00", "20.00", "6.00", "4.00"].map { Self.member(balance: $0) }, rules: rules)
        #expect(fired == [[], [.lowBalance], [], [], [], [], [.lowBalance]])
    }

    @Test("low balance below a percentage of the last allocation")
    func lowBalancePercent() {
        let rules = [AlertRule(type: .lowBalance, percent: 20)]
        let fired = Self.run(
            [Self.member(balance: "30.00", last: "100.00"), Self.member(balance: "19.99", last: "100.00")], rules: rules)
        #expect(fired == [[], [.lowBalance]])
        let checks = Alerts.checks(Self.member(balance: "19.99", last: "100.00"), rules: rules, now: Self.t0)
        #expect(checks.first?.message == "member:alice: balance 19.9900 is below 20.0000")
    }

    @Test("projected time to empty from the burn rate of calls in progress")
    func timeToEmpty() {
        let rules = [AlertRule(type: .timeToEmpty, minutes: 30)]
        var quiet = Self.member(balance: "10.00")
        quiet.burnPerMinute = .zero
        var busy = Self.member(balance: "10.00")
        busy.burnPerMinute = Money(decimal: "0.50")!  // 20 minutes left
        var calm = Self.member(balance: "10.00")
        calm.burnPerMinute = Money(decimal: "0.30")!  // 33 minutes
        #expect(
            Self.run([quiet, calm, busy, busy, calm, busy], rules: rules) == [[], [], [.timeToEmpty], [], [], [.timeToEmpty]])
    }

    @Test("credit exhausted, spend cap, channels full and bursting")
    func others() {
        let rules = [
            AlertRule(type: .creditExhausted), AlertRule(type: .spendCap), AlertRule(type: .channelsFull),
            AlertRule(type: .channelsBursting),
        ]
        var a = AlertObservation(subject: "profile:alice-trunk")
        a.balance = Money(decimal: "1.00")
        a.channels = 10
        a.channelsInUse = 9
        var b = a
        b.exhausted = true
        b.capReached = "daily"
        b.channelsInUse = 10
        var c = b
        c.channelsInUse = 11
        let fired = Self.run([a, b, c, c, a, c], rules: rules)
        #expect(fired[0].isEmpty)
        #expect(Set(fired[1]) == [.creditExhausted, .spendCap, .channelsFull])
        #expect(fired[2] == [.channelsBursting])
        #expect(fired[3].isEmpty)
        #expect(fired[4].isEmpty)
        #expect(Set(fired[5]) == [.creditExhausted, .spendCap, .channelsFull, .channelsBursting])
    }

    @Test("the group balance can't cover the auto-recharges, or one failed")
    func autoRecharge() {
        let rules = [AlertRule(type: .autoRechargeShort)]
        var g = AlertObservation(subject: "group")
        g.balance = Money(decimal: "100.00")
        g.autoRechargeNeed = Money(decimal: "50.00")
        var short = g
        short.balance = Money(decimal: "40.00")
        var failed = g
        failed.autoRechargeFailed = true
        #expect(
            Self.run([g, short, short, g, failed], rules: rules) == [[], [.autoRechargeShort], [], [], [.autoRechargeShort]])
    }

    @Test("an agent silent for N minutes, by the injected clock")
    func agentSilent() {
        let rules = [AlertRule(type: .agentSilent, minutes: 10)]
        var o = AlertObservation(subject: "agent:edge")
        o.lastSeen = Self.t0
        let times = [Self.t0.adding(seconds: 599), Self.t0.adding(seconds: 600), Self.t0.adding(seconds: 1200)]
        #expect(Self.run([o, o, o], rules: rules, times: times) == [[], [.agentSilent], []])
        var back = o
        back.lastSeen = Self.t0.adding(seconds: 1300)
        #expect(
            Self.run(
                [o, back, back], rules: rules, times: [times[1], Self.t0.adding(seconds: 1301), Self.t0.adding(seconds: 1900)])
                == [[.agentSilent], [], [.agentSilent]])
    }

    @Test("a subject's override wins over the group default of the same type")
    func overrides() {
        let defaults = [AlertRule(type: .lowBalance, amount: Money(decimal: "5.00")), AlertRule(type: .creditExhausted)]
        let overrides = [AlertRule(type: .lowBalance, amount: Money(decimal: "50.00"))]
        let rules = Alerts.effective(defaults: defaults, overrides: overrides)
        #expect(rules.count == 2)
        #expect(rules.first { $0.type == .lowBalance }?.amount == Money(decimal: "50.00"))
    }
}
