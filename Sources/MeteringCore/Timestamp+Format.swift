extension Timestamp {
    /// Appends `YYYY-MM-DDTHH:MM:SS.uuuuuuZ` as bytes (the hot path of
    /// record output; `rfc3339` is the same text as a String).
    public func appendRFC3339(to out: inout [UInt8]) {
        var secs = microseconds / 1_000_000
        var micros = microseconds % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            secs -= 1
        }
        var days = secs / 86_400
        var secOfDay = secs % 86_400
        if secOfDay < 0 {
            secOfDay += 86_400
            days -= 1
        }
        let (y, m, d) = CivilDate.fromDays(days)
        // YYYY-MM-DDTHH:MM:SS.uuuuuuZ filled in a stack buffer, appended once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { text in
            func digits(_ value: Int64, _ at: Int, _ width: Int) {
                var v = value
                var i = at + width - 1
                while i >= at {
                    text[i] = UInt8(48 + v % 10)
                    v /= 10
                    i -= 1
                }
            }
            digits(y, 0, 4)
            text[4] = UInt8(ascii: "-")
            digits(m, 5, 2)
            text[7] = UInt8(ascii: "-")
            digits(d, 8, 2)
            text[10] = UInt8(ascii: "T")
            digits(secOfDay / 3600, 11, 2)
            text[13] = UInt8(ascii: ":")
            digits(secOfDay / 60 % 60, 14, 2)
            text[16] = UInt8(ascii: ":")
            digits(secOfDay % 60, 17, 2)
            text[19] = UInt8(ascii: ".")
            digits(micros, 20, 6)
            text[26] = UInt8(ascii: "Z")
            out.append(contentsOf: UnsafeBufferPointer(text))
        }
    }
}

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

extension Timestamp {
    /// The wall clock now (edges only: pure code takes time as an argument).
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    /// `"2026-11"` style UTC month text → YYYYMM, nil when malformed.
    public static func monthKey(text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
            (1970...9998).contains(y), (1...12).contains(m)
        else { return nil }
        return y * 100 + m
    }
}
