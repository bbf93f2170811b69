/// Phone-number handling shared by profile matching, rating and logs.
public enum PhoneNumber {
    /// Normalises a dialled string for matching (DESIGN.md rate deck rules):
    /// strip `+`, a leading `00` international prefix, and all non-digits.
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
