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
        // Grow the buffer geometrically up to the limit; most bodies fit the first guess.
        var capacity = min(limit, max(64 * 1024, data.count * 8))
        while true {
            var out = [UInt8](repeating: 0, count: capacity)
            let n = data.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    sipm_gunzip(input.baseAddress, UInt(input.count), output.baseAddress, UInt(output.count))
                }
            }
            if n >= 0 {
                out.removeSubrange(Int(n)...)
                return out
            }
            if n == -1 { throw .corrupt }
            if capacity >= limit { throw .tooLarge }
            capacity = min(limit, capacity * 4)
        }
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
