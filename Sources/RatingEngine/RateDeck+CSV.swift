public import MeteringCore

extension RateDeck {
    /// The columns of DESIGN.md, in order.
    public static let csvHeader = [
        "prefix", "description", "rate_per_minute", "connect_fee", "initial_seconds", "increment_seconds",
    ]

    /// Parses `prefix,description,rate_per_minute,connect_fee,initial_seconds,increment_seconds`.
    /// A first line equal to that header is skipped; blank lines and lines
    /// starting with `#` are ignored; fields may be quoted (RFC 4180).
    /// Errors name the 1-based line and the field.
    public init(csv text: String) throws(RateDeckError) {
        var entries: [RateDeckEntry] = []
        var lineNumbers: [Int] = []
        var lastLine = 1
        var records = CSVRecordReader(text: text)
        while let (fields, line) = try records.next() {
            lastLine = line
            if fields.count == 1, fields[0].trimmingSpaces.isEmpty { continue }
            if fields[0].hasPrefix("#") { continue }
            if entries.isEmpty, fields.map({ $0.trimmingSpaces.lowercased() }) == Self.csvHeader { continue }
            guard fields.count == 6 else {
                throw RateDeckError(line: line, message: "expected 6 fields, found \(fields.count)")
            }
            entries.append(try Self.entry(fields, line: line))
            lineNumbers.append(line)
        }
        guard !entries.isEmpty else { throw RateDeckError(line: lastLine, message: "no rates in the deck") }
        do {
            try self.init(entries: entries)
        } catch {
            // `init(entries:)` counts entries; name the CSV line instead.
            throw RateDeckError(line: lineNumbers[error.line - 1], message: error.message)
        }
    }

    private static func entry(_ f: [String], line: Int) throws(RateDeckError) -> RateDeckEntry {
        let prefix = f[0].trimmingSpaces
        guard let rate = Rate(decimal: f[2].trimmingSpaces) else {
            throw RateDeckError(line: line, message: "rate_per_minute \"\(f[2])\" is not a decimal ≥ 0 with at most 6 decimals")
        }
        let feeText = f[3].trimmingSpaces
        guard let fee = feeText.isEmpty ? .zero : Rate(decimal: feeText) else {
            throw RateDeckError(line: line, message: "connect_fee \"\(f[3])\" is not a decimal ≥ 0 with at most 6 decimals")
        }
        guard let initial = Int64(f[4].trimmingSpaces), initial >= 0, initial <= 86_400 else {
            throw RateDeckError(line: line, message: "initial_seconds \"\(f[4])\" is not a whole number of seconds (0 to 86400)")
        }
        guard let increment = Int64(f[5].trimmingSpaces), increment >= 1, increment <= 86_400 else {
            throw RateDeckError(
                line: line, message: "increment_seconds \"\(f[5])\" is not a whole number of seconds (1 to 86400)")
        }
        return RateDeckEntry(
            prefix: prefix, description: f[1].trimmingSpaces, ratePerMinute: rate, connectFee: fee,
            initialSeconds: initial, incrementSeconds: increment)
    }

    /// The deck as CSV with the header line, in entry order.
    public var csv: String {
        var text = CSVWriter.line(Self.csvHeader)
        for e in entries {
            text += CSVWriter.line([
                e.prefix, e.description, e.ratePerMinute.description, e.connectFee.description,
                String(e.initialSeconds), String(e.incrementSeconds),
            ])
        }
        return text
    }
}

/// Splits CSV text into records (RFC 4180: quoted fields may hold commas,
/// doubled quotes and line breaks), remembering the line each one starts on.
struct CSVRecordReader {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1

    init(text: String) {
        bytes = Array(text.utf8)
    }

    mutating func next() throws(RateDeckError) -> ([String], Int)? {
        guard index < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        field.append(b)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                guard field.allSatisfy({ $0 == 0x20 }), !wasQuoted else {
                    throw RateDeckError(line: line, message: "a quote inside an unquoted field")
                }
                field.removeAll()
                quoted = true
                wasQuoted = true
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll()
                wasQuoted = false
            case 0x0A:
                line += 1
                if field.last == 0x0D { field.removeLast() }
                fields.append(String(decoding: field, as: UTF8.self))
                return (fields, startLine)
            default:
                field.append(b)
            }
        }
        if quoted { throw RateDeckError(line: startLine, message: "a quoted field is never closed") }
        if field.last == 0x0D { field.removeLast() }
        fields.append(String(decoding: field, as: UTF8.self))
        return (fields, startLine)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
