import MeteringCore

/// CSV for reports that operators open in spreadsheets: RFC 4180 (through
/// `MeteringCore.CSVWriter`: fields holding a comma, quote, CR or LF are
/// quoted, quotes doubled, CRLF line ends) plus a guard against formula
/// injection.
///
/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a
/// formula, so a caller name such as `=HYPERLINK(...)` or
/// `-2+3+cmd|' /C calc'!A0` taken from a SIP header would run on the
/// operator's machine (OWASP "CSV Injection"). Such fields get a leading `'`,
/// which spreadsheets show as text. The rule, kept small so it can be
/// checked by eye:
///
/// - a field starting with `=`, `@`, tab or CR is prefixed;
/// - a field starting with `+` or `-` is left alone when the rest holds only
///   digits, spaces, `.` and `,` (E.164 numbers such as `+4930123456`,
///   negative amounts such as `-12.50`, a lone `-` placeholder), and is
///   prefixed otherwise (`-1+1`, `+cmd`, `-x`);
/// - every other field is left alone.
///
/// The `'` changes the bytes of the field; a reader that wants the raw value
/// strips one leading `'` from fields whose second character is one of the
/// characters above.
public enum ReportCSV {
    /// One CSV line (fields neutralised, then quoted) ending in CRLF.
    public static func line(_ fields: [String]) -> String {
        CSVWriter.line(fields.map(neutralised))
    }

    /// `field` with a leading `'` when a spreadsheet would run it as a formula.
    public static func neutralised(_ field: String) -> String {
        guard let first = field.unicodeScalars.first else { return field }
        switch first {
        case "=", "@", "\t", "\r":
            return "'" + field
        case "+", "-":
            let rest = field.unicodeScalars.dropFirst()
            let plainNumber = rest.allSatisfy { (0x30...0x39).contains($0.value) || $0 == " " || $0 == "." || $0 == "," }
            return plainNumber ? field : "'" + field
        default:
            return field
        }
    }
}

extension ReportTable {
    /// The table as CSV: a header row of column names, the rows, then the
    /// totals row if there is one. Title, period and notes are not written —
    /// a CSV is data for another program; the file name carries the period.
    public func csv() -> String {
        var out = ReportCSV.line(columns.map(\.name))
        for row in rows { out += ReportCSV.line(fitted(row)) }
        if let totals { out += ReportCSV.line(fitted(totals)) }
        return out
    }
}
