import Foundation
import MeteringCore

/// Writes records to stdout in one of the output formats, buffered.
final class RecordWriter {
    private let format: Parse.OutputFormat
    private var buffer: [UInt8] = []
    private var wroteHeader = false

    init(format: Parse.OutputFormat) {
        self.format = format
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ r: CallRecord) {
        switch format {
        case .jsonl:
            r.appendJSON(to: &buffer)
            buffer.append(0x0A)
        case .csv:
            if !wroteHeader {
                append(CSVWriter.line(CallRecord.csvHeader))
                wroteHeader = true
            }
            append(CSVWriter.line(r.csvFields))
        case .table:
            if !wroteHeader {
                append(TableFormat.header)
                wroteHeader = true
            }
            append(TableFormat.row(r))
        }
        if buffer.count >= 1 << 16 { flush() }
    }

    func finish() {
        if format == .table, !wroteHeader { append(TableFormat.header) }
        flush()
    }

    private func append(_ s: String) {
        buffer.append(contentsOf: s.utf8)
    }

    private func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A fixed-width table for people reading a terminal.
enum TableFormat {
    private static let columns: [(String, Int)] = [
        ("SETUP (UTC)", 26), ("PROFILE", 14), ("DIR", 8), ("CALLER", 16), ("CALLEE", 16),
        ("DISPOSITION", 11), ("STATUS", 6), ("DURATION", 10), ("ENDED BY", 8), ("FLAGS", 0),
    ]

    static var header: String { line(columns.map(\.0)) }

    static func row(_ r: CallRecord) -> String {
        let seconds = r.durationMs / 1000
        let duration = String(format: "%d:%02d.%03d", seconds / 60, seconds % 60, r.durationMs % 1000)
        return line([
            r.setupTime.rfc3339, r.profile ?? "-", r.direction.rawValue, r.caller, r.callee, r.disposition.rawValue,
            r.finalStatus.map { String($0) } ?? "-", duration, r.endedBy?.rawValue ?? "-",
            r.flags.isEmpty ? "-" : r.flags.map(\.rawValue).joined(separator: ","),
        ])
    }

    private static func line(_ cells: [String]) -> String {
        var out = ""
        for (i, cell) in cells.enumerated() {
            let width = columns[i].1
            out += width > 0 ? cell.padding(toLength: max(width, cell.count), withPad: " ", startingAt: 0) + " " : cell
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out + "\n"
    }
}
