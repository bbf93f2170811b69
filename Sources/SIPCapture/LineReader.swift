#if canImport(Glibc)
    import Glibc
#endif

/// One line of a text log, read in place in the reader's buffer: valid
/// only until the reader reads on. Indices are positions in that buffer,
/// as an `ArraySlice`'s are in its array.
typealias TextLine = Slice<UnsafeRawBufferPointer>

/// Splits a byte source into lines (without their LF or CRLF), bounded:
/// a line longer than `maxLine` is cut there and reported as overlong, so a
/// 10 MB header line never sits in memory whole.
///
/// Lines are handed out in place, never copied or retained: the buffer is
/// the reader's own allocation, not an array (a slice of an array per line
/// retained and released the array several times per line, a third of the
/// text reader thread).
final class LineReader {
    struct Line {
        /// Valid until the next call to `next()`.
        var bytes: TextLine
        /// Byte offset of the line's first byte in the (decompressed) input.
        var offset: Int64
        var overlong: Bool
    }

    private let source: ByteSource
    private let maxLine: Int
    // Hot per-line state of a reader owned by one thread: no dynamic
    // exclusivity checks on it.
    @exclusivity(unchecked) private var storage: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var capacity: Int
    /// Bytes held: `storage[0..<count]`; lines not yet handed out start at `start`.
    @exclusivity(unchecked) private var count = 0
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var bufferOffset: Int64 = 0
    @exclusivity(unchecked) private var eof = false
    @exclusivity(unchecked) private var skippingOverlong = false

    init(source: ByteSource, maxLine: Int = 256 * 1024, startOffset: Int64 = 0) {
        self.source = source
        self.maxLine = maxLine
        self.bufferOffset = startOffset
        capacity = 512 * 1024
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// After the end was reported, more input may follow (a followed log
    /// fed whole records at a time): read on.
    func resume() {
        eof = false
    }

    private func line(_ from: Int, _ to: Int, overlong: Bool) -> Line {
        Line(
            bytes: UnsafeRawBufferPointer(start: storage, count: count)[from..<to], offset: bufferOffset + Int64(from),
            overlong: overlong)
    }

    func next() throws(CaptureError) -> Line? {
        while true {
            if start < count, let p = memchr(storage + start, 0x0A, count - start) {
                let nl = storage.distance(to: p)
                var end = nl
                if end > start, storage.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D { end -= 1 }
                let from = start
                start = nl + 1
                if skippingOverlong {
                    skippingOverlong = false
                    continue
                }
                return line(from, end, overlong: false)
            }
            let pending = count - start
            if pending >= maxLine {
                // Cut the line: report its head once, then discard up to the next LF.
                let cut = line(start, start + maxLine, overlong: true)
                let wasSkipping = skippingOverlong
                // Everything held is discarded at the next refill, so the
                // head stays readable until the next call.
                start = count
                skippingOverlong = true
                if !wasSkipping { return cut }
                continue
            }
            if eof {
                guard pending > 0 else { return nil }
                let from = start
                start = count
                if skippingOverlong {
                    skippingOverlong = false
                    return nil
                }
                return line(from, count, overlong: false)
            }
            try refill()
        }
    }

    /// Moves the unread bytes to the front and reads the next chunk after
    /// them, straight into the buffer.
    private func refill() throws(CaptureError) {
        let pending = count - start
        if start > 0 {
            if pending > 0 { storage.copyMemory(from: storage + start, byteCount: pending) }
            bufferOffset += Int64(start)
            start = 0
            count = pending
        }
        let chunk = 256 * 1024
        if count + chunk > capacity {
            let grown = max(capacity * 2, count + chunk)
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
            bigger.copyMemory(from: storage, byteCount: count)
            storage.deallocate()
            storage = bigger
            capacity = grown
        }
        let n = try source.read(into: storage + count, max: chunk)
        if n == 0 { eof = true }
        count += n
    }
}
