public import MeteringCore

/// Whose reports a request may read: the whole group (admin), or one member
/// (a member token reads its own and nothing else).
public enum ReportScope: Sendable, Hashable {
    case group
    case member(Int64)
}

/// The monthly Summary: per member (with its SIP Profiles) credit allocated
/// this month, used, remaining; bundles; channels; the group's purchases and
/// balance. Months are UTC; a call belongs to the month of its setup time.
public struct SummaryReport: Sendable, Hashable {
    public struct ProfileLine: Sendable, Hashable {
        public var name: String
        /// Allocated this month and balance now: only for a profile with its
        /// own credit (otherwise its calls are charged to its member).
        public var allocated: Money?
        public var remaining: Money?
        public var used: Money
        public var calls: Int64
        public var billedSeconds: Int64
        public var bundleMinutes: Int64
        public var bundleSecondsUsed: Int64
        public var channels: Int?
    }

    public struct MemberLine: Sendable, Hashable {
        public var name: String
        public var kind: MemberKind
        /// Allocated this month to the member and its profiles (net of take-backs).
        public var allocated: Money
        /// What the member's calls cost this month.
        public var used: Money
        /// The member's balance plus its own-credit profiles' balances, now.
        public var remaining: Money
        public var calls: Int64
        public var billedSeconds: Int64
        public var profiles: [ProfileLine]
    }

    public var group: String
    public var currency: String
    public var month: Int
    public var groupBalance: Money
    public var purchases: Money
    public var members: [MemberLine]

    public var allocated: Money { members.reduce(.zero) { $0 + $1.allocated } }
    public var used: Money { members.reduce(.zero) { $0 + $1.used } }
    public var calls: Int64 { members.reduce(0) { $0 + $1.calls } }
}

/// Each purchase of the month.
public struct PurchasesReport: Sendable, Hashable {
    public var group: String
    public var currency: String
    public var month: Int
    public var purchases: [PurchaseInfo]
    public var total: Money { purchases.reduce(.zero) { $0 + $1.amount } }
}

/// Allocations of the month by feature: credit (allocations, take-backs,
/// auto-recharges), bundles, channels.
public struct AllocationsReport: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case allocation
        case takeBack = "take_back"
        case autoRecharge = "auto_recharge"
    }

    public struct Credit: Sendable, Hashable {
        public var createdAt: Timestamp
        public var member: String
        public var profile: String?
        public var kind: Kind
        public var amount: Money
    }

    public struct Bundle: Sendable, Hashable {
        public var member: String
        public var profile: String
        public var name: String
        public var minutes: Int64
        public var prefixes: [String]
        public var createdAt: Timestamp
    }

    public struct Channels: Sendable, Hashable {
        public var member: String
        public var profile: String?
        public var channels: Int
        public var burstPercent: Int
    }

    public var group: String
    public var currency: String
    public var month: Int
    public var credit: [Credit]
    public var bundles: [Bundle]
    public var channels: [Channels]

    public func total(_ kind: Kind) -> Money { credit.filter { $0.kind == kind }.reduce(.zero) { $0 + $1.amount } }
    public var net: Money { credit.reduce(.zero) { $0 + $1.amount } }
}

/// Which calls a Usage report lists: one member or one SIP Profile, a month
/// (optionally some days of it), filters, a page.
public struct UsageQuery: Sendable, Hashable {
    public var month: Int
    public var member: String?
    public var profile: String?
    /// First and last day of the month to include (1-based, inclusive).
    public var days: ClosedRange<Int>?
    public var disposition: String?
    /// Digits the dialled number starts with (after normalisation).
    public var destinationPrefix: String?
    public var direction: String?
    public var minimumCost: Money?
    /// Calls per page; nil: every call (CSV and PDF downloads).
    public var limit: Int?
    public var after: CallCursor?

    public init(month: Int, member: String? = nil, profile: String? = nil) {
        self.month = month
        self.member = member
        self.profile = profile
    }

    /// True when only the month, the days and the subject narrow the calls:
    /// totals can then come from the daily rollup.
    public var isUnfiltered: Bool { disposition == nil && destinationPrefix == nil && direction == nil && minimumCost == nil }
}

public struct UsageReport: Sendable, Hashable {
    public struct Totals: Sendable, Hashable {
        public var calls: Int64
        public var billedSeconds: Int64
        public var cost: Money
    }

    public var group: String
    public var currency: String
    public var month: Int
    /// The member the calls belong to (a profile's owner), and the profile when one was asked for.
    public var member: String
    public var profile: String?
    public var calls: [RatedCallInfo]
    public var totals: Totals
    public var next: CallCursor?
}

/// Whose call detail a request touches, and whether it may be shown.
public struct DetailSubject: Sendable, Hashable {
    public var memberID: Int64
    public var member: String
    public var kind: MemberKind
    /// The member's latest word (nil: never asked).
    public var consented: Bool?
}

public struct ConsentEntry: Sendable, Hashable {
    public var member: String
    public var granted: Bool
    public var at: Timestamp
}

public struct AccessLogEntry: Sendable, Hashable {
    public var member: String
    public var viewer: String
    public var report: String
    public var at: Timestamp
}
