import MeteringCore
import Foundation

/// The text log formats the agent reads (SIP-FORMATS.md).
public enum TextLogFormat: String, Sendable, CaseIterable {
    case sipp, sipdump, sngrep, freeswitch, asterisk
}

/// What a dialect learned about the record that a line opens or describes.
struct TextRecordMeta {
    var time: Timestamp?
    var source: Endpoint?
    var destination: Endpoint?
    var transport: TransportProtocol = .unknown
    /// The format has no time for this record (flag it rather than guess silently).
    var timeMissing = false
}

/// What the generic text reader does with one line.
enum TextLineAction {
    /// A new record starts (the previous one, if any, is complete).
    case begin(TextRecordMeta)
    /// More metadata for the current record.
    case meta(TextRecordMeta)
    /// The line belongs to the current record's SIP message.
    case message
    /// The line is log furniture.
    case skip
    /// The current record is complete.
    case end
}

/// A per-format line classifier: a small state machine over the lines of
/// one file. Dialects never hold message bytes; the reader does.
protocol TextDialect: AnyObject {
    /// True when `line` opens a record in this format (used for detection).
    static func isRecordStart(_ line: TextLine) -> Bool
    func classify(_ line: TextLine) -> TextLineAction
    /// Strip this many leading bytes from message lines (sofia indents).
    var messageIndent: Int { get }
}

extension TextDialect {
    var messageIndent: Int { 0 }
}

/// Helpers to read small fields out of log lines.
enum LineScan {
    static func string(_ line: TextLine) -> String {
        String(decoding: line, as: UTF8.self)
    }

    static func isRun(_ line: TextLine, of byte: UInt8, count: Int, allowTrailing: Bool = false) -> Bool {
        guard line.count >= count else { return false }
        var i = line.startIndex
        for _ in 0..<count {
            guard line[i] == byte else { return false }
            i += 1
        }
        return allowTrailing || i == line.endIndex
    }

    static func hasPrefix(_ line: TextLine, _ prefix: String) -> Bool {
        line.starts(with: prefix.utf8)
    }

    /// Digits at `i..<i+n` as a number.
    static func number(_ s: [UInt8], _ i: Int, _ n: Int) -> Int64? {
        guard i >= 0, i + n <= s.count else { return nil }
        var v: Int64 = 0
        for k in i..<(i + n) {
            guard s[k] >= 48, s[k] <= 57 else { return nil }
            v = v * 10 + Int64(s[k] - 48)
        }
        return v
    }

    /// Up to six digits of a decimal fraction starting at `i`, as microseconds.
    static func fraction(_ s: [UInt8], from i: Int) -> Int64 {
        var micros: Int64 = 0
        var digits = 0
        var k = i
        while k < s.count, digits < 6, s[k] >= 48, s[k] <= 57 {
            micros = micros * 10 + Int64(s[k] - 48)
            digits += 1
            k += 1
        }
        while digits < 6 {
            micros *= 10
            digits += 1
        }
        return micros
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]` (any one-byte date and date/time
    /// separators) read as local time; nil when a field is missing or out
    /// of range.
    static func localDateTime(_ s: [UInt8], clock: inout LocalTimeConverter) -> Timestamp? {
        guard s.count >= 19, s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"),
            let y = number(s, 0, 4), let mo = number(s, 5, 2), let d = number(s, 8, 2),
            let h = number(s, 11, 2), let mi = number(s, 14, 2), let sec = number(s, 17, 2)
        else { return nil }
        let micros = s.count > 20 && s[19] == UInt8(ascii: ".") ? fraction(s, from: 20) : 0
        return clock.timestamp(year: y, month: mo, day: d, hour: h, minute: mi, second: sec, microsecond: micros)
    }

    /// `ip:port`, `[v6]:port` or `proto:ip:port` → Endpoint.
    static func endpoint(_ text: some StringProtocol) -> Endpoint? {
        var t = Substring(text)
        if let r = t.range(of: "]:", options: .backwards) {
            let host = t[t.startIndex..<r.lowerBound].drop(while: { $0 != "[" })
            guard let port = UInt16(t[r.upperBound...]) else { return nil }
            return Endpoint(host: host.dropFirst(), port: port)
        }
        guard let colon = t.lastIndex(of: ":"), let port = UInt16(t[t.index(after: colon)...]) else { return nil }
        t = t[..<colon]
        if let protoColon = t.firstIndex(of: ":"), t.contains("."), t[..<protoColon].allSatisfy(\.isLetter) {
            t = t[t.index(after: protoColon)...]
        }
        return Endpoint(host: t, port: port)
    }

    static func transport(_ text: some StringProtocol) -> TransportProtocol {
        TransportProtocol(rawValue: text.lowercased()) ?? .unknown
    }
}
