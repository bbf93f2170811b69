import MeteringCore

/// SIPp `-trace_msg` logs: a line of 47 dashes and a local timestamp
/// (`2026-11-23 05:03:15.883314`, no zone), a line `UDP message sent (N
/// bytes):`, a blank line, the message. "Dead call" blocks repeat a message
/// for an ended call and carry no timestamp: they keep the previous time.
final class SIPpDialect: TextDialect {
    private enum Phase { case outside, preamble, message }
    private var phase = Phase.outside
    private var clock: LocalTimeConverter
    private var meta = TextRecordMeta()

    init(clock: LocalTimeConverter) {
        self.clock = clock
    }

    static func isRecordStart(_ line: TextLine) -> Bool {
        LineScan.isRun(line, of: 0x2D, count: 47, allowTrailing: true)
            && (line.count == 47 || line[line.startIndex + 47] == 0x20)
    }

    func classify(_ line: TextLine) -> TextLineAction {
        if Self.isRecordStart(line) {
            phase = .preamble
            meta = TextRecordMeta()
            meta.time = parseTime(Array(line.dropFirst(48)))
            return .begin(meta)
        }
        switch phase {
        case .outside:
            return .skip
        case .preamble:
            if line.isEmpty {
                phase = .message
                return .skip
            }
            if LineScan.hasPrefix(line, "TCP") {
                meta.transport = .tcp
            } else if LineScan.hasPrefix(line, "UDP") {
                meta.transport = .udp
            } else if LineScan.hasPrefix(line, "TLS") {
                meta.transport = .tls
            } else if LineScan.hasPrefix(line, "SCTP") {
                meta.transport = .sctp
            } else {
                return .skip
            }
            return .meta(meta)
        case .message:
            return .message
        }
    }

    private func parseTime(_ s: [UInt8]) -> Timestamp? {
        guard s.count >= 19 else { return nil }
        // SIPp writes local time without a zone; only a stamp that names one
        // (Z or ±hh:mm after the seconds) is read as RFC 3339.
        if s[19...].contains(where: { $0 == 0x5A || $0 == 0x7A || $0 == 0x2B || $0 == 0x2D }),
            let (ts, hasZone) = Timestamp.parseRFC3339(Substring(decoding: s, as: UTF8.self)), hasZone
        {
            return ts
        }
        return LineScan.localDateTime(s, clock: &clock)
    }
}
