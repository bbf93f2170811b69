/// RFC 4180 CSV: fields quoted when they hold a comma, quote, CR or LF;
/// quotes doubled; CRLF line ends.
public enum CSVWriter {
    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\r\n"
    }

    public static func quote(_ field: String) -> String {
        let needs = field.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }
        guard needs else { return field }
        var out = "\""
        for c in field {
            if c == "\"" { out.append("\"") }
            out.append(c)
        }
        out.append("\"")
        return out
    }
}

extension CallRecord {
    public static let csvHeader: [String] = [
        "id", "profile", "direction", "call_id", "from_tag", "to_tag", "caller", "callee",
        "setup_time", "progress_time", "answer_time", "end_time", "duration_ms", "disposition",
        "final_status", "ended_by", "flags",
    ]

    public var csvFields: [String] {
        [
            id, profile ?? "", direction.rawValue, callID, fromTag, toTag ?? "", caller, callee,
            setupTime.rfc3339, progressTime?.rfc3339 ?? "", answerTime?.rfc3339 ?? "", endTime.rfc3339,
            String(durationMs), disposition.rawValue, finalStatus.map { String($0) } ?? "",
            endedBy?.rawValue ?? "", flags.map(\.rawValue).joined(separator: ";"),
        ]
    }
}
