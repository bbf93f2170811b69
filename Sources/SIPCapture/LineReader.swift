#if canImport(Glibc)
    import Glibc
#endif

/// Splits a byte source into lines (without their LF or CRLF), bounded:
/// a line longer than `maxLine` is cut there and reported as overlong, so a
/// 10 MB header line never sits in memory whole.
final class LineReader {
    struct Line {
        var bytes: ArraySlice<UInt8>
        /// Byte offset of the line's first byte in the (decompressed) input.
        var offset: Int64
        var overlong: Bool
    }

    private let source: ByteSource
    private let maxLine: Int
    // Hot per-line/per-packet state of a reader owned by one thread: no
    // dynamic exclusivity checks on it (they were a measurable share of
    // the reader thread, which bounds the pipeline).
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var bufferOffset: Int64 = 0
    @exclusivity(unchecked) private var eof = false
    @exclusivity(unchecked) private var skippingOverlong = false

    init(source: ByteSource, maxLine: Int = 256 * 1024, startOffset: Int64 = 0) {
        self.source = source
        self.maxLine = maxLine
        self.bufferOffset = startOffset
    }

    /// After the end was reported, more input may follow (a followed log
    /// fed whole records at a time): read on.
    func resume() {
        eof = false
    }

    /// The index of the next LF at or after `start` (memchr).
    private static func newline(in buffer: [UInt8], from start: Int) -> Int? {
        buffer.withUnsafeBytes { b -> Int? in
            guard start < b.count, let base = b.baseAddress, let p = memchr(base + start, 0x0A, b.count - start) else {
                return nil
            }
            return base.distance(to: UnsafeRawPointer(p))
        }
    }

    func next() throws(CaptureError) -> Line? {
        while true {
            if let nl = Self.newline(in: buffer, from: start) {
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = Line(bytes: buffer[start..<end], offset: bufferOffset + Int64(start), overlong: false)
                start = nl + 1
                if skippingOverlong {
                    skippingOverlong = false
                    continue
                }
                return line
            }
            let pending = buffer.count - start
            if pending >= maxLine {
                // Cut the line: report its head once, then discard up to the next LF.
                let line = Line(bytes: buffer[start..<(start + maxLine)], offset: bufferOffset + Int64(start), overlong: true)
                let wasSkipping = skippingOverlong
                bufferOffset += Int64(buffer.count)
                buffer = []
                start = 0
                skippingOverlong = true
                if !wasSkipping { return line }
                continue
            }
            if eof {
                guard pending > 0 else { return nil }
                let line = Line(bytes: buffer[start...], offset: bufferOffset + Int64(start), overlong: false)
                start = buffer.count
                if skippingOverlong {
                    skippingOverlong = false
                    return nil
                }
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                bufferOffset += Int64(start)
                start = 0
            }
            let chunk = try source.read(max: 256 * 1024)
            if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
