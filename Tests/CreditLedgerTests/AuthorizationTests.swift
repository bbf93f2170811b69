import CreditLedger
import MeteringCore
import RatingEngine
import Testing

@Suite("pre-call authorization decisions")
struct AuthorizationTests {
    /// UK at 0.0600/min billed 60/6 with a 0.0100 connect fee; premium 0909; free 800.
    static let deck = try! RateDeck(entries: [
        RateDeckEntry(
            prefix: "44", description: "United Kingdom", ratePerMinute: Rate(micros: 60_000), connectFee: Rate(micros: 10_000),
            initialSeconds: 60, incrementSeconds: 6),
        RateDeckEntry(
            prefix: "44909", description: "UK premium", ratePerMinute: Rate(micros: 1_500_000), initialSeconds: 60,
            incrementSeconds: 60),
        RateDeckEntry(prefix: "1800", description: "US toll free", ratePerMinute: .zero, initialSeconds: 1, incrementSeconds: 1),
    ])
    static let uk = "+44 20 7123 4567"
    static let now = Timestamp(seconds: 1_795_000_000)

    static func context(balance: String = "10.00") -> AuthorizationContext {
        var c = AuthorizationContext()
        c.deck = deck
        c.balance = Money(decimal: balance)!
        c.now = now
        return c
    }

    @Test("allowed: max_duration_s is the longest call the credit pays, increments and connect fee included")
    func longestAffordable() {
        // 0.50 credit: 0.01 fee + 0.06/min. 8 min = 0.49, 8 min 6 s = 0.4960, 8 min 12 s = 0.4920+… exact search.
        let d = Authorization.decide(callee: Self.uk, Self.context(balance: "0.50"))
        #expect(d.allow && d.reason == nil)
        #expect(d.entry?.prefix == "44")
        let entry = d.entry!
        #expect(Authorization.cost(seconds: d.maxDurationSeconds, entry: entry, bundleSeconds: 0) <= Money(decimal: "0.50")!)
        #expect(Authorization.cost(seconds: d.maxDurationSeconds + 1, entry: entry, bundleSeconds: 0) > Money(decimal: "0.50")!)
        // 0.49 = 0.01 + 0.06·8: exactly 480 s; 486 s costs 0.4960, 492 s 0.5020 — so 486 s of calling (an increment ends at 486).
        #expect(d.maxDurationSeconds == 486)
        #expect(d.exposure == Money(decimal: "0.4960")!)
    }

    @Test("a bundle's seconds come first and cost nothing; the fee only when some part is charged")
    func bundleFirst() {
        var c = Self.context(balance: "0.0100")
        c.bundleSecondsLeft = 120
        let d = Authorization.decide(callee: Self.uk, c)
        // 120 s free; beyond that the first increment costs 0.01 + 0.006: over budget.
        #expect(d.allow)
        #expect(d.maxDurationSeconds == 120)
        #expect(d.exposure == .zero)
    }

    @Test("the maximum call duration caps max_duration_s; the shorter of profile's and member's")
    func durationCap() {
        var c = Self.context(balance: "100.00")
        c.profileLimits.maxCallSeconds = 3600
        c.memberLimits.maxCallSeconds = 1800
        let d = Authorization.decide(callee: Self.uk, c)
        #expect(d.maxDurationSeconds == 1800)
        #expect(d.exposure == Money(decimal: "1.8100")!)
        c.memberLimits.maxCallSeconds = nil
        #expect(Authorization.decide(callee: Self.uk, c).maxDurationSeconds == 3600)
        c.profileLimits.maxCallSeconds = nil
        #expect(Authorization.decide(callee: Self.uk, c).maxDurationSeconds == 4 * 3600)
    }

    @Test("credit_exhausted: at or below zero, or too little for one increment; an overdraft lets calls go on")
    func creditExhausted() {
        #expect(Authorization.decide(callee: Self.uk, Self.context(balance: "0")).reason == .creditExhausted)
        #expect(Authorization.decide(callee: Self.uk, Self.context(balance: "-1.00")).reason == .creditExhausted)
        // 0.05 pays no first minute (0.07).
        #expect(Authorization.decide(callee: Self.uk, Self.context(balance: "0.05")).reason == .creditExhausted)
        var c = Self.context(balance: "-1.00")
        c.overdraft = Money(decimal: "2.00")!
        let d = Authorization.decide(callee: Self.uk, c)
        #expect(d.allow)
        #expect(d.exposure <= Money(decimal: "1.00")!)
        // Reserved by calls in progress counts as spent.
        var r = Self.context(balance: "1.00")
        r.reservedOnAccount = Money(decimal: "0.98")!
        #expect(Authorization.decide(callee: Self.uk, r).reason == .creditExhausted)
    }

    @Test("daily_cap and monthly_cap: the cap left bounds the call; the tighter bound names the reason")
    func caps() {
        var c = Self.context(balance: "100.00")
        c.profileLimits.dailyCap = Money(decimal: "5.00")!
        c.profileSpentToday = Money(decimal: "5.00")!
        #expect(Authorization.decide(callee: Self.uk, c).reason == .dailyCap)
        c.profileSpentToday = Money(decimal: "4.9500")!
        #expect(Authorization.decide(callee: Self.uk, c).reason == .dailyCap)
        c.profileSpentToday = Money(decimal: "4.00")!
        let d = Authorization.decide(callee: Self.uk, c)
        #expect(d.allow && d.exposure <= Money(decimal: "1.00")!)
        var m = Self.context(balance: "100.00")
        m.memberLimits.monthlyCap = Money(decimal: "20.00")!
        m.memberSpentMonth = Money(decimal: "20.00")!
        #expect(Authorization.decide(callee: Self.uk, m).reason == .monthlyCap)
    }

    @Test("channels_full, and a burst above the channels for a while")
    func channels() {
        var c = Self.context()
        c.profileLimits.channels = 10
        c.profileChannelsInUse = 9
        #expect(Authorization.decide(callee: Self.uk, c).allow)
        c.profileChannelsInUse = 10
        #expect(Authorization.decide(callee: Self.uk, c).reason == .channelsFull)
        // +20% for up to 10 minutes at a stretch: 12 channels.
        c.profileLimits.burstPercent = 20
        c.profileLimits.burstWindowSeconds = 600
        let burst = Authorization.decide(callee: Self.uk, c)
        #expect(burst.allow && burst.bursting)
        c.profileChannelsInUse = 12
        #expect(Authorization.decide(callee: Self.uk, c).reason == .channelsFull)
        c.profileChannelsInUse = 11
        c.profileBurstingSince = Self.now.adding(seconds: -600)
        #expect(Authorization.decide(callee: Self.uk, c).reason == .channelsFull)
        c.profileBurstingSince = Self.now.adding(seconds: -599)
        #expect(Authorization.decide(callee: Self.uk, c).allow)
        var m = Self.context()
        m.memberLimits.channels = 2
        m.memberChannelsInUse = 2
        #expect(Authorization.decide(callee: Self.uk, m).reason == .channelsFull)
    }

    @Test("barred_destination: barred prefixes, and numbers outside the allowed ones")
    func barred() {
        var c = Self.context()
        c.profileLimits.barredPrefixes = ["44909"]
        #expect(Authorization.decide(callee: "00449091234567", c).reason == .barredDestination)
        #expect(Authorization.decide(callee: Self.uk, c).allow)
        c.memberLimits.allowedPrefixes = ["1"]
        #expect(Authorization.decide(callee: Self.uk, c).reason == .barredDestination)
        #expect(Authorization.decide(callee: "18005550100", c).allow)
    }

    @Test("no_rate: nothing in the deck matches")
    func noRate() {
        #expect(Authorization.decide(callee: "33142685300", Self.context()).reason == .noRate)
        var c = Self.context()
        c.deck = nil
        #expect(Authorization.decide(callee: Self.uk, c).reason == .noRate)
    }

    @Test("suspended: the profile or the member")
    func suspended() {
        var c = Self.context()
        c.memberLimits.suspended = true
        #expect(Authorization.decide(callee: Self.uk, c).reason == .suspended)
        c.memberLimits.suspended = false
        c.profileLimits.suspended = true
        #expect(Authorization.decide(callee: Self.uk, c).reason == .suspended)
    }

    @Test("cps_limit: calls granted in the last second")
    func cps() {
        var c = Self.context()
        c.profileLimits.callsPerSecond = 5
        c.profileCallsLastSecond = 4
        #expect(Authorization.decide(callee: Self.uk, c).allow)
        c.profileCallsLastSecond = 5
        #expect(Authorization.decide(callee: Self.uk, c).reason == .cpsLimit)
    }

    @Test("a free destination is allowed for the whole cap at no exposure")
    func free() {
        let d = Authorization.decide(callee: "18005550100", Self.context(balance: "0.01"))
        #expect(d.allow && d.maxDurationSeconds == 4 * 3600 && d.exposure == .zero)
    }

    @Test("property: for random credit, the exposure fits the budget and one second more would not")
    func searchIsExact() {
        var rng = SystemRandomNumberGenerator()
        for entry in Self.deck.entries where entry.ratePerMinute > .zero {
            for _ in 0..<300 {
                let budget = Money(units: Int64.random(in: 1...2_000_000, using: &rng))
                let bundle = Int64.random(in: 0...300, using: &rng)
                let d = Authorization.maxSeconds(budget: budget, entry: entry, bundleSeconds: bundle, cap: 4 * 3600)
                #expect(Authorization.cost(seconds: d, entry: entry, bundleSeconds: bundle) <= budget)
                if d < 4 * 3600 {
                    #expect(Authorization.cost(seconds: d + 1, entry: entry, bundleSeconds: bundle) > budget)
                }
            }
        }
    }
}
