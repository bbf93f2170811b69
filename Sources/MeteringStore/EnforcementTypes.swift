public import CreditLedger
public import MeteringCore
public import RatingEngine

/// The limits set on one member or SIP Profile.
public struct LimitsInfo: Sendable, Hashable {
    public var target: AllocationTarget
    public var limits: Limits

    public init(target: AllocationTarget, limits: Limits) {
        self.target = target
        self.limits = limits
    }
}

/// Auto-recharge of a member or SIP Profile.
public struct AutoRechargeInfo: Sendable, Hashable {
    public var target: AllocationTarget
    public var amount: Money
    public var threshold: Money
    public var monthlyLimit: Money
    /// Moved by auto-recharge this month.
    public var rechargedThisMonth: Money = .zero

    public init(target: AllocationTarget, amount: Money, threshold: Money, monthlyLimit: Money) {
        self.target = target
        self.amount = amount
        self.threshold = threshold
        self.monthlyLimit = monthlyLimit
    }
}

/// An alert rule: a group default (no target) or an override.
public struct AlertRuleInfo: Sendable, Hashable {
    public var target: AllocationTarget?
    public var rule: AlertRule

    public init(target: AllocationTarget?, rule: AlertRule) {
        self.target = target
        self.rule = rule
    }
}

public struct AlertInfo: Sendable, Hashable {
    public var id: Int64
    public var type: AlertType
    public var subject: String
    public var message: String
    public var createdAt: Timestamp
    /// Webhook delivery: nil when no webhook was set when it fired.
    public var delivered: Bool?
}

/// One webhook POST waiting in the outbox.
public struct WebhookDelivery: Sendable, Hashable {
    public var id: Int64
    public var url: String
    public var secret: String
    public var body: [UInt8]
    public var attempts: Int
}

/// What pre-call authorization reads of one group, loaded at once and
/// kept in memory until the data under it changes (`version`).
public struct EnforcementSnapshot: Sendable {
    public struct Profile: Sendable {
        public var id: Int64
        public var name: String
        public var memberID: Int64
        /// The account its calls are charged to (its own once it received
        /// credit, else its member's), and that account's overdraft.
        public var account: Int64
        public var overdraft: Money
        public var deckID: Int64
        public var deckVersion: Int
        public var limits: Limits
        public var spentToday: Money
        public var spentMonth: Money
        public var bundles: [BundleAllowance]
    }

    public var version: Int
    public var loadedAt: Timestamp
    public var profiles: [String: Profile]
    public var memberLimits: [Int64: Limits]
    public var balances: [Int64: Money]
    /// Calls in progress reported by agents: profile id → Call-IDs and callees.
    public var activeCalls: [Int64: [String: String]]
    /// Agent id → the SIP Profiles its token may authorize.
    public var agentProfiles: [Int64: Set<String>]

    public init(
        version: Int, loadedAt: Timestamp, profiles: [String: Profile], memberLimits: [Int64: Limits], balances: [Int64: Money],
        activeCalls: [Int64: [String: String]], agentProfiles: [Int64: Set<String>]
    ) {
        self.agentProfiles = agentProfiles
        self.version = version
        self.loadedAt = loadedAt
        self.profiles = profiles
        self.memberLimits = memberLimits
        self.balances = balances
        self.activeCalls = activeCalls
    }
}

/// Figures only the collector's memory holds (authorizations in progress),
/// handed to alert evaluation.
public struct LiveFigures: Sendable {
    /// Per account: the per-minute rates of its calls in progress.
    public var burnPerMinute: [Int64: Money] = [:]
    /// Per profile id: calls in progress (authorized or reported).
    public var channelsInUse: [Int64: Int] = [:]

    public init() {}
}

extension Timestamp {
    /// The UTC day of this instant as YYYYMMDD.
    public var dayKey: Int {
        let (days, rest) = microseconds.quotientAndRemainder(dividingBy: 86_400_000_000)
        let (y, m, d) = CivilDate.fromDays(rest < 0 ? days - 1 : days)
        return Int(y * 10_000 + m * 100 + d)
    }
}
