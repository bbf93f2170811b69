import MeteringCore

/// sngrep text export: `YYYY/MM/DD HH:MM:SS.uuuuuu SRC -> DST` (local
/// time), the message, a blank line.
struct SngrepDialect: TextDialect {
    private var inRecord = false
    private var clock: LocalTimeConverter

    init(clock: LocalTimeConverter) {
        self.clock = clock
    }

    static func isRecordStart(_ line: ArraySlice<UInt8>) -> Bool {
        let s = Array(line.prefix(27))
        guard s.count >= 26, s[4] == UInt8(ascii: "/"), s[7] == UInt8(ascii: "/"), s[10] == 0x20,
              s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"), LineScan.number(s, 0, 4) != nil
        else { return false }
        return LineScan.string(line).contains(" -> ")
    }

    mutating func classify(_ line: ArraySlice<UInt8>) -> TextLineAction {
        if Self.isRecordStart(line) {
            inRecord = true
            let s = Array(line)
            var meta = TextRecordMeta()
            if let y = LineScan.number(s, 0, 4), let mo = LineScan.number(s, 5, 2), let d = LineScan.number(s, 8, 2),
               let h = LineScan.number(s, 11, 2), let mi = LineScan.number(s, 14, 2), let sec = LineScan.number(s, 17, 2),
               (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 {
                let micros = s.count >= 26 && s[19] == UInt8(ascii: ".") ? LineScan.number(s, 20, 6) ?? 0 : 0
                meta.time = clock.timestamp(year: y, month: mo, day: d, hour: h, minute: mi, second: sec, microsecond: micros)
            }
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
