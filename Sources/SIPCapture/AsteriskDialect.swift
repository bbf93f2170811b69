import MeteringCore

/// Asterisk PJSIP logger: `<--- Received SIP request (612 bytes) from
/// UDP:198.51.100.7:5060 --->` or `<--- Transmitting SIP response (N bytes)
/// to UDP:… --->`, then the raw message. The marker has no time; when the
/// Asterisk logger put a prefix before it (`[Nov 23 10:15:02]` or
/// `[2026-11-23 10:15:02.123]`), that is the time, else the record is
/// flagged as having none. A new logger line ends the message.
final class AsteriskDialect: TextDialect {
    private var inRecord = false
    private var clock: LocalTimeConverter
    private let year: Int64

    init(clock: LocalTimeConverter, year: Int64) {
        self.clock = clock
        self.year = year
    }

    static func isRecordStart(_ line: TextLine) -> Bool {
        guard let marker = markerStart(line) else { return false }
        let rest = LineScan.string(line[marker...])
        return rest.hasPrefix("<--- Received SIP") || rest.hasPrefix("<--- Transmitting SIP")
    }

    private static func markerStart(_ line: TextLine) -> Int? {
        let marker: [UInt8] = Array("<--- ".utf8)
        guard line.count >= marker.count else { return nil }
        var i = line.startIndex
        while i + marker.count <= line.endIndex {
            if line[i] == 0x3C, line[i..<(i + marker.count)].elementsEqual(marker) { return i }
            i += 1
        }
        return nil
    }

    func classify(_ line: TextLine) -> TextLineAction {
        if Self.isRecordStart(line), let marker = Self.markerStart(line) {
            inRecord = true
            var meta = TextRecordMeta()
            meta.time = prefixTime(LineScan.string(line[line.startIndex..<marker]))
            meta.timeMissing = meta.time == nil
            let text = LineScan.string(line[marker...])
            let words = text.split(separator: " ")
            if let dirIndex = words.firstIndex(where: { $0 == "from" || $0 == "to" }), dirIndex + 1 < words.count {
                let addr = words[dirIndex + 1]
                if let colon = addr.firstIndex(of: ":") {
                    meta.transport = LineScan.transport(addr[..<colon])
                    let remote = LineScan.endpoint(addr[addr.index(after: colon)...])
                    if words[dirIndex] == "from" { meta.source = remote } else { meta.destination = remote }
                }
            }
            return .begin(meta)
        }
        guard inRecord else { return .skip }
        if line.first == UInt8(ascii: "["), LineScan.string(line.prefix(40)).contains("] ") {
            inRecord = false
            return .end
        }
        return .message
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses the logger prefix `[2026-11-23 10:15:02.123]` or `[Nov 23 10:15:02]`.
    private func prefixTime(_ prefix: String) -> Timestamp? {
        guard let open = prefix.firstIndex(of: "["), let close = prefix.firstIndex(of: "]"), open < close else { return nil }
        let inner = prefix[prefix.index(after: open)..<close]
        if let (ts, hasZone) = Timestamp.parseRFC3339(inner) {
            if hasZone { return ts }
            return LineScan.localDateTime(Array(inner.utf8), clock: &clock)
        }
        let words = inner.split(separator: " ")
        // Untrusted text: every field is range-checked before any date arithmetic.
        guard words.count >= 3, let month = Self.months.firstIndex(of: String(words[0])), words[1].count <= 2,
            let day = Int64(words[1]), (1...31).contains(day)
        else {
            return nil
        }
        let t = Array(words[2].utf8)
        guard let h = LineScan.number(t, 0, 2), let mi = LineScan.number(t, 3, 2), let s = LineScan.number(t, 6, 2),
            h < 24, mi < 60, s < 61
        else {
            return nil
        }
        let micros = t.count > 9 && t[8] == UInt8(ascii: ".") ? LineScan.fraction(t, from: 9) : 0
        return clock.timestamp(year: year, month: Int64(month + 1), day: day, hour: h, minute: mi, second: s, microsecond: micros)
    }
}
