/// An amount of money in integer minor units at the fixed scale of DESIGN.md:
/// 4 decimals, so `units == 123400` is `12.3400`. Never floating point.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number of decimals every amount carries.
    public static let scale = 4
    /// Units per whole currency unit (10^scale).
    public static let unitsPerWhole: Int64 = 10_000

    public var units: Int64

    public init(units: Int64) {
        self.units = units
    }

    public static let zero = Money(units: 0)

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.units < rhs.units }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(units: lhs.units + rhs.units) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(units: lhs.units - rhs.units) }
    public static prefix func - (value: Money) -> Money { Money(units: -value.units) }
    public static func += (lhs: inout Money, rhs: Money) { lhs.units += rhs.units }
    public static func -= (lhs: inout Money, rhs: Money) { lhs.units -= rhs.units }

    /// Parses a decimal string such as `"12.34"`, `"-5"` or `"0.0001"`.
    /// More than 4 decimals, exponents, or amounts beyond ±10^12 are refused
    /// rather than rounded: money typed by a person must be exact.
    public init?(decimal text: some StringProtocol) {
        guard let value = FixedDecimal.parse(text, scale: Money.scale, maxWhole: 1_000_000_000_000) else {
            return nil
        }
        units = value
    }

    /// `"12.3400"`: always 4 decimals, a leading `-` when negative.
    public var description: String { FixedDecimal.format(units, scale: Money.scale) }
}

/// A price per minute or a connect fee from a rate deck: 6 decimals
/// (`micros == 21000` is `0.021000`).
public struct Rate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let scale = 6
    public var micros: Int64

    public init(micros: Int64) {
        self.micros = micros
    }

    public static let zero = Rate(micros: 0)

    public static func < (lhs: Rate, rhs: Rate) -> Bool { lhs.micros < rhs.micros }

    /// Parses a non-negative decimal with at most 6 decimals, at most 10^6.
    public init?(decimal text: some StringProtocol) {
        guard let value = FixedDecimal.parse(text, scale: Rate.scale, maxWhole: 1_000_000), value >= 0 else {
            return nil
        }
        micros = value
    }

    /// `"0.021000"` with trailing zeros beyond 4 decimals trimmed: `"0.0210"`.
    public var description: String {
        FixedDecimal.format(micros, scale: Rate.scale, keepingDecimals: Money.scale)
    }
}

/// Exact decimal text ⇄ scaled integers.
public enum FixedDecimal {
    /// `text` as an integer count of 10^-scale, or nil when it is not a plain
    /// decimal (optional sign, digits, optional point and at most `scale`
    /// decimals) or its whole part reaches `maxWhole`.
    public static func parse(_ text: some StringProtocol, scale: Int, maxWhole: Int64) -> Int64? {
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty else { return nil }
        var negative = false
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") {
            negative = bytes.first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var decimals = 0
        var seenPoint = false
        var digits = 0
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard b >= 48, b <= 57 else { return nil }
            digits += 1
            let d = Int64(b - 48)
            if seenPoint {
                decimals += 1
                guard decimals <= scale else { return nil }
                fraction = fraction * 10 + d
            } else {
                whole = whole * 10 + d
                guard whole < maxWhole else { return nil }
            }
        }
        guard digits > 0 else { return nil }
        var factor: Int64 = 1
        for _ in 0..<scale { factor *= 10 }
        for _ in decimals..<scale { fraction *= 10 }
        let value = whole * factor + fraction
        return negative ? -value : value
    }

    /// `value` (a count of 10^-scale) as text with exactly `scale` decimals.
    public static func format(_ value: Int64, scale: Int) -> String {
        format(value, scale: scale, keepingDecimals: scale)
    }

    /// `format`, with trailing zeros of the fraction dropped down to
    /// `keepingDecimals` digits. Written into one buffer (rates and money go
    /// into every authorization answer and report line).
    public static func format(_ value: Int64, scale: Int, keepingDecimals keep: Int) -> String {
        precondition(scale >= 0 && scale <= 18 && keep <= scale)
        // Digits of the magnitude, at least scale + 1 of them, right-aligned.
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { d in
            var m = value.magnitude
            var n = 0
            repeat {
                d[31 - n] = UInt8(48 + m % 10)
                m /= 10
                n += 1
            } while m > 0 || n <= scale
            var end = 32
            while end > 32 - (scale - keep), d[end - 1] == 48 { end -= 1 }
            let wholeCount = n - scale
            let fractionCount = end - (32 - scale)
            return String(unsafeUninitializedCapacity: 1 + wholeCount + 1 + fractionCount) { out in
                var k = 0
                if value < 0 {
                    out[0] = UInt8(ascii: "-")
                    k = 1
                }
                for i in (32 - n)..<(32 - scale) {
                    out[k] = d[i]
                    k += 1
                }
                out[k] = UInt8(ascii: ".")
                k += 1
                for i in (32 - scale)..<end {
                    out[k] = d[i]
                    k += 1
                }
                return k
            }
        }
    }
}
