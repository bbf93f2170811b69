internal import CSIPSupport
#if canImport(Glibc)
    import Glibc
#endif

/// Why a framed message could not become a `SIPMessage`.
public enum SIPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// libosip2 rejected the message (its error code).
    case malformed(code: Int32)
    /// A header that every SIP message must carry (RFC 3261 §8.1.1) is missing.
    case missingHeader(String)
    case badCSeq(String)

    public var description: String {
        switch self {
        case .malformed(let code): "libosip2 could not parse the message (error \(code))"
        case .missingHeader(let name): "the message has no \(name) header"
        case .badCSeq(let value): "the CSeq value '\(value.prefix(40))' is not a number and a method"
        }
    }
}

/// Parses one framed SIP message with libosip2.
///
/// Thread-safe: libosip2's tables and log sink are set up once, before the
/// first parse on any thread; each call parses into its own C message and
/// frees it before returning.
public enum SIPParser {
    private static let setup: Void = { sipm_osip_setup() }()

    /// Runs libosip2's one-time set-up now (it also runs on first parse).
    public static func initialize() { _ = setup }

    /// What libosip2 is given to parse.
    public enum Scope: Sendable {
        /// The start line and the headers metering reads (Via, From, To,
        /// Call-ID, CSeq, P-Asserted-Identity, Session-Expires, Reason):
        /// a broken header metering never reads (Contact, Content-Type, a
        /// vendor header) costs no call, and libosip2 has less to parse (on
        /// SIPp's short messages about 5% less time; more with many headers).
        case metering
        /// The whole message, body included (`parse --parse-all`).
        case complete
        /// What `metering` reads, the slower way: the start line and those
        /// headers copied into a message of their own, which libosip2's
        /// whole-message parse reads. The reference the tests and the
        /// fuzzer hold `metering` to.
        case meteringReference
    }

    /// How libosip2 allocates while it parses.
    public enum Allocation: Sendable {
        /// In a per-thread arena reused message after message: libosip2's
        /// fifty-odd small allocations and frees per message become pointer
        /// bumps (the agent's choice).
        case arena
        /// Through malloc and free, as libosip2 does by default (the bare
        /// floor `make bench` times).
        case system
    }

    public static func parse(
        _ bytes: UnsafeRawBufferPointer, scope: Scope = .metering, allocation: Allocation = .arena
    ) -> Result<SIPMessage, SIPParseError> {
        var error = SIPParseError.malformed(code: -2)
        if let message = parse(bytes, scope: scope, allocation: allocation, error: &error) { return .success(message) }
        return .failure(error)
    }

    /// The same for a hot loop: the message, else nil with `error` set. A
    /// message bound out of a `Result` is copied and the result destroyed;
    /// one bound out of an optional is moved.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, scope: Scope = .metering, allocation: Allocation = .arena,
        error: inout SIPParseError
    ) -> SIPMessage? {
        _ = setup
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            error = .malformed(code: -2)
            return nil
        }
        var f = sipm_fields()
        var code: Int32 = 0
        let complete: Int32 =
            switch scope {
            case .metering: 0
            case .complete: 1
            case .meteringReference: 2
            }
        let arena: Int32 = allocation == .arena ? 1 : 0
        guard
            let handle = sipm_message_parse(
                base.assumingMemoryBound(to: CChar.self), bytes.count, complete, arena, &f, &code)
        else {
            error = .malformed(code: code)
            return nil
        }
        defer { sipm_message_free(handle) }
        return extract(f, &error)
    }

    public static func parse(
        _ bytes: [UInt8], scope: Scope = .metering, allocation: Allocation = .arena
    ) -> Result<SIPMessage, SIPParseError> {
        bytes.withUnsafeBytes { parse($0, scope: scope, allocation: allocation) }
    }

    public static func parse(
        _ text: String, scope: Scope = .metering, allocation: Allocation = .arena
    ) -> Result<SIPMessage, SIPParseError> {
        parse(Array(text.utf8), scope: scope, allocation: allocation)
    }

    private static func extract(_ f: sipm_fields, _ error: inout SIPParseError) -> SIPMessage? {
        guard let number = f.callid_number, number.pointee != 0 else {
            error = .missingHeader("Call-ID")
            return nil
        }
        guard let cseqNumber = f.cseq_number, let cseqMethod = f.cseq_method else {
            error = .missingHeader("CSeq")
            return nil
        }
        guard let seq = cseqValue(cseqNumber) else {
            error = .badCSeq(String(cString: cseqNumber))
            return nil
        }
        guard f.has_from != 0 else {
            error = .missingHeader("From")
            return nil
        }
        guard f.has_to != 0 else {
            error = .missingHeader("To")
            return nil
        }
        let startLine: SIPMessage.StartLine
        if f.is_request != 0 {
            guard let method = f.method else {
                error = .malformed(code: -1)
                return nil
            }
            startLine = .request(
                method: SIPMethod(cString: method), uriUser: f.ruri_user.map(string), uriHost: f.ruri_host.map(string))
        } else {
            startLine = .response(status: Int(f.status_code), reason: f.reason_phrase.map(string) ?? "")
        }
        // Every field first, then one initialiser: the message is built in
        // place in the result, never copied.
        let assertedUser = f.pai.flatMap { HeaderValues.uriUser(in: String(cString: $0)) }
        let (sessionExpires, refresher) = f.session_expires.map { HeaderValues.sessionExpires(String(cString: $0)) } ?? (nil, nil)
        let q850Cause = f.reason.flatMap { HeaderValues.q850Cause(String(cString: $0)) }
        return SIPMessage(
            startLine: startLine,
            text: text(f, callIDNumber: number),
            cseq: seq,
            cseqMethod: SIPMethod(cString: cseqMethod),
            viaCount: Int(f.via_count),
            assertedUser: assertedUser,
            sessionExpires: sessionExpires,
            refresher: refresher,
            q850Cause: q850Cause,
            contentLength: f.content_length_value >= 0 ? f.content_length_value : nil,
            bodyLength: f.body_length
        )
    }

    private static func string(_ p: UnsafePointer<CChar>) -> String { String(cString: p) }

    /// The CSeq number: plain digits read in place (no String made, as
    /// for every message), anything else as `UInt32(String)` reads it.
    private static func cseqValue(_ p: UnsafePointer<CChar>) -> UInt32? {
        var value: UInt64 = 0
        var n = 0
        while n < 10, p[n] >= 0x30, p[n] <= 0x39 {
            value = value * 10 + UInt64(p[n] - 0x30)
            n += 1
        }
        if n > 0, p[n] == 0, value <= UInt64(UInt32.max) { return UInt32(value) }
        return UInt32(String(cString: p))
    }

    /// The message's identifiers in one allocation, copied straight from
    /// libosip2's strings; the Call-ID is `number@host` again (libosip2
    /// splits it at its `@`).
    private static func text(_ f: sipm_fields, callIDNumber number: UnsafePointer<CChar>) -> SIPMessageText {
        let parts = (f.from_user, f.from_host, f.from_tag, f.to_user, f.to_tag, f.via_branch)
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: SIPMessageText.fieldCount) { lengths in
            func length(_ p: UnsafePointer<CChar>?) -> Int { p.map { strlen($0) } ?? -1 }
            let numberLength = strlen(number)
            let hostLength = length(f.callid_host)
            lengths[0] = hostLength >= 0 ? numberLength + 1 + hostLength : numberLength
            lengths[1] = length(parts.0)
            lengths[2] = length(parts.1)
            lengths[3] = length(parts.2)
            lengths[4] = length(parts.3)
            lengths[5] = length(parts.4)
            lengths[6] = length(parts.5)
            return SIPMessageText(lengths: UnsafeBufferPointer(lengths)) { i, to in
                let source: UnsafePointer<CChar>?
                switch i {
                case 0:
                    to.copyMemory(from: number, byteCount: numberLength)
                    if let host = f.callid_host {
                        to.storeBytes(of: UInt8(ascii: "@"), toByteOffset: numberLength, as: UInt8.self)
                        (to + numberLength + 1).copyMemory(from: host, byteCount: hostLength)
                    }
                    return
                case 1: source = parts.0
                case 2: source = parts.1
                case 3: source = parts.2
                case 4: source = parts.3
                case 5: source = parts.4
                default: source = parts.5
                }
                if let source { to.copyMemory(from: source, byteCount: lengths[i]) }
            }
        }
    }
}

extension SIPMethod {
    /// The method named by a C string, matched on its bytes: no String is
    /// made for the methods correlation knows (two per message).
    fileprivate init(cString name: UnsafePointer<CChar>) {
        let n = strlen(name)
        func named(_ word: StaticString) -> Bool {
            n == word.utf8CodeUnitCount && memcmp(name, word.utf8Start, n) == 0
        }
        if named("INVITE") {
            self = .invite
        } else if named("BYE") {
            self = .bye
        } else if named("ACK") {
            self = .ack
        } else if named("CANCEL") {
            self = .cancel
        } else {
            self = SIPMethod(String(cString: name))
        }
    }
}
