internal import MeteringCore
internal import MeteringStore

/// The calls an `Authorizer` allowed and whose record has not arrived yet,
/// with running sums per account, SIP Profile and member, so that a decision
/// costs the same whether 10 or 10,000 calls are in progress.
struct ReservationBook: Sendable {
    struct Reservation: Sendable {
        var profileID: Int64
        var memberID: Int64
        var account: Int64
        var exposure: Money
        var ratePerMinute: Rate
        /// UTC day and month (`Timestamp.dayKey`, `.monthKey`) of the grant.
        var day: Int
        var month: Int
        var expiresAt: Timestamp
    }

    /// What the calls in progress of one profile or member add up to: their
    /// count, and their exposure per day and per month of grant. Calls last
    /// hours, so an id holds one or two periods of each.
    struct Sums: Sendable {
        var calls = 0
        var days: [(period: Int, amount: Money)] = []
        var months: [(period: Int, amount: Money)] = []

        /// Counts a call in (`n` = 1) or out (-1); returns the calls left.
        mutating func count(_ r: Reservation, _ amount: Money, _ n: Int) -> Int {
            calls += n
            Self.add(&days, r.day, amount)
            Self.add(&months, r.month, amount)
            return calls
        }

        static func amount(_ periods: [(period: Int, amount: Money)], _ period: Int) -> Money {
            for p in periods where p.period == period { return p.amount }
            return .zero
        }

        /// Adds to a period's sum and drops the period at zero.
        static func add(_ periods: inout [(period: Int, amount: Money)], _ period: Int, _ amount: Money) {
            if let i = periods.firstIndex(where: { $0.period == period }) {
                periods[i].amount += amount
                if periods[i].amount == .zero { periods.remove(at: i) }
            } else if amount != .zero {
                periods.append((period, amount))
            }
        }
    }

    /// The sums a decision reads, for one profile, member and account.
    struct Totals: Equatable {
        var onAccount = Money.zero
        var profileDay = Money.zero
        var profileMonth = Money.zero
        var memberDay = Money.zero
        var memberMonth = Money.zero
    }

    private(set) var byCallID: [String: Reservation] = [:]
    private var onAccount: [Int64: Money] = [:]
    private var profiles: [Int64: Sums] = [:]
    private var members: [Int64: Sums] = [:]
    /// No reservation expires before this (nil: none held).
    private var nextExpiry: Timestamp?

    var isEmpty: Bool { byCallID.isEmpty }
    var count: Int { byCallID.count }

    subscript(callID: String) -> Reservation? { byCallID[callID] }

    /// Calls in progress on a profile.
    func calls(profile: Int64) -> Int { profiles[profile]?.calls ?? 0 }

    func totals(profile: Int64, member: Int64, account: Int64, day: Int, month: Int) -> Totals {
        var t = Totals()
        t.onAccount = onAccount[account] ?? .zero
        if let p = profiles[profile] {
            t.profileDay = Sums.amount(p.days, day)
            t.profileMonth = Sums.amount(p.months, month)
        }
        if let m = members[member] {
            t.memberDay = Sums.amount(m.days, day)
            t.memberMonth = Sums.amount(m.months, month)
        }
        return t
    }

    /// Adds (or replaces) the reservation of `callID`.
    mutating func insert(_ r: Reservation, callID: String) {
        if let old = byCallID.updateValue(r, forKey: callID) { apply(old, sign: -1) }
        apply(r, sign: 1)
        if nextExpiry.map({ r.expiresAt < $0 }) ?? true { nextExpiry = r.expiresAt }
    }

    /// Ends the reservation of `callID` (its record arrived).
    @discardableResult
    mutating func remove(_ callID: String) -> Reservation? {
        guard let r = byCallID.removeValue(forKey: callID) else { return nil }
        apply(r, sign: -1)
        return r
    }

    /// Forgets the reservations whose time is up; returns their Call-IDs.
    /// Scans only when the earliest expiry has passed.
    @discardableResult
    mutating func expire(now: Timestamp) -> [String] {
        guard let next = nextExpiry, next <= now else { return [] }
        let gone = byCallID.filter { $0.value.expiresAt <= now }.map(\.key)
        for id in gone { remove(id) }
        nextExpiry = byCallID.values.lazy.map(\.expiresAt).min()
        return gone
    }

    private mutating func apply(_ r: Reservation, sign: Int64) {
        let amount = Money(units: r.exposure.units * sign)
        let sum = (onAccount[r.account] ?? .zero) + amount
        onAccount[r.account] = sum == .zero ? nil : sum
        Self.apply(&profiles, r.profileID, r, amount, Int(sign))
        Self.apply(&members, r.memberID, r, amount, Int(sign))
    }

    /// Counts the call in or out of an id's sums; the id goes when its last call does.
    private static func apply(_ map: inout [Int64: Sums], _ id: Int64, _ r: Reservation, _ amount: Money, _ n: Int) {
        if map[id, default: Sums()].count(r, amount, n) == 0 { map[id] = nil }
    }
}

/// Grant times of the last second for a calls-per-second limit: appended in
/// time order, dropped from the front, so counting costs what it drops.
struct GrantWindow: Sendable {
    private var times: [Timestamp] = []
    private var head = 0

    mutating func append(_ t: Timestamp) { times.append(t) }

    /// Grants after `since`.
    mutating func count(after since: Timestamp) -> Int {
        while head < times.count, times[head] <= since { head += 1 }
        if head > 64, head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
        return times.count - head
    }
}

/// What decisions derive from an `EnforcementSnapshot`, computed once when
/// the snapshot is taken instead of at every decision.
struct SnapshotIndex: Sendable {
    /// Member id → the ids of its SIP Profiles.
    var memberProfiles: [Int64: [Int64]] = [:]
    var memberSpentToday: [Int64: Money] = [:]
    var memberSpentMonth: [Int64: Money] = [:]
    /// Call-ID of a call in progress reported by an agent → its profile id.
    var reportedProfile: [String: Int64] = [:]

    init() {}

    init(_ s: EnforcementSnapshot) {
        for p in s.profiles.values {
            memberProfiles[p.memberID, default: []].append(p.id)
            memberSpentToday[p.memberID, default: .zero] += p.spentToday
            memberSpentMonth[p.memberID, default: .zero] += p.spentMonth
        }
        for (profile, calls) in s.activeCalls {
            for callID in calls.keys { reportedProfile[callID] = profile }
        }
    }
}
