/// JSON encoding of call records: one object per line (JSONL), keys in the
/// order of DESIGN.md, so output is byte-identical across runs.
extension CallRecord {
    public var jsonLine: String {
        var w = JSONObjectWriter()
        w.string("id", id)
        w.string("profile", profile)
        w.string("direction", direction.rawValue)
        w.string("call_id", callID)
        w.string("from_tag", fromTag)
        w.string("to_tag", toTag)
        w.string("caller", caller)
        w.string("callee", callee)
        w.string("setup_time", setupTime.rfc3339)
        w.string("progress_time", progressTime?.rfc3339)
        w.string("answer_time", answerTime?.rfc3339)
        w.string("end_time", endTime.rfc3339)
        w.int("duration_ms", durationMs)
        w.string("disposition", disposition.rawValue)
        w.int("final_status", finalStatus.map(Int64.init))
        w.string("ended_by", endedBy?.rawValue)
        w.strings("flags", flags.map(\.rawValue))
        if let q850Cause { w.int("q850_cause", Int64(q850Cause)) }
        if let pddMs { w.int("pdd_ms", pddMs) }
        if let source { w.string("source", source) }
        return w.finish()
    }
}

/// A minimal, allocation-light writer of one flat JSON object.
public struct JSONObjectWriter {
    private var out = "{"
    private var first = true

    public init() {
        out.reserveCapacity(512)
    }

    private mutating func key(_ name: String) {
        if !first { out.append(",") }
        first = false
        out.append("\"")
        out.append(name)
        out.append("\":")
    }

    public mutating func string(_ name: String, _ value: String?) {
        key(name)
        guard let value else { out.append("null"); return }
        Self.appendQuoted(&out, value)
    }

    public mutating func int(_ name: String, _ value: Int64?) {
        key(name)
        out.append(value.map { String($0) } ?? "null")
    }

    public mutating func strings(_ name: String, _ values: [String]) {
        key(name)
        out.append("[")
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(",") }
            Self.appendQuoted(&out, v)
        }
        out.append("]")
    }

    public mutating func finish() -> String {
        out.append("}")
        return out
    }

    /// RFC 8259 string escaping.
    public static func appendQuoted(_ out: inout String, _ value: String) {
        out.append("\"")
        var plain = true
        for u in value.utf8 where u < 0x20 || u == 0x22 || u == 0x5C {
            plain = false
            break
        }
        if plain {
            out.append(value)
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out.append("\\\"")
                case "\\": out.append("\\\\")
                case "\n": out.append("\\n")
                case "\r": out.append("\\r")
                case "\t": out.append("\\t")
                case let s where s.value < 0x20:
                    let hex = String(s.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
