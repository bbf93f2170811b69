import MeteringCore
import RatingEngine
import Testing

@Suite("Rating rules")
struct RatingTests {
    static let uk = RateDeckEntry(
        prefix: "44", description: "United Kingdom", ratePerMinute: Rate(decimal: "0.0210")!,
        initialSeconds: 60, incrementSeconds: 6)

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var durationMs: Int64
        var rate: String
        var fee: String
        var initial: Int64
        var increment: Int64
        var billed: Int64
        var price: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "0 s is free, even with a connect fee", durationMs: 0, rate: "0.0210", fee: "0.05", initial: 60, increment: 6,
            billed: 0, price: "0.0000"),
        Case(
            name: "1 ms bills the initial period", durationMs: 1, rate: "0.0210", fee: "0", initial: 60, increment: 6, billed: 60,
            price: "0.0210"),
        Case(
            name: "exactly the initial period", durationMs: 60_000, rate: "0.0210", fee: "0", initial: 60, increment: 6,
            billed: 60, price: "0.0210"),
        Case(
            name: "one millisecond over the initial period adds an increment", durationMs: 60_001, rate: "0.0210", fee: "0",
            initial: 60, increment: 6, billed: 66, price: "0.0231"),
        Case(
            name: "exactly at an increment", durationMs: 66_000, rate: "0.0210", fee: "0", initial: 60, increment: 6, billed: 66,
            price: "0.0231"),
        Case(
            name: "one second over an increment", durationMs: 67_000, rate: "0.0210", fee: "0", initial: 60, increment: 6,
            billed: 72, price: "0.0252"),
        Case(
            name: "per-second billing, 1/1", durationMs: 7_200, rate: "0.0600", fee: "0", initial: 1, increment: 1, billed: 8,
            price: "0.0080"),
        Case(
            name: "sub-cent rate rounds half-up once", durationMs: 1_000, rate: "0.003000", fee: "0", initial: 1, increment: 1,
            billed: 1, price: "0.0001"),
        Case(
            name: "sub-unit rate below half rounds down", durationMs: 1_000, rate: "0.002999", fee: "0", initial: 1, increment: 1,
            billed: 1, price: "0.0000"),
        Case(
            name: "six-decimal rate, exact half rounds up", durationMs: 30_000, rate: "0.000100", fee: "0", initial: 1,
            increment: 1, billed: 30, price: "0.0001"),
        Case(
            name: "connect fee added once", durationMs: 125_000, rate: "0.1000", fee: "0.0500", initial: 60, increment: 60,
            billed: 180, price: "0.3500"),
        Case(
            name: "initial 0 then increments", durationMs: 1_000, rate: "0.6000", fee: "0", initial: 0, increment: 30, billed: 30,
            price: "0.3000"),
        Case(
            name: "long call: 4 hours at a high rate", durationMs: 14_400_000, rate: "2.345678", fee: "0.1", initial: 60,
            increment: 1, billed: 14_400, price: "563.0627"),
        Case(
            name: "a week at the highest rate stays exact", durationMs: 604_800_000, rate: "999999.999999", fee: "0", initial: 1,
            increment: 1, billed: 604_800, price: "10079999999.9899"),
    ]

    @Test("billing and rounding", arguments: cases)
    func table(_ c: Case) {
        let billed = Rating.billedSeconds(durationMs: c.durationMs, initial: c.initial, increment: c.increment)
        #expect(billed == c.billed)
        let entry = RateDeckEntry(
            prefix: "1", description: "x", ratePerMinute: Rate(decimal: c.rate)!, connectFee: Rate(decimal: c.fee)!,
            initialSeconds: c.initial, incrementSeconds: c.increment)
        let deck = try! RateDeck(entries: [entry])
        var bundles: [BundleAllowance] = []
        let charge = Rating.rate(
            RatingInput(answered: true, direction: .outbound, durationMs: c.durationMs, callee: "+1 555 0100"),
            deck: deck, bundles: &bundles)
        #expect(charge.price?.description == c.price)
        #expect(charge.billedSeconds == c.billed)
    }

    @Test("unanswered and inbound calls cost 0 and bill 0 s")
    func freeCalls() throws {
        let deck = try RateDeck(entries: [Self.uk])
        var none: [BundleAllowance] = []
        let missed = Rating.rate(
            RatingInput(answered: false, direction: .outbound, durationMs: 0, callee: "447700900123"), deck: deck, bundles: &none)
        #expect(missed.price == .zero && missed.billedSeconds == 0)
        let inbound = Rating.rate(
            RatingInput(answered: true, direction: .inbound, durationMs: 90_000, callee: "447700900123"), deck: deck,
            bundles: &none)
        #expect(inbound.price == .zero && inbound.billedSeconds == 0)
    }

    @Test("an answered call no prefix matches is unrated, not free")
    func unrated() throws {
        let deck = try RateDeck(entries: [Self.uk])
        var none: [BundleAllowance] = []
        let charge = Rating.rate(
            RatingInput(answered: true, direction: .outbound, durationMs: 5_500, callee: "33612345678"), deck: deck,
            bundles: &none)
        #expect(charge.price == nil)
        #expect(charge.isUnrated)
        #expect(charge.billedSeconds == 6)
        var none2: [BundleAllowance] = []
        #expect(
            Rating.rate(
                RatingInput(answered: true, direction: .outbound, durationMs: 1, callee: "44"), deck: nil, bundles: &none2
            ).price == nil)
    }

    @Test("longest prefix wins; + and 00 and punctuation are stripped")
    func longestPrefix() throws {
        let deck = try RateDeck(entries: [
            Self.uk,
            RateDeckEntry(
                prefix: "447", description: "UK mobile", ratePerMinute: Rate(decimal: "0.05")!, initialSeconds: 1,
                incrementSeconds: 1),
            RateDeckEntry(
                prefix: "4477009", description: "UK mobile special", ratePerMinute: Rate(decimal: "0.5")!, initialSeconds: 1,
                incrementSeconds: 1),
        ])
        #expect(deck.match(normalisedNumber: PhoneNumber.normalise("+44 20 7946 0000"))?.description == "United Kingdom")
        #expect(deck.match(normalisedNumber: PhoneNumber.normalise("0044 7700 800123"))?.description == "UK mobile")
        #expect(deck.match(normalisedNumber: PhoneNumber.normalise("(44) 7700-900123"))?.description == "UK mobile special")
        #expect(deck.match(normalisedNumber: "4") == nil)
        #expect(deck.match(normalisedNumber: "") == nil)
    }

    @Test("a bundle exactly used up charges nothing; the next call pays in full")
    func bundleExactlyUsed() throws {
        let deck = try RateDeck(entries: [Self.uk])
        var bundles = [BundleAllowance(id: 7, prefixes: ["44"], secondsLeft: 120)]
        let first = Rating.rate(
            RatingInput(answered: true, direction: .outbound, durationMs: 115_000, callee: "442079460000"), deck: deck,
            bundles: &bundles)
        #expect(first.billedSeconds == 120)
        #expect(first.bundleSeconds == 120 && first.bundleID == 7)
        #expect(first.price == .zero)
        #expect(bundles[0].secondsLeft == 0)
        let second = Rating.rate(
            RatingInput(answered: true, direction: .outbound, durationMs: 60_000, callee: "442079460000"), deck: deck,
            bundles: &bundles)
        #expect(second.bundleSeconds == 0 && second.bundleID == nil)
        #expect(second.price?.description == "0.0210")
    }

    @Test("a bundle covering part of a call: the rest at the rate, with the connect fee")
    func bundleSplit() throws {
        var entry = Self.uk
        entry.connectFee = Rate(decimal: "0.05")!
        let deck = try RateDeck(entries: [entry])
        var bundles = [
            BundleAllowance(id: 1, prefixes: ["1"], secondsLeft: 600), BundleAllowance(id: 2, prefixes: ["44"], secondsLeft: 30),
        ]
        let charge = Rating.rate(
            RatingInput(answered: true, direction: .outbound, durationMs: 90_000, callee: "442079460000"), deck: deck,
            bundles: &bundles)
        #expect(charge.billedSeconds == 90)
        #expect(charge.bundleSeconds == 30 && charge.bundleID == 2)
        // 60 s at 0.021/min + 0.05 connect fee.
        #expect(charge.price?.description == "0.0710")
        #expect(bundles.map(\.secondsLeft) == [600, 0])
    }

    @Test("the longest bundle prefix pays first")
    func bundleChoice() throws {
        let deck = try RateDeck(entries: [Self.uk])
        var bundles = [
            BundleAllowance(id: 1, prefixes: ["4"], secondsLeft: 600),
            BundleAllowance(id: 2, prefixes: ["4420"], secondsLeft: 600),
        ]
        let charge = Rating.rate(
            RatingInput(answered: true, direction: .outbound, durationMs: 10_000, callee: "442079460000"), deck: deck,
            bundles: &bundles)
        #expect(charge.bundleID == 2)
        #expect(bundles.map(\.secondsLeft) == [600, 540])
    }
}
