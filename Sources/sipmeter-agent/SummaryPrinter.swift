import Foundation
import MeteringAgent
import MeteringCore

/// The run summary on stderr: counts, then problems, one line each.
enum SummaryPrinter {
    static func print(_ s: ParseSummary) {
        var lines: [String] = []
        for u in s.unusable { lines.append("error: \(u)") }
        for w in s.warnings { lines.append("warning: \(w)") }
        if s.suppressedWarnings > 0 { lines.append("warning: \(s.suppressedWarnings) more problems not shown") }
        lines.append(
            "messages: \(s.messagesRead) read, \(s.parsed) parsed, \(s.skipped) not needed for metering, \(s.malformed) malformed, \(s.truncated) truncated, "
                + "\(s.retransmissions) retransmissions, \(s.unrelated) outside calls, \(s.nonSIP) non-SIP packets skipped"
        )
        var extras: [String] = []
        if s.reordered > 0 { extras.append("\(s.reordered) out of order") }
        if s.fragmentsReassembled > 0 { extras.append("\(s.fragmentsReassembled) IPv4 datagrams reassembled") }
        if s.fragmentsDropped > 0 { extras.append("\(s.fragmentsDropped) incomplete IPv4 datagrams dropped") }
        if s.tcpGaps > 0 { extras.append("\(s.tcpGaps) TCP stream gaps skipped") }
        if !extras.isEmpty { lines.append("capture: " + extras.joined(separator: ", ")) }
        let parts = Disposition.allCases.compactMap { d in s.dispositions[d].map { "\(d.rawValue) \($0)" } }
        lines.append("calls: \(s.calls)" + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"))
        FileHandle.standardError.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }
}
