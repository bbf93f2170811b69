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

    /// An id (profile or member) in a period (day or month key).
    struct PeriodKey: Hashable, Sendable {
        var id: Int64
        var period: Int
    }

    private(set) var byCallID: [String: Reservation] = [:]
    private(set) var onAccount: [Int64: Money] = [:]
    private(set) var profileDay: [PeriodKey: Money] = [:]
    private(set) var profileMonth: [PeriodKey: Money] = [:]
    private(set) var memberDay: [PeriodKey: Money] = [:]
    private(set) var memberMonth: [PeriodKey: Money] = [:]
    private(set) var profileCalls: [Int64: Int] = [:]
    private(set) var memberCalls: [Int64: Int] = [:]
    /// No reservation expires before this (nil: none held).
    private var nextExpiry: Timestamp?

    var isEmpty: Bool { byCallID.isEmpty }
    var count: Int { byCallID.count }

    subscript(callID: String) -> Reservation? { byCallID[callID] }

    /// Adds (or replaces) the reservation of `callID`.
    mutating func insert(_ r: Reservation, callID: String) {
        remove(callID)
        byCallID[callID] = r
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
        let n = Int(sign)
        Self.add(&onAccount, r.account, amount)
        Self.add(&profileDay, PeriodKey(id: r.profileID, period: r.day), amount)
        Self.add(&profileMonth, PeriodKey(id: r.profileID, period: r.month), amount)
        Self.add(&memberDay, PeriodKey(id: r.memberID, period: r.day), amount)
        Self.add(&memberMonth, PeriodKey(id: r.memberID, period: r.month), amount)
        Self.count(&profileCalls, r.profileID, n)
        Self.count(&memberCalls, r.memberID, n)
    }

    /// Adds to a sum and drops it at zero, so the maps hold only what is reserved.
    private static func add<K: Hashable>(_ map: inout [K: Money], _ key: K, _ amount: Money) {
        let sum = (map[key] ?? .zero) + amount
        map[key] = sum == .zero ? nil : sum
    }

    private static func count(_ map: inout [Int64: Int], _ key: Int64, _ n: Int) {
        let sum = (map[key] ?? 0) + n
        map[key] = sum == 0 ? nil : sum
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
