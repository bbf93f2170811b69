/// Phone-number handling shared by profile matching, rating and logs.
public enum PhoneNumber {
    /// Normalises a dialled string for matching (DESIGN.md rate deck rules):
    /// strip `+`, a leading `00` international prefix, and all non-digits.
    public static func normalise(_ raw: some StringProtocol) -> String {
        var digits = String(raw.unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 }.map(Character.init))
        let hadPlus = raw.first == "+"
        if !hadPlus, digits.hasPrefix("00") {
            digits.removeFirst(2)
        }
        return digits
    }

    /// A number with all but its last `visible` characters hidden, for logs
    /// at info level and above and for masked reports.
    public static func mask(_ raw: String, visible: Int = 3) -> String {
        guard raw.count > visible else { return String(repeating: "*", count: raw.count) }
        return String(repeating: "*", count: raw.count - visible) + raw.suffix(visible)
    }
}
