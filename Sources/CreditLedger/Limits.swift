public import MeteringCore

/// What an admin sets on a member or a SIP Profile. Every limit is
/// optional: nil means none.
public struct Limits: Sendable, Hashable {
    /// How far below zero the credit may go before new calls are refused
    /// (zero: no new call at or below zero).
    public var overdraft: Money = .zero
    public var dailyCap: Money?
    public var monthlyCap: Money?
    /// The longest call allowed (seconds).
    public var maxCallSeconds: Int64?
    /// Concurrent calls.
    public var channels: Int?
    /// Calls above `channels` allowed for a while, as a percentage of
    /// `channels` (Skype Connect allowed +20%), for at most `burstWindowSeconds`
    /// at a stretch.
    public var burstPercent: Int = 0
    public var burstWindowSeconds: Int64 = 0
    /// When not empty, only numbers under these prefixes may be called.
    public var allowedPrefixes: [String] = []
    /// Numbers under these prefixes may never be called (premium numbers…).
    public var barredPrefixes: [String] = []
    /// New calls per second.
    public var callsPerSecond: Int?
    /// No new calls at all.
    public var suspended = false

    public init() {}

    /// The most concurrent calls a burst allows (`channels` when none).
    public var burstChannels: Int? {
        guard let channels else { return nil }
        guard burstPercent > 0, burstWindowSeconds > 0 else { return channels }
        return channels + channels * burstPercent / 100
    }

    /// Why `normalisedNumber` may not be called, if it may not.
    public func bars(normalisedNumber: String) -> Bool {
        if barredPrefixes.contains(where: { normalisedNumber.hasPrefix($0) }) { return true }
        if !allowedPrefixes.isEmpty, !allowedPrefixes.contains(where: { normalisedNumber.hasPrefix($0) }) { return true }
        return false
    }
}
