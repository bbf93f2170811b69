public import MeteringCore

/// A SIP trunk account whose calls are metered together (DESIGN.md).
public struct SIPProfile: Sendable, Equatable {
    public var name: String
    /// Outbound: From or P-Asserted-Identity users.
    public var fromUsers: [String]
    /// Inbound: DIDs in the Request-URI or To, compared normalised.
    public var numbers: [String]
    /// Optional: the trunk's addresses; when set and the source logged
    /// addresses, one end of the first INVITE must be one of them.
    public var hosts: [String]

    public init(name: String, fromUsers: [String] = [], numbers: [String] = [], hosts: [String] = []) {
        self.name = name
        self.fromUsers = fromUsers
        self.numbers = numbers
        self.hosts = hosts
    }
}

/// Decides which profile a call belongs to, and its direction, from the
/// call's initial INVITE (never from a later BYE, whose From may be the
/// callee's).
public struct ProfileMatcher: Sendable {
    private var byFromUser: [String: Int] = [:]
    private var byNumber: [String: Int] = [:]
    private let profiles: [SIPProfile]

    public init(profiles: [SIPProfile]) {
        self.profiles = profiles
        for (i, p) in profiles.enumerated() {
            for u in p.fromUsers where byFromUser[u] == nil {
                byFromUser[u] = i
                let n = PhoneNumber.normalise(u)
                if !n.isEmpty, n.count == u.filter(\.isNumber).count, byFromUser[n] == nil { byFromUser[n] = i }
            }
            for n in p.numbers {
                let key = PhoneNumber.normalise(n)
                if !key.isEmpty, byNumber[key] == nil { byNumber[key] = i }
            }
        }
    }

    public func match(
        fromUser: String?, assertedUser: String?, requestUser: String?, toUser: String?,
        hosts: [String]
    ) -> (profile: String?, direction: Direction) {
        guard !profiles.isEmpty else { return (nil, .unknown) }
        for user in [fromUser, assertedUser].compactMap({ $0 }) {
            if let i = byFromUser[user] ?? byFromUser[PhoneNumber.normalise(user)], hostAllowed(i, hosts) {
                return (profiles[i].name, .outbound)
            }
        }
        for user in [requestUser, toUser].compactMap({ $0 }) {
            let key = PhoneNumber.normalise(user)
            if !key.isEmpty, let i = byNumber[key], hostAllowed(i, hosts) {
                return (profiles[i].name, .inbound)
            }
        }
        return (nil, .unknown)
    }

    private func hostAllowed(_ index: Int, _ hosts: [String]) -> Bool {
        let allowed = profiles[index].hosts
        guard !allowed.isEmpty, !hosts.isEmpty else { return true }
        return hosts.contains { allowed.contains($0) }
    }
}
