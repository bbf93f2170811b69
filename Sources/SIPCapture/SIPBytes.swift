#if canImport(Glibc)
    import Glibc
#endif

/// Byte-level facts about SIP messages needed before libosip2 sees them:
/// where the headers end, what Content-Length says, whether a buffer starts
/// like a SIP message. libosip2 parses exactly one message and cannot say
/// how many bytes it used, so framing happens here (RFC 3261 §18.3).
public enum SIPBytes {
    /// Larger bodies are treated as corrupt framing, not as messages.
    static let maxContentLength = 1 << 20
    static let maxHeaderBytes = 64 * 1024

    /// `SIP/2.0 ` or `METHOD SP` (upper-case token of 2–16 letters) at `i`.
    static func looksLikeStartLine(_ b: UnsafeRawBufferPointer, at i: Int = 0) -> Bool {
        let n = b.count - i
        guard n >= 8 else { return false }
        if b[i] == 0x53, b[i + 1] == 0x49, b[i + 2] == 0x50, b[i + 3] == 0x2F, b[i + 4] == 0x32 { return true }
        var j = i
        while j < b.count, j - i < 17, b[j] >= 0x41, b[j] <= 0x5A { j += 1 }
        return j - i >= 3 && j < b.count && b[j] == 0x20
    }

    static func looksLikeStartLine(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { looksLikeStartLine($0) }
    }

    /// Index just past the blank line ending the headers (CRLFCRLF or LFLF).
    static func headerEnd(_ b: UnsafeRawBufferPointer, from: Int = 0, limit: Int? = nil) -> Int? {
        let end = min(b.count, limit ?? b.count)
        guard let base = b.baseAddress else { return nil }
        var i = from
        while i + 1 < end {
            // Line by line: memchr finds each LF.
            guard let lf = memchr(base + i, 0x0A, end - i) else { return nil }
            i = base.distance(to: UnsafeRawPointer(lf))
            guard i + 1 < end else { return nil }
            if b[i + 1] == 0x0A { return i + 2 }
            if b[i + 1] == 0x0D, i + 2 < end, b[i + 2] == 0x0A { return i + 3 }
            i += 1
        }
        return nil
    }

    /// The Content-Length (long or compact `l`) in a header block, or nil.
    /// Returns -1 when the value is not a number.
    static func contentLength(_ b: UnsafeRawBufferPointer, headerEnd: Int) -> Int? {
        guard let base = b.baseAddress else { return nil }
        var lineStart = 0
        // Line by line (memchr finds each LF); only a line starting with
        // C or L can hold the header.
        while lineStart < headerEnd, let lf = memchr(base + lineStart, 0x0A, headerEnd - lineStart) {
            let i = base.distance(to: UnsafeRawPointer(lf))
            let first = b[lineStart] | 0x20
            if first == 0x63 || first == 0x6C, let v = contentLengthValue(b, lineStart, i) { return v }
            lineStart = i + 1
        }
        return nil
    }

    private static func contentLengthValue(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> Int? {
        // Header name up to ':' (case-insensitive "content-length" or "l").
        var colon = s
        while colon < e, b[colon] != 0x3A { colon += 1 }
        guard colon < e else { return nil }
        var nameEnd = colon
        while nameEnd > s, b[nameEnd - 1] == 0x20 || b[nameEnd - 1] == 0x09 { nameEnd -= 1 }
        let len = nameEnd - s
        let target: StaticString = "content-length"
        if len == 1 {
            guard b[s] | 0x20 == 0x6C else { return nil }
        } else if len == target.utf8CodeUnitCount {
            let t = target.utf8Start
            for k in 0..<len where b[s + k] | 0x20 != t[k] { return nil }
        } else {
            return nil
        }
        var v = 0
        var digits = 0
        var k = colon + 1
        while k < e, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
        while k < e, b[k] >= 0x30, b[k] <= 0x39 {
            v = v &* 10 &+ Int(b[k] - 0x30)
            digits += 1
            if digits > 9 { return Int.max }
            k += 1
        }
        return digits == 0 ? -1 : v
    }

    /// Makes a datagram or log record agree with its Content-Length: a
    /// longer body is cut (as libosip2 would), a shorter one means the
    /// message was truncated — the header is rewritten to what is present
    /// so the headers still parse, and the message is flagged.
    static func fitToContentLength(_ message: [UInt8]) -> (bytes: [UInt8], truncated: Bool)? {
        message.withUnsafeBytes { b -> ([UInt8], Bool)? in
            guard let end = headerEnd(b, limit: maxHeaderBytes) else {
                // No blank line: a header block cut short. Close it, and
                // say there is no body (whatever Content-Length claimed).
                let closed = message + [0x0D, 0x0A, 0x0D, 0x0A]
                return (rewriteContentLength(closed, headerEnd: closed.count, to: 0), true)
            }
            let body = b.count - end
            guard let cl = contentLength(b, headerEnd: end) else { return (message, false) }
            if cl < 0 || cl > maxContentLength { return nil }
            if body >= cl { return (body == cl ? message : Array(message[0..<(end + cl)]), false) }
            return (rewriteContentLength(message, headerEnd: end, to: body), true)
        }
    }

    /// `fitToContentLength` on bytes still in a capture buffer: the common
    /// case (a body as long as Content-Length says, or longer) makes one
    /// copy of just the message; the rare ones go the general way.
    static func fitToContentLength(_ b: UnsafeRawBufferPointer) -> (bytes: [UInt8], truncated: Bool)? {
        if let end = headerEnd(b, limit: maxHeaderBytes) {
            guard let cl = contentLength(b, headerEnd: end) else { return (copy(b), false) }
            if cl < 0 || cl > maxContentLength { return nil }
            if b.count - end >= cl { return (copy(UnsafeRawBufferPointer(rebasing: b[0..<(end + cl)])), false) }
        }
        return fitToContentLength(copy(b))
    }

    /// The bytes as an array, copied with one memcpy.
    static func copy(_ b: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: b.count) { out, count in
            if let base = b.baseAddress, b.count > 0 {
                out.baseAddress!.initialize(from: base.assumingMemoryBound(to: UInt8.self), count: b.count)
            }
            count = b.count
        }
    }

    private static func rewriteContentLength(_ message: [UInt8], headerEnd: Int, to value: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 8)
        var lineStart = 0
        let isCL: (Int, Int) -> Bool = { s, e in
            message.withUnsafeBytes { contentLengthValue($0, s, e) != nil }
        }
        var i = 0
        while i < headerEnd {
            if message[i] == 0x0A {
                if isCL(lineStart, i) {
                    out.append(contentsOf: Array("Content-Length: \(value)\r\n".utf8))
                } else {
                    out.append(contentsOf: message[lineStart...i])
                }
                lineStart = i + 1
            }
            i += 1
        }
        out.append(contentsOf: message[headerEnd...])
        return out
    }
}

extension SIPBytes {
    /// False for messages that call correlation never reads, so they need
    /// not go through libosip2: ACK requests, 100 Trying (hop-by-hop, it
    /// says nothing about the call, RFC 3261 §21.1.1), and responses whose
    /// CSeq method is neither INVITE nor UPDATE (the 200 to a BYE, to a
    /// CANCEL, to OPTIONS…). With `byeResponses`, final responses to BYE
    /// are needed too. When in doubt (no CSeq found) it answers true and
    /// libosip2 judges.
    public static func isNeededForMetering(_ b: UnsafeRawBufferPointer, byeResponses: Bool = false) -> Bool {
        guard b.count >= 12 else { return true }
        if b[0] == 0x41, b[1] == 0x43, b[2] == 0x4B, b[3] == 0x20 { return false }  // "ACK "
        guard b[0] == 0x53, b[1] == 0x49, b[2] == 0x50, b[3] == 0x2F else { return true }  // "SIP/"
        if b[7] == 0x20, b[8] == 0x31, b[9] == 0x30, b[10] == 0x30, b[11] == 0x20 { return false }  // "SIP/2.0 100 "
        let end = headerEnd(b, limit: maxHeaderBytes) ?? b.count
        guard let base = b.baseAddress else { return true }
        var lineStart = 0
        while lineStart < end {
            // Line by line: memchr finds each LF.
            let i = lineStart
            if i + 5 < end, b[i] | 0x20 == 0x63, b[i + 1] | 0x20 == 0x73, b[i + 2] | 0x20 == 0x65, b[i + 3] | 0x20 == 0x71 {
                // "CSeq" [WS] ":" [WS] number WS method
                var k = i + 4
                while k < end, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                guard k < end, b[k] == 0x3A else { return true }
                k += 1
                while k < end, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                while k < end, b[k] >= 0x30, b[k] <= 0x39 { k += 1 }
                while k < end, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                let method = k
                while k < end, b[k] > 0x20 { k += 1 }
                if byeResponses, b[8] >= 0x32, token(b, method, k, "BYE") { return true }
                return token(b, method, k, "INVITE") || token(b, method, k, "UPDATE") || k == method
            }
            guard let lf = memchr(base + lineStart, 0x0A, end - lineStart) else { break }
            lineStart = base.distance(to: UnsafeRawPointer(lf)) + 1
        }
        return true
    }

    private static func token(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ word: StaticString) -> Bool {
        guard end - start == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<(end - start) where b[start + k] != w[k] { return false }
        return true
    }
}
