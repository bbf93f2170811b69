public import MeteringCore

/// Who a bearer token speaks for.
public struct Principal: Sendable, Hashable {
    public enum Role: String, Sendable {
        case admin, agent, member
    }

    public var groupID: Int64
    public var role: Role
    public var agentID: Int64?
    public var memberID: Int64?

    public init(groupID: Int64, role: Role, agentID: Int64? = nil, memberID: Int64? = nil) {
        self.groupID = groupID
        self.role = role
        self.agentID = agentID
        self.memberID = memberID
    }
}

public enum MemberKind: String, Sendable, Codable, CaseIterable {
    case business, personal
}

public struct GroupInfo: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var currency: String
}

public struct MemberInfo: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var kind: MemberKind
    public var balance: Money
}

public struct ProfileInfo: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var member: String
    public var rateDeck: String
    /// True once the profile received an allocation: its calls use its own credit.
    public var ownCredit: Bool
    public var balance: Money
}

public struct RateDeckInfo: Sendable, Hashable {
    public var name: String
    public var entries: Int
    public var version: Int
    public var updatedAt: Timestamp
}

public struct PurchaseInfo: Sendable, Hashable {
    public var id: Int64
    public var amount: Money
    public var reference: String
    public var createdAt: Timestamp
}

/// Where an allocation goes.
public enum AllocationTarget: Sendable, Hashable {
    case member(String)
    case profile(String)
}

public struct AllocationInfo: Sendable, Hashable {
    public var id: Int64
    public var target: AllocationTarget
    public var amount: Money
    public var createdAt: Timestamp
}

public struct BundleInfo: Sendable, Hashable {
    public var id: Int64
    public var profile: String
    public var name: String
    public var minutes: Int64
    public var prefixes: [String]
    /// Seconds used in the month asked about.
    public var secondsUsed: Int64
}

public struct AgentInfo: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var profiles: [String]
}

public struct Balances: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var balance: Money
        public var exhausted: Bool
    }

    public var group: Money
    public var members: [Entry]
    /// Only profiles that hold their own credit.
    public var profiles: [Entry]
}

/// One rated call as the API lists it.
public struct RatedCallInfo: Sendable, Hashable {
    public var seq: Int64
    public var id: String
    public var callID: String
    public var profile: String
    public var member: String
    public var direction: String
    public var caller: String
    public var callee: String
    public var setupTime: Timestamp
    public var answerTime: Timestamp?
    public var durationMs: Int64
    public var billedSeconds: Int64
    public var prefix: String?
    public var destination: String?
    public var ratePerMinute: Rate?
    public var bundleSeconds: Int64
    public var price: Money?
    public var disposition: String
}

/// Where a page of calls continues: after this (setup time, sequence).
public struct CallCursor: Sendable, Hashable {
    public var setupTime: Timestamp
    public var seq: Int64

    public init(setupTime: Timestamp, seq: Int64) {
        self.setupTime = setupTime
        self.seq = seq
    }

    /// `"<setup µs>.<seq>"`: opaque to clients.
    public var text: String { "\(setupTime.microseconds).\(seq)" }

    public init?(text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let t = Int64(parts[0]), let s = Int64(parts[1]) else { return nil }
        self.init(setupTime: Timestamp(microseconds: t), seq: s)
    }
}

/// Which calls to list.
public struct CallQuery: Sendable, Hashable {
    /// Setup times in [from, to).
    public var from: Timestamp
    public var to: Timestamp
    public var member: String?
    public var profile: String?
    public var limit: Int
    public var after: CallCursor?

    public init(
        from: Timestamp, to: Timestamp, member: String? = nil, profile: String? = nil, limit: Int = 100,
        after: CallCursor? = nil
    ) {
        self.from = from
        self.to = to
        self.member = member
        self.profile = profile
        self.limit = limit
        self.after = after
    }
}

/// What happened to one batch of records.
public struct IngestResult: Sendable, Hashable {
    public struct Rejection: Sendable, Hashable {
        public var id: String?
        public var error: String

        public init(id: String?, error: String) {
            self.id = id
            self.error = error
        }
    }

    public var accepted = 0
    public var duplicates = 0
    public var unrated = 0
    public var rejected: [Rejection] = []
    /// Accounts that reached zero or below in this batch.
    public var exhaustedAccounts = 0

    public init() {}
}

/// A store failure the API turns into a 4xx. One sentence each.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .notFound(let m), .conflict(let m), .invalid(let m): return m
        }
    }
}

/// A live "answered" event from an agent (issue: live call events).
public struct CallEvent: Sendable, Hashable {
    public var id: String
    public var profile: String
    public var callID: String
    public var callee: String
    public var answerTime: Timestamp

    public init(id: String, profile: String, callID: String, callee: String, answerTime: Timestamp) {
        self.id = id
        self.profile = profile
        self.callID = callID
        self.callee = callee
        self.answerTime = answerTime
    }
}

/// A call in progress as the collector knows it.
public struct ActiveCall: Sendable, Hashable {
    public var id: String
    public var profile: String
    public var callee: String
    public var answerTime: Timestamp
    public var expiresAt: Timestamp
}
