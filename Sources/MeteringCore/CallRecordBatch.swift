#if canImport(Glibc)
    import Glibc
#endif
/// The fast reader of `{"records":[…]}` bodies: a strict JSON scan straight
/// into `CallRecord`s, each record standing alone (a bad one comes back as a
/// failure naming the field, the others are read). Same rules and messages
/// as `CallRecord.init(from:)`, about ten times faster than JSONDecoder.
public enum CallRecordBatch {
    /// The body is not JSON, or not an object with a `records` array.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ bytes: [UInt8]) throws(Malformed) -> [IncomingRecord] {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(Malformed) in try parse(buffer) }
        }
        return try result.get()
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> [IncomingRecord] {
        var s = JSONScanner(bytes: bytes)
        do {
            var records: [IncomingRecord]?
            try s.expect(0x7B)
            if !s.consume(0x7D) {
                repeat {
                    let key = try s.string()
                    try s.expect(0x3A)
                    if key == "records" {
                        guard try s.kind() == .array else { throw Malformed(description: "records is not a list") }
                        records = try list(&s)
                    } else {
                        try s.skipValue()
                    }
                } while s.consume(0x2C)
                try s.expect(0x7D)
            }
            guard s.peek() == nil else { throw Malformed(description: "text after the JSON object") }
            guard let records else { throw Malformed(description: "records is missing") }
            return records
        } catch let error as JSONScanner.Failure {
            switch error {
            case .syntax(let m): throw Malformed(description: "malformed JSON: \(m)")
            }
        } catch let error as Malformed {
            throw error
        } catch {
            throw Malformed(description: "malformed JSON")
        }
    }

    private static func list(_ s: inout JSONScanner) throws -> [IncomingRecord] {
        var out: [IncomingRecord] = []
        try s.expect(0x5B)
        if s.consume(0x5D) { return out }
        repeat {
            if try s.kind() == .object {
                out.append(try record(&s))
            } else {
                try s.skipValue()
                out.append(IncomingRecord(id: nil, result: .failure(RecordDecodingError(message: "record is not a JSON object"))))
            }
        } while s.consume(0x2C)
        try s.expect(0x5D)
        return out
    }

    /// A field as found: absent, null, a value, or the wrong type.
    enum Value {
        case absent, null, string(String), int(Int64), strings([String]), wrongType
    }

    private static func record(_ s: inout JSONScanner) throws -> IncomingRecord {
        var f = Fields()
        try s.expect(0x7B)
        if !s.consume(0x7D) {
            repeat {
                let slot: Fields.Key?
                if let range = try s.plainString() {
                    slot = Fields.Key(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: s.bytes[range])))
                } else {
                    slot = Fields.Key(rawValue: try s.string())
                }
                try s.expect(0x3A)
                guard let slot else {
                    try s.skipValue()
                    continue
                }
                f[slot] = try value(&s, for: slot)
            } while s.consume(0x2C)
            try s.expect(0x7D)
        }
        let id: String? = if case .string(let v) = f[.id] { v } else { nil }
        do {
            return IncomingRecord(id: id, result: .success(try f.record()))
        } catch let error as RecordDecodingError {
            return IncomingRecord(id: id, result: .failure(error))
        }
    }

    private static func value(_ s: inout JSONScanner, for key: Fields.Key) throws -> Value {
        switch try s.kind() {
        case .null:
            try s.literal("null")
            return .null
        case .string:
            let text = try s.string()
            return key.isInteger || key == .flags ? .wrongType : .string(text)
        case .number:
            let text = try s.numberText()
            guard key.isInteger, let n = Int64(text) else { return .wrongType }
            return .int(n)
        case .array where key == .flags:
            var names: [String] = []
            var ok = true
            try s.expect(0x5B)
            if !s.consume(0x5D) {
                repeat {
                    if try s.kind() == .string { names.append(try s.string()) } else { try s.skipValue(); ok = false }
                } while s.consume(0x2C)
                try s.expect(0x5D)
            }
            return ok ? .strings(names) : .wrongType
        default:
            try s.skipValue()
            return .wrongType
        }
    }
}

/// The known fields of one record, checked in the order `init(from:)` reads them.
struct Fields {
    enum Key: String, CaseIterable {
        case flags, id, profile, direction
        case callID = "call_id", fromTag = "from_tag", toTag = "to_tag", caller, callee
        case setupTime = "setup_time", progressTime = "progress_time", answerTime = "answer_time", endTime = "end_time"
        case durationMs = "duration_ms", disposition
        case finalStatus = "final_status", endedBy = "ended_by", q850Cause = "q850_cause", pddMs = "pdd_ms", source

        var isInteger: Bool { self == .durationMs || self == .finalStatus || self == .q850Cause || self == .pddMs }

        /// Index into the field table (declaration order).
        var position: Int {
            switch self {
            case .flags: 0
            case .id: 1
            case .profile: 2
            case .direction: 3
            case .callID: 4
            case .fromTag: 5
            case .toTag: 6
            case .caller: 7
            case .callee: 8
            case .setupTime: 9
            case .progressTime: 10
            case .answerTime: 11
            case .endTime: 12
            case .durationMs: 13
            case .disposition: 14
            case .finalStatus: 15
            case .endedBy: 16
            case .q850Cause: 17
            case .pddMs: 18
            case .source: 19
            }
        }

        /// The key spelled by `bytes`, compared without making a String:
        /// chosen by length, then compared with each spelling of that
        /// length (a test checks these against the raw values).
        init?(bytes b: UnsafeRawBufferPointer) {
            let key = { () -> Key? in
                func spells(_ word: StaticString) -> Bool {
                    word.utf8CodeUnitCount == b.count && memcmp(b.baseAddress!, word.utf8Start, b.count) == 0
                }
                switch b.count {
                case 2:
                    if spells("id") { return .id }
                case 5:
                    if spells("flags") { return .flags }
                case 6:
                    if spells("to_tag") { return .toTag }
                    if spells("caller") { return .caller }
                    if spells("callee") { return .callee }
                    if spells("pdd_ms") { return .pddMs }
                    if spells("source") { return .source }
                case 7:
                    if spells("profile") { return .profile }
                    if spells("call_id") { return .callID }
                case 8:
                    if spells("from_tag") { return .fromTag }
                    if spells("end_time") { return .endTime }
                    if spells("ended_by") { return .endedBy }
                case 9:
                    if spells("direction") { return .direction }
                case 10:
                    if spells("setup_time") { return .setupTime }
                    if spells("q850_cause") { return .q850Cause }
                case 11:
                    if spells("answer_time") { return .answerTime }
                    if spells("duration_ms") { return .durationMs }
                    if spells("disposition") { return .disposition }
                case 12:
                    if spells("final_status") { return .finalStatus }
                case 13:
                    if spells("progress_time") { return .progressTime }
                default: break
                }
                return nil
            }()
            guard let key else { return nil }
            self = key
        }
    }

    private var values = [CallRecordBatch.Value](repeating: .absent, count: Key.allCases.count)

    subscript(key: Key) -> CallRecordBatch.Value {
        get { values[key.position] }
        set { values[key.position] = newValue }
    }

    private func fail(_ message: String) -> RecordDecodingError { RecordDecodingError(message: message) }

    private func requiredString(_ key: Key) throws -> String {
        switch self[key] {
        case .string(let v): return v
        case .absent: throw fail("\(key.rawValue) is missing")
        case .null: throw fail("\(key.rawValue) is missing or null")
        default: throw fail("\(key.rawValue) is not a string")
        }
    }

    private func optionalString(_ key: Key) throws -> String? {
        switch self[key] {
        case .string(let v): return v
        case .absent, .null: return nil
        default: throw fail("\(key.rawValue) is not a string")
        }
    }

    private func optionalInt(_ key: Key) throws -> Int64? {
        switch self[key] {
        case .int(let v): return v
        case .absent, .null: return nil
        default: throw fail("\(key.rawValue) is not a whole number")
        }
    }

    private func time(_ key: Key) throws -> Timestamp? {
        guard let text = try optionalString(key) else { return nil }
        guard let (t, hasZone) = Timestamp.parseRFC3339(Substring(text)), hasZone else {
            throw fail("\(key.rawValue) is not an RFC 3339 time with a zone")
        }
        return t
    }

    private func requiredTime(_ key: Key) throws -> Timestamp {
        guard let t = try time(key) else { throw fail("\(key.rawValue) is missing or null") }
        return t
    }

    private func enumValue<E: RawRepresentable & CaseIterable>(_ key: Key, _ type: E.Type, required: Bool) throws -> E?
    where E.RawValue == String {
        let text = required ? try requiredString(key) : try optionalString(key)
        guard let text else { return nil }
        guard let v = E(rawValue: text) else {
            throw fail("\(key.rawValue) is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }

    func record() throws -> CallRecord {
        var flagNames: [String] = []
        switch self[.flags] {
        case .strings(let names): flagNames = names
        case .absent, .null: break
        default: throw fail("flags is not a list of strings")
        }
        let id = try requiredString(.id)
        let profile = try optionalString(.profile)
        let direction = try enumValue(.direction, Direction.self, required: true)!
        let callID = try requiredString(.callID)
        let fromTag = try optionalString(.fromTag) ?? ""
        let toTag = try optionalString(.toTag)
        let caller = try optionalString(.caller) ?? ""
        let callee = try requiredString(.callee)
        let setup = try requiredTime(.setupTime)
        let progress = try time(.progressTime)
        let answer = try time(.answerTime)
        let end = try requiredTime(.endTime)
        guard let duration = try optionalInt(.durationMs) else {
            throw fail(self[.durationMs].isAbsent ? "duration_ms is missing" : "duration_ms is missing or null")
        }
        let disposition = try enumValue(.disposition, Disposition.self, required: true)!
        let finalStatus = try optionalInt(.finalStatus)
        let endedBy = try enumValue(.endedBy, EndedBy.self, required: false)
        let q850 = try optionalInt(.q850Cause)
        let pdd = try optionalInt(.pddMs)
        let source = try optionalString(.source)
        guard finalStatus.map({ (0...999).contains($0) }) ?? true, q850.map({ (0...999).contains($0) }) ?? true else {
            throw fail("final_status and q850_cause must be 0 to 999")
        }
        return CallRecord(
            id: id, profile: profile, direction: direction, callID: callID, fromTag: fromTag, toTag: toTag,
            caller: caller, callee: callee, setupTime: setup, progressTime: progress, answerTime: answer, endTime: end,
            durationMs: duration, disposition: disposition, finalStatus: finalStatus.map { Int($0) }, endedBy: endedBy,
            flags: flagNames.compactMap(CallFlag.init(rawValue:)), q850Cause: q850.map { Int($0) }, pddMs: pdd,
            source: source)
    }
}

extension CallRecordBatch.Value {
    var isAbsent: Bool {
        if case .absent = self { return true }
        return false
    }
}
