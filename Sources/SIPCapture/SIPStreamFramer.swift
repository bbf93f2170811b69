/// Splits a byte stream (a TCP connection, reassembled) into SIP messages:
/// header block up to the blank line, then exactly Content-Length body bytes
/// (RFC 3261 §18.3). Garbage is skipped up to the next line that starts
/// like a SIP message, and counted. Memory is bounded by `maxBuffered`.
struct SIPStreamFramer {
    private var buffer: [UInt8] = []
    private var start = 0
    private let maxBuffered: Int
    private(set) var resyncs = 0
    private(set) var malformed = 0

    init(maxBuffered: Int = 256 * 1024) {
        self.maxBuffered = maxBuffered
    }

    /// Bytes waiting for the rest of a message.
    var pendingCount: Int { buffer.count - start }

    /// Drops everything buffered (after a gap in the stream).
    mutating func reset() {
        if pendingCount > 0 { malformed += 1 }
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }

    mutating func append(_ bytes: some Collection<UInt8>, into out: inout [[UInt8]]) {
        buffer.append(contentsOf: bytes)
        while let message = nextMessage() { out.append(message) }
        if start > 0, start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        if pendingCount > maxBuffered {
            reset()
        }
    }

    private mutating func nextMessage() -> [UInt8]? {
        buffer.withUnsafeBytes { raw -> [UInt8]? in
            while true {
                // Keep-alive CRLFs between messages (RFC 5626 §3.5.1).
                while start < raw.count, raw[start] == 0x0D || raw[start] == 0x0A { start += 1 }
                guard raw.count - start >= 8 else { return nil }
                let b = UnsafeRawBufferPointer(rebasing: raw[start...])
                if !SIPBytes.looksLikeStartLine(b) {
                    guard resync(b) else { return nil }
                    continue
                }
                guard let end = SIPBytes.headerEnd(b, limit: SIPBytes.maxHeaderBytes) else {
                    if b.count >= SIPBytes.maxHeaderBytes {
                        malformed += 1
                        skipLine(b)
                        continue
                    }
                    return nil
                }
                let cl = SIPBytes.contentLength(b, headerEnd: end) ?? 0
                guard cl >= 0, cl <= SIPBytes.maxContentLength else {
                    malformed += 1
                    start += end
                    continue
                }
                guard b.count >= end + cl else { return nil }
                let message = Array(b[0..<(end + cl)])
                start += end + cl
                return message
            }
        }
    }

    /// Moves to the next line that starts like a SIP message; false if none
    /// is buffered yet (then keeps only the last partial line).
    private mutating func resync(_ b: UnsafeRawBufferPointer) -> Bool {
        resyncs += 1
        malformed += 1
        var i = 0
        while i < b.count {
            if b[i] == 0x0A {
                // Skip CR/LF after the LF as nextMessage does (keep-alives), so a
                // start line after "\n\r" is found however the stream was cut.
                var j = i + 1
                while j < b.count, b[j] == 0x0D || b[j] == 0x0A { j += 1 }
                // Under 8 bytes buffered: too few to decide; keep them and wait.
                if b.count - j < 8 {
                    start += j
                    return false
                }
                if SIPBytes.looksLikeStartLine(b, at: j) {
                    start += j
                    return true
                }
                i = j
                continue
            }
            i += 1
        }
        if let lastLF = b.lastIndex(of: 0x0A) { start += lastLF + 1 }
        return false
    }

    private mutating func skipLine(_ b: UnsafeRawBufferPointer) {
        if let lf = b.firstIndex(of: 0x0A) { start += lf + 1 } else { start += b.count }
    }
}
