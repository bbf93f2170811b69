public import MeteringCore
public import RatingEngine

/// Why a call is refused: a closed set (the `reason` of `/v1/authorize`).
public enum DenyReason: String, Sendable, CaseIterable {
    case creditExhausted = "credit_exhausted"
    case dailyCap = "daily_cap"
    case monthlyCap = "monthly_cap"
    case channelsFull = "channels_full"
    case barredDestination = "barred_destination"
    case noRate = "no_rate"
    case suspended
    case cpsLimit = "cps_limit"
}

/// Everything a pre-call decision reads, gathered by the caller: limits,
/// money already spent or reserved, calls in progress. Pure data.
public struct AuthorizationContext: Sendable {
    public var profileLimits = Limits()
    public var memberLimits = Limits()
    /// Balance of the account the call would be charged to, and the
    /// overdraft of that account's owner.
    public var balance: Money = .zero
    public var overdraft: Money = .zero
    /// Exposure already reserved on that account by calls in progress.
    public var reservedOnAccount: Money = .zero
    /// Spent (rated calls) plus reserved, today and this month (UTC).
    public var profileSpentToday: Money = .zero
    public var profileSpentMonth: Money = .zero
    public var memberSpentToday: Money = .zero
    public var memberSpentMonth: Money = .zero
    /// Calls in progress: of the profile, and of all the member's profiles.
    public var profileChannelsInUse = 0
    public var memberChannelsInUse = 0
    /// Since when the profile has had more calls than its channels.
    public var profileBurstingSince: Timestamp?
    public var memberBurstingSince: Timestamp?
    /// Authorizations granted in the last second.
    public var profileCallsLastSecond = 0
    public var memberCallsLastSecond = 0
    /// Bundle seconds left this month for the dialled number's bundle.
    public var bundleSecondsLeft: Int64 = 0
    public var deck: RateDeck?
    /// The longest call when no limit says otherwise (the agent's maximum).
    public var defaultMaxCallSeconds: Int64 = 4 * 3600
    public var now = Timestamp(microseconds: 0)

    public init() {}
}

public struct AuthorizationDecision: Sendable, Hashable {
    public var allow: Bool
    public var reason: DenyReason?
    /// The longest call the credit, caps and limits pay for (0 when denied).
    public var maxDurationSeconds: Int64
    public var entry: RateDeckEntry?
    /// The most this call can cost: reserved while it is in progress.
    public var exposure: Money
    /// The call is allowed above the channels, inside the burst.
    public var bursting: Bool
}

/// The pre-call decision (`POST /v1/authorize`).
///
/// Exposure bound: every allowed call reserves the price of its
/// `max_duration_s`, and a call is allowed only if that price fits in the
/// credit left after what calls in progress reserved (credit + overdraft −
/// reserved), and in each spend cap left. So the calls authorized and in
/// progress on an account can together cost at most its balance plus its
/// overdraft at the time they were granted: a proxy that ends each call at
/// `max_duration_s` can never overdraw it.
public enum Authorization {
    public static func decide(callee: String, _ c: AuthorizationContext) -> AuthorizationDecision {
        func deny(_ reason: DenyReason, _ entry: RateDeckEntry? = nil) -> AuthorizationDecision {
            AuthorizationDecision(
                allow: false, reason: reason, maxDurationSeconds: 0, entry: entry, exposure: .zero, bursting: false)
        }
        if c.profileLimits.suspended || c.memberLimits.suspended { return deny(.suspended) }
        let number = PhoneNumber.normalise(callee)
        if c.profileLimits.bars(normalisedNumber: number) || c.memberLimits.bars(normalisedNumber: number) {
            return deny(.barredDestination)
        }
        guard let entry = c.deck?.match(normalisedNumber: number) else { return deny(.noRate) }
        // The profile's bounds, then the member's (checked in place: no
        // array of copied limits per request on this hot path).
        func overRate(_ limit: Int?, _ used: Int) -> Bool { limit.map { used >= $0 } ?? false }
        if overRate(c.profileLimits.callsPerSecond, c.profileCallsLastSecond)
            || overRate(c.memberLimits.callsPerSecond, c.memberCallsLastSecond)
        {
            return deny(.cpsLimit, entry)
        }
        /// nil when under the channels; true when bursting; false when full.
        func burst(_ limits: Limits, _ inUse: Int, _ since: Timestamp?) -> Bool? {
            guard let channels = limits.channels, inUse >= channels else { return nil }
            // Above the channels: only inside the burst, for a while.
            guard let burst = limits.burstChannels, inUse < burst else { return false }
            if let since, c.now.microseconds - since.microseconds >= limits.burstWindowSeconds * 1_000_000 {
                return false
            }
            return true
        }
        let profileBurst = burst(c.profileLimits, c.profileChannelsInUse, c.profileBurstingSince)
        let memberBurst = burst(c.memberLimits, c.memberChannelsInUse, c.memberBurstingSince)
        if profileBurst == false || memberBurst == false { return deny(.channelsFull, entry) }
        let bursting = profileBurst == true || memberBurst == true
        var cap = c.defaultMaxCallSeconds
        if let seconds = c.profileLimits.maxCallSeconds { cap = min(cap, seconds) }
        if let seconds = c.memberLimits.maxCallSeconds { cap = min(cap, seconds) }
        // Each money bound, in this order, and the reason it gives when it is
        // what stops the call (walked twice, without an array on this hot path).
        let credit = c.balance + c.overdraft - c.reservedOnAccount
        let profileDay = c.profileLimits.dailyCap.map { $0 - c.profileSpentToday }
        let memberDay = c.memberLimits.dailyCap.map { $0 - c.memberSpentToday }
        let profileMonth = c.profileLimits.monthlyCap.map { $0 - c.profileSpentMonth }
        let memberMonth = c.memberLimits.monthlyCap.map { $0 - c.memberSpentMonth }
        func eachBudget(_ body: (Money, DenyReason) -> Void) {
            body(credit, .creditExhausted)
            if let b = profileDay { body(b, .dailyCap) }
            if let b = memberDay { body(b, .dailyCap) }
            if let b = profileMonth { body(b, .monthlyCap) }
            if let b = memberMonth { body(b, .monthlyCap) }
        }
        // No new call at or below zero (unless an overdraft is set).
        var spent: DenyReason?
        eachBudget { budget, reason in
            if spent == nil, budget <= .zero { spent = reason }
        }
        if let spent { return deny(spent, entry) }
        var longest = cap
        var binding = DenyReason.creditExhausted
        eachBudget { budget, reason in
            let seconds = maxSeconds(budget: budget, entry: entry, bundleSeconds: c.bundleSecondsLeft, cap: cap)
            if seconds < longest {
                longest = seconds
                binding = reason
            }
        }
        guard longest >= 1 else { return deny(binding, entry) }
        return AuthorizationDecision(
            allow: true, reason: nil, maxDurationSeconds: longest, entry: entry,
            exposure: cost(seconds: longest, entry: entry, bundleSeconds: c.bundleSecondsLeft), bursting: bursting)
    }

    /// What a call of `seconds` costs: billed by the deck's initial and
    /// increment, bundle seconds first, the connect fee only when some part
    /// is charged, rounded once (the same rules as rating).
    public static func cost(seconds: Int64, entry: RateDeckEntry, bundleSeconds: Int64) -> Money {
        let billed = Rating.billedSeconds(
            durationMs: seconds * 1000, initial: entry.initialSeconds, increment: entry.incrementSeconds)
        let charged = billed - min(max(bundleSeconds, 0), billed)
        guard charged > 0 else { return .zero }
        return Rating.price(seconds: charged, ratePerMinute: entry.ratePerMinute, connectFee: entry.connectFee)
    }

    /// The longest call (whole seconds, at most `cap`) whose cost fits in
    /// `budget`. Cost never falls as a call gets longer: binary search.
    public static func maxSeconds(budget: Money, entry: RateDeckEntry, bundleSeconds: Int64, cap: Int64) -> Int64 {
        guard cap > 0 else { return 0 }
        if cost(seconds: cap, entry: entry, bundleSeconds: bundleSeconds) <= budget { return cap }
        var lo: Int64 = 0  // affordable (a call of 0 s costs nothing)
        var hi = cap  // not affordable
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if cost(seconds: mid, entry: entry, bundleSeconds: bundleSeconds) <= budget { lo = mid } else { hi = mid }
        }
        return lo
    }
}
