/// A small, strict JSON scanner over UTF-8 bytes (RFC 8259) for the hot
/// ingest path: Foundation's JSONDecoder spent most of the collector's CPU
/// building containers for 18-key records.
struct JSONScanner {
    enum Failure: Error, Equatable {
        case syntax(String)
    }

    /// The text, read in place: the caller keeps it alive for the scan
    /// (no array is retained and released on each access).
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Nesting bound, so hostile input can't exhaust the stack.
    private var depth = 0
    static let maxDepth = 64

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next non-space byte, not consumed; nil at the end.
    mutating func peek() -> UInt8? {
        skipSpace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard let next = peek() else { throw .syntax("the body ends early, at byte \(index)") }
        guard next == byte else { throw .syntax("expected '\(Character(UnicodeScalar(byte)))' at byte \(index)") }
        index += 1
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    /// A string without escapes as the range of its bytes (object keys on
    /// the hot path); nil, having consumed nothing, when it has escapes.
    mutating func plainString() throws(Failure) -> Range<Int>? {
        try expect(0x22)
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == 0x22 {
                index += 1
                return start..<(index - 1)
            }
            if b == 0x5C || b < 0x20 { break }
            index += 1
        }
        index = start - 1
        return nil
    }

    /// A string value; the opening quote must be next.
    mutating func string() throws(Failure) -> String {
        try expect(0x22)
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == 0x22 {
                let s = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return s
            }
            if b == 0x5C { break }
            guard b >= 0x20 else { throw .syntax("control character in a string at byte \(index)") }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            switch b {
            case 0x22:
                return String(decoding: out, as: UTF8.self)
            case 0x5C:
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == 0x5C,
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw .syntax("bad surrogate pair at byte \(index)") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    let u = UnicodeScalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw .syntax("bad escape in a string at byte \(index - 1)")
                }
            default:
                guard b >= 0x20 else { throw .syntax("control character in a string at byte \(index - 1)") }
                out.append(b)
            }
        }
        throw .syntax("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw .syntax("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            index += 1
            let d: UInt32
            switch b {
            case 48...57: d = UInt32(b - 48)
            case 65...70: d = UInt32(b - 55)
            case 97...102: d = UInt32(b - 87)
            default: throw .syntax("bad \\u escape at byte \(index - 1)")
            }
            v = v << 4 | d
        }
        return v
    }

    /// What the next value is, without consuming it.
    enum Kind {
        case object, array, string, number, bool, null
    }

    mutating func kind() throws(Failure) -> Kind {
        guard let next = peek() else { throw .syntax("the body ends early, at byte \(index)") }
        switch next {
        case 0x7B: return .object
        case 0x5B: return .array
        case 0x22: return .string
        case 0x74, 0x66: return .bool
        case 0x6E: return .null
        case 0x2D, 0x30...0x39: return .number
        default: throw .syntax("unexpected byte at \(index)")
        }
    }

    mutating func literal(_ word: String) throws(Failure) {
        skipSpace()
        for b in word.utf8 {
            guard index < bytes.count, bytes[index] == b else { throw .syntax("bad literal at byte \(index)") }
            index += 1
        }
    }

    mutating func null() -> Bool {
        guard peek() == 0x6E else { return false }
        return (try? literal("null")) != nil
    }

    mutating func bool() throws(Failure) -> Bool {
        if peek() == 0x74 {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// A number's text, checked against the JSON grammar.
    mutating func numberText() throws(Failure) -> Substring {
        skipSpace()
        let start = index
        if index < bytes.count, bytes[index] == 0x2D { index += 1 }
        func digits() -> Int {
            let s = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            return index - s
        }
        guard digits() > 0 else { throw .syntax("bad number at byte \(start)") }
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            guard digits() > 0 else { throw .syntax("bad number at byte \(start)") }
        }
        if index < bytes.count, bytes[index] | 0x20 == 0x65 {
            index += 1
            if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
            guard digits() > 0 else { throw .syntax("bad number at byte \(start)") }
        }
        return Substring(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    /// Skips any value, bounded in depth.
    mutating func skipValue() throws(Failure) {
        switch try kind() {
        case .string: _ = try string()
        case .number: _ = try numberText()
        case .bool: _ = try bool()
        case .null: try literal("null")
        case .array:
            try enter()
            try expect(0x5B)
            if !consume(0x5D) {
                repeat { try skipValue() } while consume(0x2C)
                try expect(0x5D)
            }
            depth -= 1
        case .object:
            try enter()
            try expect(0x7B)
            if !consume(0x7D) {
                repeat {
                    _ = try string()
                    try expect(0x3A)
                    try skipValue()
                } while consume(0x2C)
                try expect(0x7D)
            }
            depth -= 1
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= Self.maxDepth else { throw .syntax("nested deeper than \(Self.maxDepth)") }
    }
}

/// The string members of a flat JSON object, read without Foundation: the
/// body of `/v1/authorize`, asked at every call setup, where JSONDecoder
/// cost more than the decision itself.
public enum FlatJSON {
    /// Why a body could not be read, as the sentence an API error carries.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Member names looked for, with their bytes worked out once.
    public struct Keys: Sendable {
        public let names: [String]
        let bytes: [[UInt8]]

        public init(_ names: [String]) {
            self.names = names
            bytes = names.map { Array($0.utf8) }
        }
    }

    /// The values of `keys`, in order: nil when absent or null. Other
    /// members are skipped (as JSONDecoder does); a listed member that is
    /// not a string, a body that is not one JSON object, or trailing bytes
    /// are a `Failure` naming what is wrong. Read in place from `bytes`.
    public static func strings(_ bytes: UnsafeRawBufferPointer, keys: Keys) throws(Failure) -> [String?] {
        try strings(bytes.assumingMemoryBound(to: UInt8.self), keys: keys)
    }

    private static func strings(_ bytes: UnsafeBufferPointer<UInt8>, keys: Keys) throws(Failure) -> [String?] {
        var s = JSONScanner(bytes: bytes)
        var out = [String?](repeating: nil, count: keys.names.count)
        let names = keys.bytes
        do {
            guard s.peek() == 0x7B else { throw Failure(description: "malformed JSON: the body must be one object") }
            try s.expect(0x7B)
            if !s.consume(0x7D) {
                repeat {
                    let k: Int?
                    if let range = try s.plainString() {
                        k = names.firstIndex { $0.elementsEqual(bytes[range]) }
                    } else {
                        let name = try s.string()
                        k = keys.names.firstIndex(of: name)
                    }
                    try s.expect(0x3A)
                    guard let k else {
                        try s.skipValue()
                        continue
                    }
                    if s.null() {
                        out[k] = nil
                    } else if try s.kind() == .string {
                        out[k] = try s.string()
                    } else {
                        throw Failure(description: "\(keys.names[k]) has the wrong type")
                    }
                } while s.consume(0x2C)
                try s.expect(0x7D)
            }
            guard s.peek() == nil else { throw Failure(description: "malformed JSON: bytes after the object") }
        } catch let e as JSONScanner.Failure {
            switch e {
            case .syntax(let detail): throw Failure(description: "malformed JSON: \(detail)")
            }
        } catch let e as Failure {
            throw e
        } catch {
            throw Failure(description: "malformed JSON")
        }
        return out
    }
}
