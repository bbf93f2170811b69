internal import CSIPSupport

/// Reads a file in chunks through zlib, so gzip-compressed and plain files
/// read alike. Memory use is one chunk.
final class ByteSource {
    let path: String
    private var handle: UnsafeMutableRawPointer?
    private(set) var offset: Int64 = 0

    init(path: String) throws(CaptureError) {
        self.path = path
        switch FileManagerProbe.kind(path) {
        case .missing: throw .unreadable(path: path, reason: "no such file")
        case .directory: throw .unreadable(path: path, reason: "is a directory")
        case .file: break
        }
        guard let h = sipm_gzopen(path) else { throw .unreadable(path: path, reason: "permission denied or I/O error") }
        handle = h
    }

    deinit {
        sipm_gzclose(handle)
    }

    /// Reads up to `count` bytes; an empty result means end of input.
    func read(max count: Int) throws(CaptureError) -> [UInt8] {
        guard let handle else { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { sipm_gzread(handle, $0.baseAddress, UInt32($0.count)) }
        if n < 0 {
            let reason = sipm_gzerror(handle).map { String(cString: $0) } ?? "read error"
            throw .corrupt(path: path, position: "offset \(offset)", reason: reason)
        }
        buffer.removeLast(count - Int(n))
        offset += Int64(n)
        return buffer
    }
}
