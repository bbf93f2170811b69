import MeteringCore

/// sngrep text export: `YYYY/MM/DD HH:MM:SS.uuuuuu SRC -> DST` (local
/// time), the message, a blank line.
final class SngrepDialect: TextDialect {
    private var inRecord = false
    private var clock: LocalTimeConverter

    init(clock: LocalTimeConverter) {
        self.clock = clock
    }

    static func isRecordStart(_ line: TextLine) -> Bool {
        let s = Array(line.prefix(27))
        guard s.count >= 26, s[4] == UInt8(ascii: "/"), s[7] == UInt8(ascii: "/"), s[10] == 0x20,
            s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"), LineScan.number(s, 0, 4) != nil
        else { return false }
        return LineScan.string(line).contains(" -> ")
    }

    func classify(_ line: TextLine) -> TextLineAction {
        if Self.isRecordStart(line) {
            inRecord = true
            let s = Array(line)
            var meta = TextRecordMeta()
            meta.time = LineScan.localDateTime(s, clock: &clock)
            let rest = LineScan.string(line.dropFirst(26)).split(separator: " ")
            if rest.count >= 3, rest[1] == "->" {
                meta.source = LineScan.endpoint(rest[0])
                meta.destination = LineScan.endpoint(rest[2])
            }
            return .begin(meta)
        }
        return inRecord ? .message : .skip
    }
}
