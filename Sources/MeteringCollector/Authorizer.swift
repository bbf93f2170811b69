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
    typealias Reservation = ReservationBook.Reservation

    struct GroupState: Sendable {
        var snapshot: EnforcementSnapshot?
        /// What every decision derives from the snapshot, computed once per snapshot.
        var index = SnapshotIndex()
        var book = ReservationBook()
        /// Calls reported by agents (snapshot) that no reservation covers, per profile.
        var reportedOnly: [Int64: Int] = [:]
        /// Grant times in the last second, per profile and per member.
        var profileGrants: [Int64: GrantWindow] = [:]
        var memberGrants: [Int64: GrantWindow] = [:]
        var profileBurstingSince: [Int64: Timestamp] = [:]
        var memberBurstingSince: [Int64: Timestamp] = [:]
        /// Rate decks of the snapshot's profiles (nil: the deck does not parse).
        var decks: [DeckKey: RateDeck?] = [:]
        /// The snapshot load in flight, if any.
        var loading: Task<EnforcementSnapshot, any Error>?
    }

    struct DeckKey: Hashable {
        var id: Int64
        var version: Int
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
        /// The group's settings kept changing while a decision waited for them.
        case unsettled
    }

    /// Decides, and reserves the exposure of an allowed call. Asking again
    /// for a Call-ID already authorized answers the same way again (a
    /// retransmitted INVITE) without reserving twice.
    ///
    /// The decision is taken in one pass under the lock, reading the held
    /// snapshot in place. When the snapshot is older than the store's last
    /// change (or than `snapshotLifetime`), or the profile's rate deck is not
    /// at hand yet, that pass says so instead, the missing piece is loaded
    /// outside the lock, and the pass is run again.
    public func authorize(_ request: Request, principal: Principal, now: Timestamp) async throws -> AuthorizationDecision {
        let group = principal.groupID
        let version = store.enforcementVersion
        for attempt in 0..<Self.attempts {
            // The last pass takes the snapshot it holds, however recent: writes
            // that keep landing while it reloads must not starve a decision.
            let fresh = attempt < Self.attempts - 1 ? version : nil
            let step = state.withLock { groups in
                Self.decide(request, principal: principal, now: now, freshAsOf: fresh, &groups[group, default: GroupState()])
            }
            switch step {
            case .decided(let decision): return decision
            case .failed(let failure): throw failure
            case .needsSnapshot: try await reload(group: group, now: now)
            case .needsDeck(let id, let deckVersion):
                let deck = try await deck(id: id, version: deckVersion)
                state.withLock { groups in groups[group]?.decks[DeckKey(id: id, version: deckVersion)] = .some(deck) }
            }
        }
        throw Failure.unsettled
    }

    /// The decision when everything it reads is at hand (a fresh snapshot,
    /// the profile's rate deck), without an await: the common case. nil
    /// means `authorize` must load something first.
    public func authorizeNow(_ request: Request, principal: Principal, now: Timestamp) throws -> AuthorizationDecision? {
        let version = store.enforcementVersion
        let step = state.withLock { groups in
            Self.decide(
                request, principal: principal, now: now, freshAsOf: version, &groups[principal.groupID, default: GroupState()])
        }
        switch step {
        case .decided(let decision): return decision
        case .failed(let failure): throw failure
        case .needsSnapshot, .needsDeck: return nil
        }
    }

    /// What a pass under the lock came to.
    enum Step {
        case decided(AuthorizationDecision)
        case failed(Failure)
        case needsSnapshot
        case needsDeck(id: Int64, version: Int)
    }

    /// Snapshot reloads and deck loads a decision may wait for, at most.
    static let attempts = 4

    private static func decide(
        _ request: Request, principal: Principal, now: Timestamp, freshAsOf version: Int?, _ g: inout GroupState
    ) -> Step {
        guard let snapshot = g.snapshot,
            version.map({ snapshot.version >= $0 && now.microseconds - snapshot.loadedAt.microseconds < snapshotLifetime })
                ?? true
        else { return .needsSnapshot }
        guard let profile = snapshot.profiles[request.profile] else { return .failed(.unknownProfile(request.profile)) }
        if principal.role == .agent, let agent = principal.agentID,
            !(snapshot.agentProfiles[agent]?.contains(request.profile) ?? false)
        {
            return .failed(.notBound(request.profile))
        }
        guard let deck = g.decks[DeckKey(id: profile.deckID, version: profile.deckVersion)] else {
            return .needsDeck(id: profile.deckID, version: profile.deckVersion)
        }
        let memberLimits = snapshot.memberLimits[profile.memberID] ?? Limits()
        let balance = snapshot.balances[profile.account] ?? .zero
        Self.expire(&g, now: now)
        let day = now.dayKey
        let month = now.monthKey
        // A Call-ID asked again (a retransmitted INVITE) is weighed without its own reservation.
        let own = g.book[request.callID]
        func ownShare(_ match: (Reservation) -> Bool) -> Money { own.map { match($0) ? $0.exposure : .zero } ?? .zero }
        let memberProfiles = g.index.memberProfiles[profile.memberID] ?? [profile.id]
        var c = AuthorizationContext()
        c.now = now
        c.deck = deck
        c.profileLimits = profile.limits
        c.memberLimits = memberLimits
        c.balance = balance
        c.overdraft = profile.overdraft
        let totals = g.book.totals(
            profile: profile.id, member: profile.memberID, account: profile.account, day: day, month: month)
        c.reservedOnAccount = totals.onAccount - ownShare { $0.account == profile.account }
        c.profileSpentToday = profile.spentToday + totals.profileDay - ownShare { $0.profileID == profile.id && $0.day == day }
        c.profileSpentMonth =
            profile.spentMonth + totals.profileMonth - ownShare { $0.profileID == profile.id && $0.month == month }
        c.memberSpentToday =
            (g.index.memberSpentToday[profile.memberID] ?? .zero) + totals.memberDay
            - ownShare { $0.memberID == profile.memberID && $0.day == day }
        c.memberSpentMonth =
            (g.index.memberSpentMonth[profile.memberID] ?? .zero) + totals.memberMonth
            - ownShare { $0.memberID == profile.memberID && $0.month == month }
        // The asking call's own channel (a retransmission, or a call an agent reported) is not counted.
        let asking = own?.profileID ?? g.index.reportedProfile[request.callID]
        c.profileChannelsInUse = Self.inUse(g, profiles: CollectionOfOne(profile.id), excluding: asking)
        c.memberChannelsInUse = Self.inUse(g, profiles: memberProfiles, excluding: asking)
        c.profileBurstingSince = g.profileBurstingSince[profile.id]
        c.memberBurstingSince = g.memberBurstingSince[profile.memberID]
        let second = now.adding(microseconds: -1_000_000)
        c.profileCallsLastSecond = g.profileGrants[profile.id]?.count(after: second) ?? 0
        c.memberCallsLastSecond = g.memberGrants[profile.memberID]?.count(after: second) ?? 0
        if !profile.bundles.isEmpty,
            let index = BundleAllowance.bestMatch(in: profile.bundles, number: PhoneNumber.normalise(request.callee))
        {
            c.bundleSecondsLeft = profile.bundles[index].secondsLeft
        }
        let decision = Authorization.decide(callee: request.callee, c)
        guard decision.allow, let entry = decision.entry else { return .decided(decision) }
        if own == nil {
            g.profileGrants[profile.id, default: GrantWindow()].append(now)
            g.memberGrants[profile.memberID, default: GrantWindow()].append(now)
        }
        Self.reserve(
            &g, callID: request.callID,
            Reservation(
                profileID: profile.id, memberID: profile.memberID, account: profile.account, exposure: decision.exposure,
                ratePerMinute: entry.ratePerMinute, day: day, month: month,
                expiresAt: now.adding(seconds: decision.maxDurationSeconds + Self.reservationMargin)))
        Self.updateBursting(&g, profile: profile, memberProfiles: memberProfiles, memberLimits: memberLimits, now: now)
        return .decided(decision)
    }

    /// Calls whose final record arrived: their reservations end.
    public func release(group: Int64, callIDs: [String]) {
        state.withLock { groups in
            guard groups[group].map({ !$0.book.isEmpty }) ?? false, var g = groups.removeValue(forKey: group) else { return }
            for id in callIDs { Self.unreserve(&g, callID: id) }
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
            var g = groups.removeValue(forKey: group) ?? GroupState()
            defer { groups[group] = g }
            Self.adopt(&g, snapshot)
            Self.expire(&g, now: now)
            var authorizedBy: [Int64: [String: Reservation]] = [:]
            for (id, r) in g.book.byCallID { authorizedBy[r.profileID, default: [:]][id] = r }
            var live = LiveFigures()
            for p in snapshot.profiles.values {
                let reported = snapshot.activeCalls[p.id] ?? [:]
                let authorized = authorizedBy[p.id] ?? [:]
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
        state.withLock { ($0[group]?.book.byCallID ?? [:]).map { ($0.key, $0.value.exposure) } }
    }

    // MARK: - Internals

    private func currentSnapshot(group: Int64, now: Timestamp) async throws -> EnforcementSnapshot {
        let version = store.enforcementVersion
        if let s = state.withLock({ $0[group]?.snapshot }), s.version >= version,
            now.microseconds - s.loadedAt.microseconds < Self.snapshotLifetime
        {
            return s
        }
        return try await reload(group: group, now: now)
    }

    /// Loads the group's snapshot from the store and adopts it. One load at
    /// a time per group: when the snapshot ages out under load, every
    /// request in flight finds it stale at once, and they all wait for the
    /// same query instead of each running its own.
    @discardableResult
    private func reload(group: Int64, now: Timestamp) async throws -> EnforcementSnapshot {
        let load = state.withLock { groups in
            if let running = groups[group]?.loading { return running }
            let store = self.store
            let started = Task { try await store.enforcementSnapshot(group: group, now: now) }
            groups[group, default: GroupState()].loading = started
            return started
        }
        let result = await load.result
        state.withLock { groups in
            if groups[group]?.loading == load { groups[group]?.loading = nil }
            if case .success(let fresh) = result { Self.adopt(&groups[group, default: GroupState()], fresh) }
        }
        return try result.get()
    }

    private func deck(id: Int64, version: Int) async throws -> RateDeck? {
        if let deck = decks.cached(id: id, version: version) { return deck }
        return try? decks.store(id: id, version: version, csv: try await store.rateDeckCSV(id: id))
    }

    /// Takes `s` as the group's snapshot when it is newer than the one held,
    /// and derives what decisions read from it.
    private static func adopt(_ g: inout GroupState, _ s: EnforcementSnapshot) {
        if let held = g.snapshot, (held.version, held.loadedAt) >= (s.version, s.loadedAt) { return }
        if g.snapshot?.version != s.version { g.decks = [:] }
        g.snapshot = s
        g.index = SnapshotIndex(s)
        g.reportedOnly = [:]
        for (callID, profile) in g.index.reportedProfile where g.book[callID] == nil {
            g.reportedOnly[profile, default: 0] += 1
        }
    }

    private static func reserve(_ g: inout GroupState, callID: String, _ r: Reservation) {
        if g.book[callID] == nil, let p = g.index.reportedProfile[callID] { g.reportedOnly[p, default: 0] -= 1 }
        g.book.insert(r, callID: callID)
    }

    private static func unreserve(_ g: inout GroupState, callID: String) {
        guard g.book.remove(callID) != nil else { return }
        if let p = g.index.reportedProfile[callID] { g.reportedOnly[p, default: 0] += 1 }
    }

    private static func expire(_ g: inout GroupState, now: Timestamp) {
        for callID in g.book.expire(now: now) {
            if let p = g.index.reportedProfile[callID] { g.reportedOnly[p, default: 0] += 1 }
        }
    }

    /// Calls in progress on `profiles`: authorized here, or reported by an
    /// agent and not authorized here; less one when the asking call is
    /// itself in progress on one of them (`excluding`: its profile).
    private static func inUse(_ g: GroupState, profiles: some Collection<Int64>, excluding asking: Int64?) -> Int {
        var n = 0
        for p in profiles { n += g.book.calls(profile: p) + (g.reportedOnly[p] ?? 0) }
        if let asking, profiles.contains(asking) { n -= 1 }
        return n
    }

    private static func updateBursting(
        _ g: inout GroupState, profile: EnforcementSnapshot.Profile, memberProfiles: [Int64], memberLimits: Limits,
        now: Timestamp
    ) {
        if let channels = profile.limits.channels, inUse(g, profiles: CollectionOfOne(profile.id), excluding: nil) > channels {
            if g.profileBurstingSince[profile.id] == nil { g.profileBurstingSince[profile.id] = now }
        } else {
            g.profileBurstingSince[profile.id] = nil
        }
        if let channels = memberLimits.channels, inUse(g, profiles: memberProfiles, excluding: nil) > channels {
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
