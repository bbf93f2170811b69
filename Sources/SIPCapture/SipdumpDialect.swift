import MeteringCore

/// Kamailio `sipdump` text files: 20 `=`, `key: value` lines (`time:
/// <epoch>.<usec>`, `proto:`, `srcip:`, `srcport:`, `dstip:`, `dstport:`),
/// 20 `~`, the raw message, 20 `|`.
final class SipdumpDialect: TextDialect {
    private enum Phase { case outside, keys, message }
    private var phase = Phase.outside
    private var meta = TextRecordMeta()
    private var srcIP: Substring?
    private var srcPort: UInt16?
    private var dstIP: Substring?
    private var dstPort: UInt16?

    static func isRecordStart(_ line: TextLine) -> Bool {
        LineScan.isRun(line, of: 0x3D, count: 20)
    }

    func classify(_ line: TextLine) -> TextLineAction {
        if Self.isRecordStart(line) {
            phase = .keys
            meta = TextRecordMeta()
            srcIP = nil
            srcPort = nil
            dstIP = nil
            dstPort = nil
            return .begin(meta)
        }
        switch phase {
        case .outside:
            return .skip
        case .keys:
            if LineScan.isRun(line, of: 0x7E, count: 20) {
                phase = .message
                return .skip
            }
            return parseKey(LineScan.string(line))
        case .message:
            if LineScan.isRun(line, of: 0x7C, count: 20) {
                phase = .outside
                return .end
            }
            return .message
        }
    }

    private func parseKey(_ text: String) -> TextLineAction {
        guard let colon = text.firstIndex(of: ":") else { return .skip }
        let key = text[..<colon]
        let value = text[text.index(after: colon)...].drop(while: { $0 == " " })
        switch key {
        case "time":
            let parts = value.split(separator: ".")
            // Seconds between 1970 and 9999: anything else is corrupt text.
            if let secs = parts.first.flatMap({ Int64($0) }), (0...253_402_300_799).contains(secs) {
                let micros = parts.count > 1 ? LineScan.fraction(Array(parts[1].utf8), from: 0) : 0
                meta.time = Timestamp(seconds: secs, microseconds: micros)
            }
        case "proto":
            meta.transport = LineScan.transport(value.split(separator: " ").first ?? "")
        case "srcip": srcIP = value
        case "srcport": srcPort = UInt16(value)
        case "dstip": dstIP = value
        case "dstport": dstPort = UInt16(value)
        default: return .skip
        }
        if let srcIP, let srcPort { meta.source = Endpoint(host: srcIP, port: srcPort) }
        if let dstIP, let dstPort { meta.destination = Endpoint(host: dstIP, port: dstPort) }
        return .meta(meta)
    }
}
