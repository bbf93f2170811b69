/// A point in time as whole microseconds since the Unix epoch, UTC.
///
/// Call records carry microsecond precision (DESIGN.md: RFC 3339 UTC with
/// microseconds); an integer keeps arithmetic exact and formatting stable.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var microseconds: Int64

    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public init(seconds: Int64, microseconds: Int64 = 0) {
        self.microseconds = seconds &* 1_000_000 &+ microseconds
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microseconds < rhs.microseconds
    }

    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(microseconds: microseconds &+ seconds &* 1_000_000)
    }

    public func adding(microseconds delta: Int64) -> Timestamp {
        Timestamp(microseconds: microseconds &+ delta)
    }

    /// Milliseconds from `earlier` to `self`, truncated; never negative.
    public func milliseconds(since earlier: Timestamp) -> Int64 {
        let (delta, overflow) = microseconds.subtractingReportingOverflow(earlier.microseconds)
        return overflow ? 0 : max(0, delta / 1000)
    }
}

extension Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
    public var rfc3339: String {
        let (secs, micros) = floorDivide(microseconds, 1_000_000)
        let (days, secOfDay) = floorDivide(secs, 86_400)
        let (y, m, d) = CivilDate.fromDays(days)
        var out = ""
        out.reserveCapacity(27)
        appendPadded(&out, y, 4)
        out.append("-")
        appendPadded(&out, m, 2)
        out.append("-")
        appendPadded(&out, d, 2)
        out.append("T")
        appendPadded(&out, secOfDay / 3600, 2)
        out.append(":")
        appendPadded(&out, (secOfDay / 60) % 60, 2)
        out.append(":")
        appendPadded(&out, secOfDay % 60, 2)
        out.append(".")
        appendPadded(&out, micros, 6)
        out.append("Z")
        return out
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f]` followed by `Z`, `±hh:mm` or nothing
    /// (then `defaultOffsetSeconds` applies, e.g. a local zone's offset).
    public static func parseRFC3339(_ text: Substring) -> (Timestamp, hasZone: Bool)? {
        // Read in place (a native string's bytes are contiguous): every
        // record the collector takes carries four of these.
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ parseRFC3339(bytes: $0) }) { return parsed }
        return Array(text.utf8).withUnsafeBufferPointer { parseRFC3339(bytes: $0) }
    }

    private static func parseRFC3339(bytes: UnsafeBufferPointer<UInt8>) -> (Timestamp, hasZone: Bool)? {
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= bytes.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + count) {
                let b = bytes[i]
                guard b >= 48, b <= 57 else { return nil }
                v = v * 10 + Int64(b - 48)
            }
            return v
        }
        guard bytes.count >= 19,
            let y = num(0, 4), bytes[4] == UInt8(ascii: "-"),
            let mo = num(5, 2), bytes[7] == UInt8(ascii: "-"),
            let d = num(8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            let h = num(11, 2), bytes[13] == UInt8(ascii: ":"),
            let mi = num(14, 2), bytes[16] == UInt8(ascii: ":"),
            let s = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        var i = 19
        var micros: Int64 = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[i] - 48) }
                digits += 1
                i += 1
            }
            while digits < 6 {
                micros *= 10
                digits += 1
            }
        }
        var offset: Int64 = 0
        var hasZone = false
        if i < bytes.count {
            if bytes[i] == UInt8(ascii: "Z") {
                hasZone = true
            } else if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                guard let oh = num(i + 1, 2) else { return nil }
                let om = num(i + 4, 2) ?? num(i + 3, 2) ?? 0
                offset = (oh * 3600 + om * 60) * (bytes[i] == UInt8(ascii: "-") ? -1 : 1)
                hasZone = true
            }
        }
        let days = CivilDate.toDays(year: y, month: mo, day: d)
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset
        return (Timestamp(seconds: secs, microseconds: micros), hasZone)
    }
}

private func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
    var q = a / b
    var r = a % b
    if r < 0 {
        q -= 1
        r += b
    }
    return (q, r)
}

private func appendPadded(_ out: inout String, _ value: Int64, _ width: Int) {
    let text = String(value)
    if text.count < width {
        out.append(String(repeating: "0", count: width - text.count))
    }
    out.append(text)
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's algorithms).
public enum CivilDate {
    public static func toDays(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func fromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
