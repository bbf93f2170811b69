/// Phone-number handling shared by profile matching, rating and logs.
public enum PhoneNumber {
    /// Normalises a dialled string for matching (DESIGN.md rate deck rules):
    /// strip `+`, a leading `00` international prefix, and all non-digits.
    public static func normalise(_ raw: String) -> String {
        // A String's bytes in one buffer: the generic version walks them
        // through protocol witnesses (this runs on every authorization).
        var raw = raw
        return raw.withUTF8 { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { out in
                var n = 0
                for b in bytes where b >= 48 && b <= 57 {
                    out[n] = b
                    n += 1
                }
                // 00 is an international prefix, like +.
                if bytes.first != UInt8(ascii: "+"), n >= 2, out[0] == 48, out[1] == 48 {
                    for k in 2..<n { out[k - 2] = out[k] }
                    n -= 2
                }
                return n
            }
        }
    }

    public static func normalise(_ raw: some StringProtocol) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(raw.utf8.count)
        for b in raw.utf8 where b >= 48 && b <= 57 { digits.append(b) }
        let hadPlus = raw.utf8.first == UInt8(ascii: "+")
        var start = 0
        if !hadPlus, digits.count >= 2, digits[0] == 48, digits[1] == 48 { start = 2 }
        return String(decoding: digits[start...], as: UTF8.self)
    }

    /// A number with all but its last `visible` characters hidden, for logs
    /// at info level and above and for masked reports.
    public static func mask(_ raw: String, visible: Int = 3) -> String {
        guard raw.count > visible else { return String(repeating: "*", count: raw.count) }
        return String(repeating: "*", count: raw.count - visible) + raw.suffix(visible)
    }
}
