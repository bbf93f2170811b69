extension PDFRenderer {
    /// Whether `text` is the ISO 8601 form cairo documents for
    /// `CAIRO_PDF_METADATA_CREATE_DATE`: `YYYY-MM-DDThh:mm:ss`, optionally
    /// followed by `Z` or `±hh:mm`. cairo itself only checks the character
    /// set and would write a garbled date, so the shape and ranges are
    /// checked here.
    static func isValidCreationDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 19 || bytes.count == 20 || bytes.count == 25 else { return false }
        func number(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for b in bytes[start..<start + length] {
                guard (0x30...0x39).contains(b) else { return nil }
                value = value * 10 + Int(b - 0x30)
            }
            return value
        }
        func byte(_ i: Int, is c: Character) -> Bool { c.asciiValue == bytes[i] }
        guard byte(4, is: "-"), byte(7, is: "-"), byte(10, is: "T"), byte(13, is: ":"), byte(16, is: ":"),
            number(0, 4) != nil,
            let month = number(5, 2), (1...12).contains(month),
            let day = number(8, 2), (1...31).contains(day),
            let hour = number(11, 2), hour <= 23,
            let minute = number(14, 2), minute <= 59,
            let second = number(17, 2), second <= 60
        else { return false }
        switch bytes.count {
        case 19: return true
        case 20: return byte(19, is: "Z")
        default:
            guard byte(19, is: "+") || byte(19, is: "-"), byte(22, is: ":"),
                let zoneHour = number(20, 2), zoneHour <= 23,
                let zoneMinute = number(23, 2), zoneMinute <= 59
            else { return false }
            return true
        }
    }
}
