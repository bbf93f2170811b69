/// Rebuilds a SIP message from the lines a text log printed: line ends
/// restored to CRLF (loggers often normalise to LF, which breaks
/// Content-Length), surrounding blank lines dropped, and the result fitted
/// to its Content-Length (a cut body is flagged as truncated).
enum TextMessageBuilder {
    static func build(_ lines: [ArraySlice<UInt8>]) -> (bytes: [UInt8], truncated: Bool)? {
        var first = 0
        var last = lines.count
        while first < last, lines[first].isEmpty { first += 1 }
        while last > first, lines[last - 1].isEmpty { last -= 1 }
        guard first < last else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(lines[first..<last].reduce(0) { $0 + $1.count + 2 } + 2)
        var inBody = false
        for line in lines[first..<last] {
            if line.isEmpty, !inBody { inBody = true }
            out.append(contentsOf: line)
            out.append(0x0D)
            out.append(0x0A)
        }
        if !inBody {
            out.append(0x0D)
            out.append(0x0A)
        }
        guard let fitted = SIPBytes.fitToContentLength(out) else { return nil }
        return fitted
    }
}
