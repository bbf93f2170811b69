/// JSON encoding of call records: one object per line (JSONL), keys in the
/// order of DESIGN.md, so output is byte-identical across runs.
extension CallRecord {
    public var jsonLine: String {
        var bytes: [UInt8] = []
        appendJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the JSON object (no newline) as UTF-8 bytes.
    public func appendJSON(to out: inout [UInt8]) {
        // Hand the buffer to the writer without copying it (it must be
        // uniquely referenced before the writer appends).
        var w = JSONObjectWriter(continuing: out)
        out = []
        w.open()
        w.string("id", id)
        w.string("profile", profile)
        w.string("direction", direction.rawValue)
        w.string("call_id", callID)
        w.string("from_tag", fromTag)
        w.string("to_tag", toTag)
        w.string("caller", caller)
        w.string("callee", callee)
        w.time("setup_time", setupTime)
        w.time("progress_time", progressTime)
        w.time("answer_time", answerTime)
        w.time("end_time", endTime)
        w.int("duration_ms", durationMs)
        w.string("disposition", disposition.rawValue)
        w.int("final_status", finalStatus.map(Int64.init))
        w.string("ended_by", endedBy?.rawValue)
        w.strings("flags", flags.map(\.rawValue))
        if let q850Cause { w.int("q850_cause", Int64(q850Cause)) }
        if let pddMs { w.int("pdd_ms", pddMs) }
        if let source { w.string("source", source) }
        out = w.finish()
    }
}

/// A minimal writer of one flat JSON object into a byte buffer.
public struct JSONObjectWriter {
    private var out: [UInt8]
    private var first = true

    public init() {
        out = []
        open()
    }

    /// Continues `buffer`; call `open()` once the caller dropped its copy.
    public init(continuing buffer: [UInt8]) {
        out = buffer
    }

    public mutating func open() {
        out.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: StaticString) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ name: StaticString, _ value: String?) {
        key(name)
        guard let value else {
            out.append(contentsOf: "null".utf8)
            return
        }
        Self.appendQuoted(&out, value)
    }

    public mutating func time(_ name: StaticString, _ value: Timestamp?) {
        key(name)
        guard let value else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        value.appendRFC3339(to: &out)
        out.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ name: StaticString, _ value: Int64?) {
        key(name)
        guard let value else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(contentsOf: String(value).utf8)
    }

    public mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        out.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            Self.appendQuoted(&out, v)
        }
        out.append(UInt8(ascii: "]"))
    }

    public mutating func finish() -> [UInt8] {
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// RFC 8259 string escaping.
    public static func appendQuoted(_ out: inout [UInt8], _ value: String) {
        out.append(UInt8(ascii: "\""))
        // Most values need no escape: copy them whole (scanned and copied
        // as one contiguous buffer, not byte by byte through the view).
        var value = value
        let plain = value.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in value.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default:
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
