public import MeteringCore

/// The facts of a call that rating reads (a pure view of a `CallRecord`).
public struct RatingInput: Sendable, Hashable {
    public var answered: Bool
    public var direction: Direction
    public var durationMs: Int64
    /// The callee as dialled; normalised before matching.
    public var callee: String

    public init(answered: Bool, direction: Direction, durationMs: Int64, callee: String) {
        self.answered = answered
        self.direction = direction
        self.durationMs = durationMs
        self.callee = callee
    }

    public init(_ record: CallRecord) {
        self.init(
            answered: record.disposition == .answered, direction: record.direction,
            durationMs: record.durationMs, callee: record.callee)
    }
}

/// What a call costs and why.
public struct RatedCharge: Sendable, Hashable {
    /// Seconds billed after the initial/increment rules (0 when not answered).
    public var billedSeconds: Int64
    /// The deck entry that matched, nil when none did or none was needed.
    public var entry: RateDeckEntry?
    /// The bundle that paid for part or all of the call, and how many seconds.
    public var bundleID: Int64?
    public var bundleSeconds: Int64
    /// The price, rounded once; nil for an answered call no rate matched
    /// (stored as unrated, never silently free).
    public var price: Money?

    public var isUnrated: Bool { price == nil }
}

/// Rating rules of DESIGN.md: longest prefix, initial/increment billing,
/// connect fee, bundles first, one half-up rounding per call.
public enum Rating {
    /// Whole seconds of `durationMs`, rounded up (a started second counts).
    public static func wholeSeconds(durationMs: Int64) -> Int64 {
        durationMs <= 0 ? 0 : (durationMs + 999) / 1000
    }

    /// Billed seconds: 0 if d = 0, `initial` if d ≤ initial, else initial plus
    /// whole increments covering the rest.
    public static func billedSeconds(durationMs: Int64, initial: Int64, increment: Int64) -> Int64 {
        let d = wholeSeconds(durationMs: durationMs)
        guard d > 0 else { return 0 }
        guard d > initial else { return initial }
        let step = max(increment, 1)
        return initial + (d - initial + step - 1) / step * step
    }

    /// `connectFee + ratePerMinute · seconds / 60`, computed exactly in
    /// millionths/60 and rounded half-up once to 4 decimals.
    public static func price(seconds: Int64, ratePerMinute: Rate, connectFee: Rate) -> Money {
        // Exact numerator in units of 10^-6 / 60.
        let numerator = connectFee.micros * 60 + ratePerMinute.micros * seconds
        // 10^-6/60 → 10^-4: divide by 60 · 100, half-up (numerator ≥ 0).
        let divisor: Int64 = 60 * 100
        return Money(units: (numerator * 2 + divisor) / (divisor * 2))
    }

    /// Rates one call against `deck`, taking seconds from `bundles` first.
    /// `bundles` is updated in place (their seconds left shrink).
    public static func rate(_ call: RatingInput, deck: RateDeck?, bundles: inout [BundleAllowance]) -> RatedCharge {
        guard call.answered, call.direction != .inbound else {
            return RatedCharge(billedSeconds: 0, entry: nil, bundleID: nil, bundleSeconds: 0, price: .zero)
        }
        let number = PhoneNumber.normalise(call.callee)
        guard let entry = deck?.match(normalisedNumber: number) else {
            let seconds = wholeSeconds(durationMs: call.durationMs)
            return RatedCharge(billedSeconds: seconds, entry: nil, bundleID: nil, bundleSeconds: 0, price: nil)
        }
        let billed = billedSeconds(
            durationMs: call.durationMs, initial: entry.initialSeconds, increment: entry.incrementSeconds)
        var bundleID: Int64?
        var fromBundle: Int64 = 0
        if billed > 0, let index = BundleAllowance.bestMatch(in: bundles, number: number) {
            fromBundle = min(bundles[index].secondsLeft, billed)
            bundles[index].secondsLeft -= fromBundle
            bundleID = bundles[index].id
        }
        let charged = billed - fromBundle
        let price =
            charged > 0 ? Self.price(seconds: charged, ratePerMinute: entry.ratePerMinute, connectFee: entry.connectFee) : .zero
        return RatedCharge(billedSeconds: billed, entry: entry, bundleID: bundleID, bundleSeconds: fromBundle, price: price)
    }
}
