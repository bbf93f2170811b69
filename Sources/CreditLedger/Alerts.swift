public import MeteringCore

/// The kinds of alert an admin can set (the `type` of an alert rule).
public enum AlertType: String, Sendable, CaseIterable, Comparable {
    /// Balance below an amount, or below a percentage of the last allocation.
    case lowBalance = "low_balance"
    /// At the burn rate of the calls in progress, the credit lasts less than N minutes.
    case timeToEmpty = "time_to_empty"
    case creditExhausted = "credit_exhausted"
    /// A daily or monthly spend cap reached.
    case spendCap = "spend_cap"
    case channelsFull = "channels_full"
    case channelsBursting = "channels_bursting"
    /// The group balance can't cover the configured auto-recharges (or one failed).
    case autoRechargeShort = "auto_recharge_short"
    /// An agent sent nothing for N minutes.
    case agentSilent = "agent_silent"

    public static func < (a: AlertType, b: AlertType) -> Bool { a.rawValue < b.rawValue }
}

/// A rule's thresholds; which apply depends on the type.
public struct AlertRule: Sendable, Hashable {
    public var type: AlertType
    public var amount: Money?
    public var percent: Int?
    public var minutes: Int64?

    public init(type: AlertType, amount: Money? = nil, percent: Int? = nil, minutes: Int64? = nil) {
        self.type = type
        self.amount = amount
        self.percent = percent
        self.minutes = minutes
    }
}

/// What is known of one subject (a member, a SIP Profile with its own
/// credit, the group, an agent) at one moment.
public struct AlertObservation: Sendable, Hashable {
    /// `member:alice`, `profile:alice-trunk`, `group`, `agent:edge`.
    public var subject: String
    public var balance: Money?
    public var lastAllocation: Money?
    /// Sum of the per-minute rates of the calls in progress charged here.
    public var burnPerMinute: Money = .zero
    public var exhausted = false
    /// Which cap is reached, if one is ("daily" or "monthly").
    public var capReached: String?
    public var channelsInUse: Int?
    public var channels: Int?
    /// Group: the sum of the configured auto-recharge amounts, and whether one failed.
    public var autoRechargeNeed: Money?
    public var autoRechargeFailed = false
    /// Agent: when it was last heard from.
    public var lastSeen: Timestamp?

    public init(subject: String) {
        self.subject = subject
    }
}

/// One condition checked: whether it holds now, and the sentence for the alert.
public struct AlertCheck: Sendable, Hashable {
    public var type: AlertType
    public var subject: String
    public var active: Bool
    public var message: String

    /// The latch's key: one latch per type and subject.
    public var key: String { "\(type.rawValue) \(subject)" }
}

/// Alert decisions: which conditions hold, and the latch that makes each
/// fire once per crossing and re-arm only after recovery.
public enum Alerts {
    /// The conditions `rules` describe for `o` at `now`. A rule whose type
    /// does not apply to the subject checks nothing.
    public static func checks(_ o: AlertObservation, rules: [AlertRule], now: Timestamp) -> [AlertCheck] {
        var out: [AlertCheck] = []
        func add(_ type: AlertType, _ active: Bool, _ message: String) {
            out.append(AlertCheck(type: type, subject: o.subject, active: active, message: message))
        }
        for rule in rules {
            switch rule.type {
            case .lowBalance:
                guard let balance = o.balance else { continue }
                var line: Money?
                if let amount = rule.amount { line = amount }
                if let percent = rule.percent, let last = o.lastAllocation, last > .zero {
                    let share = Money(units: last.units * Int64(percent) / 100)
                    line = max(line ?? share, share)
                }
                guard let line else { continue }
                add(.lowBalance, balance < line, "\(o.subject): balance \(balance) is below \(line)")
            case .timeToEmpty:
                guard let balance = o.balance, let minutes = rule.minutes else { continue }
                guard o.burnPerMinute > .zero else {
                    add(.timeToEmpty, false, "\(o.subject): no call in progress")
                    continue
                }
                // balance / burn < minutes, without division.
                let active = balance.units < o.burnPerMinute.units * minutes
                let left = balance.units <= 0 ? 0 : balance.units / o.burnPerMinute.units
                add(
                    .timeToEmpty, active,
                    "\(o.subject): at \(o.burnPerMinute)/min the credit of \(balance) lasts about \(left) min (alert below \(minutes))"
                )
            case .creditExhausted:
                guard o.balance != nil else { continue }
                add(.creditExhausted, o.exhausted, "\(o.subject): credit exhausted (balance \(o.balance ?? .zero))")
            case .spendCap:
                guard o.balance != nil || o.capReached != nil else { continue }
                add(.spendCap, o.capReached != nil, "\(o.subject): \(o.capReached ?? "spend") cap reached")
            case .channelsFull:
                guard let inUse = o.channelsInUse, let channels = o.channels else { continue }
                add(.channelsFull, inUse >= channels, "\(o.subject): \(inUse) of \(channels) channels in use")
            case .channelsBursting:
                guard let inUse = o.channelsInUse, let channels = o.channels else { continue }
                add(.channelsBursting, inUse > channels, "\(o.subject): \(inUse) calls in progress, above \(channels) channels")
            case .autoRechargeShort:
                guard let need = o.autoRechargeNeed, let balance = o.balance else { continue }
                add(
                    .autoRechargeShort, o.autoRechargeFailed || balance < need,
                    o.autoRechargeFailed
                        ? "\(o.subject): an auto-recharge could not be made"
                        : "\(o.subject): balance \(balance) can't cover the auto-recharges (\(need))")
            case .agentSilent:
                guard let minutes = rule.minutes, let seen = o.lastSeen else { continue }
                let silent = now.microseconds - seen.microseconds >= minutes * 60_000_000
                add(.agentSilent, silent, "\(o.subject): nothing received since \(seen.rfc3339)")
            }
        }
        return out
    }

    /// The latch: `fired` holds the keys that fired and have not recovered.
    /// Returns the checks that fire now and the keys that re-arm.
    public static func latch(_ checks: [AlertCheck], fired: Set<String>) -> (fire: [AlertCheck], rearm: [String]) {
        var fire: [AlertCheck] = []
        var rearm: [String] = []
        for check in checks {
            if check.active, !fired.contains(check.key) { fire.append(check) }
            if !check.active, fired.contains(check.key) { rearm.append(check.key) }
        }
        return (fire, rearm)
    }

    /// The rules for a subject: its own override of a type wins over the
    /// group default of that type.
    public static func effective(defaults: [AlertRule], overrides: [AlertRule]) -> [AlertRule] {
        let overridden = Set(overrides.map(\.type))
        return overrides + defaults.filter { !overridden.contains($0.type) }
    }
}
