internal import CSIPSupport

/// gzip for request bodies (zlib through CSIPSupport).
public enum Gzip {
    public enum Failure: Error, Equatable {
        /// Not gzip or zlib data.
        case corrupt
        /// Inflates beyond the allowed size.
        case tooLarge
    }

    /// True when `bytes` start with the gzip magic number.
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        var it = bytes.makeIterator()
        return it.next() == 0x1F && it.next() == 0x8B
    }

    /// Inflates `data`, refusing output beyond `limit` bytes.
    public static func decompress(_ data: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        // A gzip stream ends with its inflated size (RFC 1952 ISIZE, mod
        // 2^32): with it as the first guess a body is inflated once, into a
        // buffer of its size. (8× the input, the guess before, is short of
        // the agent's batches: each was inflated twice, the second time
        // into a zeroed buffer four times too large.) zlib checks the size
        // at the end, so a wrong one is `corrupt`; a multi-member body may
        // need more, and grows as before.
        var capacity = min(limit, max(64 * 1024, data.count * 8))
        if let size = trailerSize(data) { capacity = min(limit, size + 1) }
        while true {
            var n = 0
            // Not zeroed first: inflate writes every byte that is kept.
            let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                n = data.withUnsafeBufferPointer { input in
                    sipm_gunzip(input.baseAddress, UInt(input.count), buffer.baseAddress, UInt(buffer.count))
                }
                count = max(0, n)
            }
            if n >= 0 { return out }
            if n == -1 { throw .corrupt }
            if capacity >= limit { throw .tooLarge }
            capacity = min(limit, capacity * 4)
        }
    }

    /// The ISIZE field of a gzip stream (its last four bytes, little-endian),
    /// nil for other data or a size of 0.
    static func trailerSize(_ data: [UInt8]) -> Int? {
        guard data.count >= 18, isGzip(data) else { return nil }
        let n = data.count
        let size = Int(data[n - 4]) | Int(data[n - 3]) << 8 | Int(data[n - 2]) << 16 | Int(data[n - 1]) << 24
        return size > 0 ? size : nil
    }

    /// gzip-compresses `data`.
    public static func compress(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(sipm_gzip_bound(UInt(data.count))))
        let n = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                sipm_gzip(input.baseAddress, UInt(input.count), output.baseAddress, UInt(output.count), level)
            }
        }
        // deflate into a compressBound-sized buffer cannot run out of room.
        precondition(n >= 0, "deflate failed with a bound-sized buffer")
        out.removeSubrange(Int(n)...)
        return out
    }
}
