import MeteringCore

/// FreeSWITCH sofia-sip siptrace: `recv 612 bytes from udp/[198.51.100.7]:5060
/// at 10:15:02.004211:`, a line of 72 dashes (sofia indents lines by three
/// spaces), the message. Only the remote address and the local time of day
/// are logged: the date comes from the caller (`--date` or the file's
/// modification time) and advances when the time of day wraps past midnight.
final class FreeSWITCHDialect: TextDialect {
    private enum Phase { case outside, preamble, message }
    private var phase = Phase.outside
    private var clock: LocalTimeConverter
    private var date: (Int64, Int64, Int64)
    private var lastSecondOfDay: Int64 = -1
    private(set) var messageIndent = 0

    init(clock: LocalTimeConverter, date: (Int64, Int64, Int64)) {
        self.clock = clock
        self.date = date
    }

    static func isRecordStart(_ line: TextLine) -> Bool {
        guard LineScan.hasPrefix(line, "recv ") || LineScan.hasPrefix(line, "send ") || LineScan.hasPrefix(line, "sent ")
        else { return false }
        let text = LineScan.string(line)
        return text.contains(" bytes ") && text.contains(" at ") && text.hasSuffix(":")
    }

    func classify(_ line: TextLine) -> TextLineAction {
        if Self.isRecordStart(line) {
            phase = .preamble
            return .begin(parseHeader(LineScan.string(line)))
        }
        let dashes = line.drop(while: { $0 == 0x20 })
        if dashes.count >= 60, LineScan.isRun(dashes, of: 0x2D, count: dashes.count) {
            if phase == .preamble {
                messageIndent = line.count - dashes.count
                phase = .message
                return .skip
            }
            if phase == .message {
                phase = .outside
                return .end
            }
            return .skip
        }
        return phase == .message ? .message : .skip
    }

    private func parseHeader(_ text: String) -> TextRecordMeta {
        var meta = TextRecordMeta()
        let words = text.split(separator: " ")
        guard words.count >= 6 else { return meta }
        let outgoing = words[0] != "recv"
        // words: what N bytes from|to proto/[ip]:port at HH:MM:SS.uuuuuu:
        let addr = words[4]
        if let slash = addr.firstIndex(of: "/") {
            meta.transport = LineScan.transport(addr[..<slash])
            let remote = LineScan.endpoint(addr[addr.index(after: slash)...])
            if outgoing { meta.destination = remote } else { meta.source = remote }
        }
        let t = Array(words[words.count - 1].utf8)
        if let h = LineScan.number(t, 0, 2), let mi = LineScan.number(t, 3, 2), let s = LineScan.number(t, 6, 2),
            h < 24, mi < 60, s < 61
        {
            let micros = t.count >= 15 && t[8] == UInt8(ascii: ".") ? LineScan.number(t, 9, 6) ?? 0 : 0
            let secondOfDay = h * 3600 + mi * 60 + s
            if lastSecondOfDay >= 0, secondOfDay + 12 * 3600 < lastSecondOfDay {
                // Midnight passed: the next local calendar day.
                let next = CivilDate.fromDays(CivilDate.toDays(year: date.0, month: date.1, day: date.2) + 1)
                date = next
            }
            lastSecondOfDay = secondOfDay
            meta.time = clock.timestamp(
                year: date.0, month: date.1, day: date.2, hour: h, minute: mi, second: s, microsecond: micros)
        }
        return meta
    }
}
