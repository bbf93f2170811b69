public import CreditLedger
public import MeteringCore
public import MeteringStore
internal import RatingEngine
internal import Synchronization

/// Pre-call authorization (`POST /v1/authorize`). Reads a per-group
/// snapshot of limits, balances, spend and calls in progress, reloaded
/// when the store says it changed; keeps the calls it authorized in
/// memory (their exposure is reserved until their record arrives or
/// they expire). A restart forgets those reservations: calls authorized
/// before it are charged when their record comes, as any other call.
public final class Authorizer: Sendable {
    struct Reservation: Sendable {
        var profileID: Int64
        var memberID: Int64
        var account: Int64
        var exposure: Money
        var ratePerMinute: Rate
        var day: Int
        var month: Int
        var expiresAt: Timestamp
    }

    struct GroupState: Sendable {
        var snapshot: EnforcementSnapshot?
        var reservations: [String: Reservation] = [:]
        /// Grant times in the last second, per profile and per member.
        var profileGrants: [Int64: [Timestamp]] = [:]
        var memberGrants: [Int64: [Timestamp]] = [:]
        var profileBurstingSince: [Int64: Timestamp] = [:]
        var memberBurstingSince: [Int64: Timestamp] = [:]
    }

    private let state = Mutex<[Int64: GroupState]>([:])
    let store: any CollectorStore
    let decks: RateDeckCache
    /// A snapshot is reloaded at least this often (calls in progress expire).
    static let snapshotLifetime: Int64 = 2_000_000
    /// An authorization with no record yet is forgotten this long after its
    /// longest possible end.
    static let reservationMargin: Int64 = 120

    public init(store: any CollectorStore, decks: RateDeckCache) {
        self.store = store
        self.decks = decks
    }

    public struct Request: Sendable {
        public var profile: String
        public var caller: String
        public var callee: String
        public var callID: String

        public init(profile: String, caller: String, callee: String, callID: String) {
            self.profile = profile
            self.caller = caller
            self.callee = callee
            self.callID = callID
        }
    }

    public enum Failure: Error, Sendable {
        case unknownProfile(String)
        case notBound(String)
    }

    /// Decides, and reserves the exposure of an allowed call. Asking again
    /// for a Call-ID already authorized answers the same way again (a
    /// retransmitted INVITE) without reserving twice.
    public func authorize(_ request: Request, principal: Principal, now: Timestamp) async throws -> AuthorizationDecision {
        let group = principal.groupID
        let snapshot = try await currentSnapshot(group: group, now: now)
        guard let profile = snapshot.profiles[request.profile] else { throw Failure.unknownProfile(request.profile) }
        if principal.role == .agent, let agent = principal.agentID,
            !(snapshot.agentProfiles[agent]?.contains(request.profile) ?? false)
        {
            throw Failure.notBound(request.profile)
        }
        let deck = try await deck(id: profile.deckID, version: profile.deckVersion)
        let memberLimits = snapshot.memberLimits[profile.memberID] ?? Limits()
        return state.withLock { groups in
            var g = groups[group] ?? GroupState()
            defer { groups[group] = g }
            Self.expire(&g, now: now)
            var c = AuthorizationContext()
            c.now = now
            c.deck = deck
            c.profileLimits = profile.limits
            c.memberLimits = memberLimits
            c.balance = snapshot.balances[profile.account] ?? .zero
            c.overdraft = profile.overdraft
            let day = now.dayKey
            let month = now.monthKey
            let others = g.reservations.filter { $0.key != request.callID }.map(\.value)
            let memberProfiles = snapshot.profiles.values.filter { $0.memberID == profile.memberID }
            c.reservedOnAccount = others.filter { $0.account == profile.account }.reduce(.zero) { $0 + $1.exposure }
            let reservedToday = { (match: (Reservation) -> Bool) in
                others.filter { match($0) && $0.day == day }.reduce(Money.zero) { $0 + $1.exposure }
            }
            let reservedMonth = { (match: (Reservation) -> Bool) in
                others.filter { match($0) && $0.month == month }.reduce(Money.zero) { $0 + $1.exposure }
            }
            c.profileSpentToday = profile.spentToday + reservedToday { $0.profileID == profile.id }
            c.profileSpentMonth = profile.spentMonth + reservedMonth { $0.profileID == profile.id }
            c.memberSpentToday =
                memberProfiles.reduce(.zero) { $0 + $1.spentToday } + reservedToday { $0.memberID == profile.memberID }
            c.memberSpentMonth =
                memberProfiles.reduce(.zero) { $0 + $1.spentMonth } + reservedMonth { $0.memberID == profile.memberID }
            c.profileChannelsInUse = Self.inUse(g, snapshot, profiles: [profile.id], excluding: request.callID)
            c.memberChannelsInUse = Self.inUse(g, snapshot, profiles: Set(memberProfiles.map(\.id)), excluding: request.callID)
            c.profileBurstingSince = g.profileBurstingSince[profile.id]
            c.memberBurstingSince = g.memberBurstingSince[profile.memberID]
            let second = now.adding(microseconds: -1_000_000)
            g.profileGrants[profile.id]?.removeAll { $0 <= second }
            g.memberGrants[profile.memberID]?.removeAll { $0 <= second }
            c.profileCallsLastSecond = g.profileGrants[profile.id]?.count ?? 0
            c.memberCallsLastSecond = g.memberGrants[profile.memberID]?.count ?? 0
            let number = PhoneNumber.normalise(request.callee)
            if let index = BundleAllowance.bestMatch(in: profile.bundles, number: number) {
                c.bundleSecondsLeft = profile.bundles[index].secondsLeft
            }
            let decision = Authorization.decide(callee: request.callee, c)
            guard decision.allow, let entry = decision.entry else { return decision }
            if g.reservations[request.callID] == nil {
                g.profileGrants[profile.id, default: []].append(now)
                g.memberGrants[profile.memberID, default: []].append(now)
            }
            g.reservations[request.callID] = Reservation(
                profileID: profile.id, memberID: profile.memberID, account: profile.account, exposure: decision.exposure,
                ratePerMinute: entry.ratePerMinute, day: day, month: month,
                expiresAt: now.adding(seconds: decision.maxDurationSeconds + Self.reservationMargin))
            Self.updateBursting(&g, snapshot, profile: profile, memberLimits: memberLimits, now: now)
            return decision
        }
    }

    /// Calls whose final record arrived: their reservations end.
    public func release(group: Int64, callIDs: [String]) {
        state.withLock { groups in
            guard var g = groups[group], !g.reservations.isEmpty else { return }
            for id in callIDs { g.reservations[id] = nil }
            groups[group] = g
        }
    }

    /// What alert evaluation needs from memory: burn rate per account and
    /// channels in use per profile (authorized or reported by an agent).
    public func liveFigures(group: Int64, now: Timestamp) async throws -> LiveFigures {
        let snapshot = try await currentSnapshot(group: group, now: now)
        var decks: [Int64: RateDeck] = [:]
        for p in snapshot.profiles.values where decks[p.id] == nil {
            decks[p.id] = try? await deck(id: p.deckID, version: p.deckVersion)
        }
        return state.withLock { groups in
            var g = groups[group] ?? GroupState()
            Self.expire(&g, now: now)
            groups[group] = g
            var live = LiveFigures()
            for p in snapshot.profiles.values {
                let reported = snapshot.activeCalls[p.id] ?? [:]
                let authorized = g.reservations.filter { $0.value.profileID == p.id }
                let inUse = Set(reported.keys).union(authorized.keys).count
                if inUse > 0 { live.channelsInUse[p.id] = inUse }
                var burn = Money.zero
                for r in authorized.values { burn += Self.perMinute(r.ratePerMinute) }
                for (callID, callee) in reported where authorized[callID] == nil {
                    if let entry = decks[p.id]?.match(normalisedNumber: PhoneNumber.normalise(callee)) {
                        burn += Self.perMinute(entry.ratePerMinute)
                    }
                }
                if burn > .zero { live.burnPerMinute[p.account, default: .zero] += burn }
            }
            return live
        }
    }

    /// Calls authorized and not yet finished (for tests and metrics).
    public func reservations(group: Int64) -> [(callID: String, exposure: Money)] {
        state.withLock { ($0[group]?.reservations ?? [:]).map { ($0.key, $0.value.exposure) } }
    }

    // MARK: - Internals

    private func currentSnapshot(group: Int64, now: Timestamp) async throws -> EnforcementSnapshot {
        let version = store.enforcementVersion
        if let s = state.withLock({ $0[group]?.snapshot }), s.version == version,
            now.microseconds - s.loadedAt.microseconds < Self.snapshotLifetime
        {
            return s
        }
        let fresh = try await store.enforcementSnapshot(group: group, now: now)
        state.withLock { groups in
            var g = groups[group] ?? GroupState()
            if g.snapshot.map({ $0.version <= fresh.version }) ?? true { g.snapshot = fresh }
            groups[group] = g
        }
        return fresh
    }

    private func deck(id: Int64, version: Int) async throws -> RateDeck? {
        if let deck = decks.cached(id: id, version: version) { return deck }
        return try? decks.store(id: id, version: version, csv: try await store.rateDeckCSV(id: id))
    }

    private static func expire(_ g: inout GroupState, now: Timestamp) {
        guard g.reservations.contains(where: { $0.value.expiresAt <= now }) else { return }
        g.reservations = g.reservations.filter { $0.value.expiresAt > now }
    }

    private static func inUse(_ g: GroupState, _ s: EnforcementSnapshot, profiles: Set<Int64>, excluding callID: String) -> Int {
        var calls: Set<String> = []
        for p in profiles { calls.formUnion(s.activeCalls[p]?.keys ?? [:].keys) }
        for (id, r) in g.reservations where profiles.contains(r.profileID) { calls.insert(id) }
        calls.remove(callID)
        return calls.count
    }

    private static func updateBursting(
        _ g: inout GroupState, _ s: EnforcementSnapshot, profile: EnforcementSnapshot.Profile, memberLimits: Limits,
        now: Timestamp
    ) {
        let memberProfiles = Set(s.profiles.values.filter { $0.memberID == profile.memberID }.map(\.id))
        if let channels = profile.limits.channels, inUse(g, s, profiles: [profile.id], excluding: "") > channels {
            if g.profileBurstingSince[profile.id] == nil { g.profileBurstingSince[profile.id] = now }
        } else {
            g.profileBurstingSince[profile.id] = nil
        }
        if let channels = memberLimits.channels, inUse(g, s, profiles: memberProfiles, excluding: "") > channels {
            if g.memberBurstingSince[profile.memberID] == nil { g.memberBurstingSince[profile.memberID] = now }
        } else {
            g.memberBurstingSince[profile.memberID] = nil
        }
    }

    /// A per-minute rate as money per minute (rounded half-up to 4 decimals).
    static func perMinute(_ rate: Rate) -> Money {
        Money(units: (rate.micros + 50) / 100)
    }
}
