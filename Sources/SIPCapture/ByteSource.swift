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

    func append(_ bytes: ArraySlice<UInt8>) {
        if memoryStart > 0 {
            memory.removeFirst(memoryStart)
            memoryStart = 0
        }
        memory.append(contentsOf: bytes)
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
        var failure: CaptureError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(CaptureError) {
                initialized = try read(into: UnsafeMutableRawPointer(buffer.baseAddress!), max: count)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads up to `count` bytes straight into `buffer` (no array made or
    /// zero-filled per chunk); 0 means end of input.
    func read(into buffer: UnsafeMutableRawPointer, max count: Int) throws(CaptureError) -> Int {
        if memoryStart < memory.count {
            let n = min(count, memory.count - memoryStart)
            memory.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + memoryStart, byteCount: n) }
            memoryStart += n
            if memoryStart == memory.count {
                memory.removeAll(keepingCapacity: true)
                memoryStart = 0
            }
            offset += Int64(n)
            return n
        }
        guard let handle else { return 0 }
        let n = sipm_gzread(handle, buffer, UInt32(count))
        if n < 0 {
            let reason = sipm_gzerror(handle).map { String(cString: $0) } ?? "read error"
            throw .corrupt(path: path, position: "offset \(offset)", reason: reason)
        }
        offset += Int64(n)
        return Int(n)
    }
}
