import MeteringCore
#if canImport(Glibc)
    import Glibc
#endif

/// SIP request methods the correlator distinguishes (RFC 3261 §7.1 and
/// extensions); anything else is kept by name.
public enum SIPMethod: Hashable, Sendable {
    case invite, ack, bye, cancel, update, prack, options, register, info, refer, notify, subscribe, message
    case other(String)

    public init(_ name: String) {
        switch name {
        case "INVITE": self = .invite
        case "ACK": self = .ack
        case "BYE": self = .bye
        case "CANCEL": self = .cancel
        case "UPDATE": self = .update
        case "PRACK": self = .prack
        case "OPTIONS": self = .options
        case "REGISTER": self = .register
        case "INFO": self = .info
        case "REFER": self = .refer
        case "NOTIFY": self = .notify
        case "SUBSCRIBE": self = .subscribe
        case "MESSAGE": self = .message
        default: self = .other(name)
        }
    }

    public var name: String {
        switch self {
        case .invite: "INVITE"
        case .ack: "ACK"
        case .bye: "BYE"
        case .cancel: "CANCEL"
        case .update: "UPDATE"
        case .prack: "PRACK"
        case .options: "OPTIONS"
        case .register: "REGISTER"
        case .info: "INFO"
        case .refer: "REFER"
        case .notify: "NOTIFY"
        case .subscribe: "SUBSCRIBE"
        case .message: "MESSAGE"
        case .other(let name): name
        }
    }
}

/// The fields of one SIP message that metering needs, copied out of
/// libosip2 so the C message can be freed at once.
///
/// Its identifiers (Call-ID, tags, branch, From and To parts) share one
/// allocation (`SIPMessageText`): a message is made on a parser thread and
/// freed on the correlator's, and one allocation per message instead of
/// one per identifier is what keeps that hand-over cheap. Each is made a
/// `String` only when read.
public struct SIPMessage: Sendable, Hashable {
    public enum StartLine: Sendable, Hashable {
        case request(method: SIPMethod, uriUser: String?, uriHost: String?)
        case response(status: Int, reason: String)
    }

    public var startLine: StartLine
    /// Call-ID, From and To parts, tags and the top Via branch, in one allocation.
    public let text: SIPMessageText
    public var cseq: UInt32
    public var cseqMethod: SIPMethod
    public var viaCount: Int
    /// User part of P-Asserted-Identity (RFC 3325), when present.
    public var assertedUser: String?
    /// Session-Expires delta-seconds and refresher (RFC 4028 §4), long or compact `x:`.
    public var sessionExpires: Int?
    public var refresher: String?
    /// Q.850 cause from a Reason header (RFC 3326).
    public var q850Cause: Int?
    public var contentLength: Int?
    public var bodyLength: Int

    public init(
        startLine: StartLine, callID: String, cseq: UInt32, cseqMethod: SIPMethod, fromUser: String? = nil,
        fromHost: String? = nil, fromTag: String? = nil, toUser: String? = nil, toTag: String? = nil,
        viaBranch: String? = nil, viaCount: Int = 1, assertedUser: String? = nil, sessionExpires: Int? = nil,
        refresher: String? = nil, q850Cause: Int? = nil, contentLength: Int? = nil, bodyLength: Int = 0
    ) {
        let text = SIPMessageText(strings: [callID, fromUser, fromHost, fromTag, toUser, toTag, viaBranch])
        self.init(
            startLine: startLine, text: text, cseq: cseq, cseqMethod: cseqMethod, viaCount: viaCount,
            assertedUser: assertedUser, sessionExpires: sessionExpires, refresher: refresher, q850Cause: q850Cause,
            contentLength: contentLength, bodyLength: bodyLength)
    }

    /// Always inlined: made straight in the caller's result, not in a
    /// local that is copied out and destroyed.
    @inline(__always)
    init(
        startLine: StartLine, text: SIPMessageText, cseq: UInt32, cseqMethod: SIPMethod, viaCount: Int,
        assertedUser: String?, sessionExpires: Int?, refresher: String?, q850Cause: Int?, contentLength: Int?,
        bodyLength: Int
    ) {
        self.startLine = startLine
        self.text = text
        self.cseq = cseq
        self.cseqMethod = cseqMethod
        self.viaCount = viaCount
        self.assertedUser = assertedUser
        self.sessionExpires = sessionExpires
        self.refresher = refresher
        self.q850Cause = q850Cause
        self.contentLength = contentLength
        self.bodyLength = bodyLength
    }

    public var callID: String { text.string(.callID) ?? "" }
    public var fromUser: String? { text.string(.fromUser) }
    public var fromHost: String? { text.string(.fromHost) }
    public var fromTag: String? { text.string(.fromTag) }
    public var toUser: String? { text.string(.toUser) }
    public var toTag: String? { text.string(.toTag) }
    /// Branch parameter of the top Via (RFC 3261 §8.1.1.7), the transaction key.
    public var viaBranch: String? { text.string(.viaBranch) }

    public var method: SIPMethod? {
        if case .request(let method, _, _) = startLine { return method }
        return nil
    }

    public var status: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }

    public var requestUser: String? {
        if case .request(_, let user, _) = startLine { return user }
        return nil
    }
}

/// A message's identifiers as UTF-8 in one immutable allocation: a table
/// of (start, length) pairs, one per `Field` (length -1: absent), then the
/// bytes. Sendable: the storage is never written after it is made.
public struct SIPMessageText: @unchecked Sendable, Hashable {
    public enum Field: Int, CaseIterable, Sendable {
        case callID, fromUser, fromHost, fromTag, toUser, toTag, viaBranch
    }

    @usableFromInline final class Storage: ManagedBuffer<Int, UInt8> {}

    static let fieldCount = Field.allCases.count
    private static let tableBytes = fieldCount * 2 * MemoryLayout<Int32>.stride

    @usableFromInline let storage: Storage

    /// Builds the text from up to `fieldCount` byte runs: `lengths[i]` is
    /// run `i`'s length (-1: absent), `write(i, to)` copies its bytes to `to`.
    init(lengths: UnsafeBufferPointer<Int>, write: (Int, UnsafeMutableRawPointer) -> Void) {
        var total = Self.tableBytes
        for n in lengths where n > 0 { total += n }
        storage = unsafeDowncast(Storage.create(minimumCapacity: total) { _ in total }, to: Storage.self)
        storage.withUnsafeMutablePointerToElements { base in
            let raw = UnsafeMutableRawPointer(base)
            var offset = Self.tableBytes
            for i in 0..<Self.fieldCount {
                let n = i < lengths.count ? lengths[i] : -1
                raw.storeBytes(of: Int32(offset), toByteOffset: i * 8, as: Int32.self)
                raw.storeBytes(of: Int32(n), toByteOffset: i * 8 + 4, as: Int32.self)
                if n > 0 {
                    write(i, raw + offset)
                    offset += n
                }
            }
        }
    }

    /// From Swift strings, one per `Field` in order (messages made by hand).
    public init(strings: [String?]) {
        self = strings.map { $0?.utf8.count ?? -1 }.withUnsafeBufferPointer { lengths in
            SIPMessageText(lengths: lengths) { i, to in
                var s = strings[i]!
                s.withUTF8 { to.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
        }
    }

    /// The bytes of `field`, or nil when the message has none (read in
    /// place; inlinable, as the correlator hashes and compares them).
    @inlinable
    public func withBytes<R>(_ field: Field, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        try storage.withUnsafeMutablePointerToElements { base in
            guard let bytes = Self.span(UnsafeRawPointer(base), field) else { return nil }
            return try body(bytes)
        }
    }

    /// `field`'s bytes in a storage's elements, nil when absent.
    @inlinable
    static func span(_ raw: UnsafeRawPointer, _ field: Field) -> UnsafeRawBufferPointer? {
        let start = Int(raw.load(fromByteOffset: field.rawValue &* 8, as: Int32.self))
        let count = Int(raw.load(fromByteOffset: field.rawValue &* 8 &+ 4, as: Int32.self))
        guard count >= 0 else { return nil }
        return UnsafeRawBufferPointer(start: raw + start, count: count)
    }

    /// Whether the message has `field`.
    public func has(_ field: Field) -> Bool { withBytes(field) { _ in true } ?? false }

    public func string(_ field: Field) -> String? {
        withBytes(field) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `field` of `self` and `other` hold the same bytes (or are both absent).
    public func same(_ field: Field, as other: SIPMessageText) -> Bool {
        if storage === other.storage { return true }
        return storage.withUnsafeMutablePointerToElements { a in
            other.storage.withUnsafeMutablePointerToElements { b in
                switch (Self.span(UnsafeRawPointer(a), field), Self.span(UnsafeRawPointer(b), field)) {
                case (nil, nil): true
                case (let x?, let y?):
                    x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
                default: false
                }
            }
        }
    }

    public static func == (a: SIPMessageText, b: SIPMessageText) -> Bool {
        Field.allCases.allSatisfy { a.same($0, as: b) }
    }

    public func hash(into hasher: inout Hasher) {
        for field in Field.allCases {
            if withBytes(field, { hasher.combine(bytes: $0) }) == nil { hasher.combine(-1) }
        }
    }
}
