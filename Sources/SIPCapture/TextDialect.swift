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
protocol TextDialect {
    /// True when `line` opens a record in this format (used for detection).
    static func isRecordStart(_ line: ArraySlice<UInt8>) -> Bool
    mutating func classify(_ line: ArraySlice<UInt8>) -> TextLineAction
    /// Strip this many leading bytes from message lines (sofia indents).
    var messageIndent: Int { get }
}

extension TextDialect {
    var messageIndent: Int { 0 }
}

/// Helpers to read small fields out of log lines.
enum LineScan {
    static func string(_ line: ArraySlice<UInt8>) -> String {
        String(decoding: line, as: UTF8.self)
    }

    static func isRun(_ line: ArraySlice<UInt8>, of byte: UInt8, count: Int, allowTrailing: Bool = false) -> Bool {
        guard line.count >= count else { return false }
        var i = line.startIndex
        for _ in 0..<count {
            guard line[i] == byte else { return false }
            i += 1
        }
        return allowTrailing || i == line.endIndex
    }

    static func hasPrefix(_ line: ArraySlice<UInt8>, _ prefix: String) -> Bool {
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
        if let protoColon = t.firstIndex(of: ":"), !t.contains(".") == false, t[..<protoColon].allSatisfy(\.isLetter) {
            t = t[t.index(after: protoColon)...]
        }
        return Endpoint(host: t, port: port)
    }

    static func transport(_ text: some StringProtocol) -> TransportProtocol {
        TransportProtocol(rawValue: text.lowercased()) ?? .unknown
    }
}
