#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Converts wall-clock times written in the host's local zone (SIPp, sngrep
/// and FreeSWITCH logs carry no zone) to UTC timestamps, honouring `TZ`.
public struct LocalTimeConverter: Sendable {
    private var cachedKey: Int64 = -1
    private var cachedOffset: Int64 = 0

    public init() {}

    /// The UTC timestamp of a local civil time, or nil when a field is out
    /// of range (the values come from untrusted log text).
    public mutating func timestamp(
        year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64, microsecond: Int64
    ) -> Timestamp? {
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day), (0..<24).contains(hour),
            (0..<60).contains(minute), (0...60).contains(second), (0..<1_000_000).contains(microsecond)
        else { return nil }
        // Zone offsets only change on hour boundaries; cache per local hour.
        let key = ((year * 13 + month) * 32 + day) * 24 + hour
        if key != cachedKey {
            cachedOffset = Self.offset(year: year, month: month, day: day, hour: hour)
            cachedKey = key
        }
        let days = CivilDate.toDays(year: year, month: month, day: day)
        let local = days * 86_400 + hour * 3600 + minute * 60 + second
        return Timestamp(seconds: local - cachedOffset, microseconds: microsecond)
    }

    /// Seconds east of UTC in force at that local hour.
    private static func offset(year: Int64, month: Int64, day: Int64, hour: Int64) -> Int64 {
        var parts = tm()
        parts.tm_year = Int32(truncatingIfNeeded: year - 1900)
        parts.tm_mon = Int32(truncatingIfNeeded: month - 1)
        parts.tm_mday = Int32(truncatingIfNeeded: day)
        parts.tm_hour = Int32(truncatingIfNeeded: hour)
        parts.tm_min = 30
        parts.tm_isdst = -1
        let utc = mktime(&parts)
        guard utc != -1 else { return 0 }
        let local = CivilDate.toDays(year: year, month: month, day: day) * 86_400 + hour * 3600 + 1800
        return local - Int64(utc)
    }

    /// The local civil date (year, month, day) of a UTC timestamp.
    public static func localDate(of time: Timestamp) -> (Int64, Int64, Int64) {
        var secs = time_t(time.microseconds / 1_000_000)
        var parts = tm()
        localtime_r(&secs, &parts)
        return (Int64(parts.tm_year) + 1900, Int64(parts.tm_mon) + 1, Int64(parts.tm_mday))
    }
}
