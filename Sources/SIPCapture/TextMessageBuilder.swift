/// Rebuilds a SIP message from the lines a text log printed, one line at a
/// time as the reader meets them: line ends restored to CRLF (loggers often
/// normalise to LF, which breaks Content-Length), surrounding blank lines
/// dropped, and the result fitted to its Content-Length (a cut body is
/// flagged as truncated). Lines are copied once, straight into the message.
struct TextMessageBuilder {
    private var bytes: [UInt8] = []
    /// Blank lines seen since the last non-blank one: written only if a
    /// non-blank line follows (trailing blank lines are dropped).
    private var blankRun = 0
    /// A blank line inside the message: the end of the headers was seen.
    private var sawBlank = false

    var isEmpty: Bool { bytes.isEmpty }

    mutating func add(_ line: TextLine) {
        if line.isEmpty {
            if !bytes.isEmpty { blankRun += 1 }  // leading blank lines are dropped
            return
        }
        if blankRun > 0 {
            for _ in 0..<blankRun {
                bytes.append(0x0D)
                bytes.append(0x0A)
            }
            sawBlank = true
            blankRun = 0
        }
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: line))
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        blankRun = 0
        sawBlank = false
    }

    /// The message so far, and a fresh start; nil when there was no line or
    /// Content-Length is absurd.
    mutating func finish() -> (bytes: [UInt8], truncated: Bool)? {
        defer { reset() }
        guard !bytes.isEmpty else { return nil }
        if !sawBlank {
            // Headers only: close them.
            bytes.append(0x0D)
            bytes.append(0x0A)
        }
        return SIPBytes.fitToContentLength(bytes)
    }

    /// The message the lines make, at once (the fuzzer and one-off callers).
    static func build(_ lines: [TextLine]) -> (bytes: [UInt8], truncated: Bool)? {
        var builder = TextMessageBuilder()
        for line in lines { builder.add(line) }
        return builder.finish()
    }
}
