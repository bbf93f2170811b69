internal import CSIPSupport

/// Reads a file in chunks through zlib, so gzip-compressed and plain files
/// read alike. Memory use is one chunk.
final class ByteSource {
    let path: String
    private var handle: UnsafeMutableRawPointer?
    private(set) var offset: Int64 = 0
    /// Bytes handed in by a follower (`append`), read before the file.
    private var memory: [UInt8] = []
    private var memoryStart = 0

    /// A source fed by `append` (a followed log): it reads what was
    /// appended and reports the end when that is used up.
    init(appendable path: String) {
        self.path = path
        self.handle = nil
    }

    func append(_ bytes: [UInt8]) {
        if memoryStart > 0 {
            memory.removeFirst(memoryStart)
            memoryStart = 0
        }
        if memory.isEmpty {
            memory = bytes
        } else {
            memory.append(contentsOf: bytes)
        }
    }

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
        if memoryStart < memory.count {
            if memoryStart == 0, memory.count <= count {
                // All of what was fed: hand it over without a copy.
                let chunk = memory
                memory = []
                offset += Int64(chunk.count)
                return chunk
            }
            let end = min(memory.count, memoryStart + count)
            let chunk = Array(memory[memoryStart..<end])
            memoryStart = end
            offset += Int64(chunk.count)
            return chunk
        }
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
