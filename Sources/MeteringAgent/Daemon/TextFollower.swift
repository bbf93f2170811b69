public import CallCorrelation
internal import Foundation
public import MeteringCore
public import SIPCapture

/// Follows the files of one text source like `tail -F`: new lines as they
/// are written, rotation by rename (the old file is read to its end first)
/// and by copy-truncate, new files that match the globs. Messages go through
/// one correlator, so a call split across a rotation stays one call.
/// Single-threaded; the caller polls.
public final class TextFollower: SourceFollower {
    public struct Stats: Sendable {
        public var messages = 0
        public var malformed = 0
        public var bytes: Int64 = 0
        public var rotations = 0
        public var truncations = 0
    }

    struct FileKey: Hashable {
        var device: Int64
        var inode: Int64
    }

    private final class Tracked {
        let key: FileKey
        var path: String
        let fd: Int32
        var readOffset: Int64
        var fedOffset: Int64
        var pending: [UInt8] = []
        var reader: TextLogReader?
        var format: InputFormat?
        var lastGrowth: Timestamp
        var gone = false
        /// (time, offset) of each message read and not yet safely behind.
        var samples: [(time: Timestamp, offset: Int64)] = []

        init(key: FileKey, path: String, fd: Int32, offset: Int64, format: InputFormat?, now: Timestamp) {
            self.key = key
            self.path = path
            self.fd = fd
            self.readOffset = offset
            self.fedOffset = offset
            self.format = format
            self.lastGrowth = now
        }

        deinit { close(fd) }
    }

    public let source: AgentConfig.TextSource
    public var name: String { source.name }
    public var messages: Int { stats.messages }
    public var malformed: Int { stats.malformed }
    public var bytesRead: Int64 { stats.bytes }
    public private(set) var stats = Stats()
    /// The last poll stopped at its read limit: poll again without waiting.
    public private(set) var moreWaiting = false
    private var files: [FileKey: Tracked] = [:]
    private var checkpoints: [FileKey: Checkpoint]
    private var firstStart: Bool
    private var firstPoll = true
    private var intake: MessageIntake
    private let idleFlushMs: Int64
    private let maxReadPerPoll = 4 * 1024 * 1024

    public init(
        source: AgentConfig.TextSource, profiles: [SIPProfile], settings: CorrelationSettings = .init(),
        checkpoints: [Checkpoint], idleFlushMs: Int = 500
    ) {
        self.source = source
        self.intake = MessageIntake(settings: settings, profiles: profiles)
        self.checkpoints = Dictionary(
            checkpoints.map { (FileKey(device: $0.device, inode: $0.inode), $0) }, uniquingKeysWith: { a, _ in a })
        self.firstStart = checkpoints.isEmpty
        self.idleFlushMs = Int64(idleFlushMs)
    }

    /// One round: finds files, reads what was appended, and returns the
    /// records released and the checkpoints that go with them.
    public func takeEvents() -> [CallTracker.AnsweredCall] { intake.takeEvents() }

    public func poll(now: Timestamp) -> (records: [CallRecord], checkpoints: [Checkpoint]) {
        discover(now: now)
        moreWaiting = false
        var records: [CallRecord] = []
        // Older files first (rotated away, then by last write): they hold the
        // older messages. A file with more to read than one poll takes stops
        // the round, so a newer file is never read ahead of it.
        var arrived: [CapturedMessage] = []
        var arrivedFrom: [Tracked] = []
        let order = files.values.map { (file: $0, modified: modificationTime($0.fd)) }
            .sorted { ($0.file.gone ? 0 : 1, $0.modified, $0.file.path) < ($1.file.gone ? 0 : 1, $1.modified, $1.file.path) }
        var inOrder = true
        for (file, _) in order {
            if read(file, now: now), let reader = file.reader {
                while let captured = try? reader.next() {
                    if let last = arrived.last, captured.time < last.time { inOrder = false }
                    arrived.append(captured)
                    arrivedFrom.append(file)
                }
            }
            if moreWaiting { break }
        }
        // One order across the files: by time, else as read. Mostly the
        // messages arrive in that order already, and are not copied.
        let messages: [CapturedMessage]
        let from: [Tracked]
        if inOrder {
            messages = arrived
            from = arrivedFrom
        } else {
            let sorted = arrived.indices.sorted { (arrived[$0].time, $0) < (arrived[$1].time, $1) }
            messages = sorted.map { arrived[$0] }
            from = sorted.map { arrivedFrom[$0] }
        }
        arrived = []
        arrivedFrom = []
        var sawMessages = false
        var parsed = MessageIntake.parseAll(messages, needsHosts: intake.needsHosts)
        // Each message lent from the (immutable) array in place: one lent
        // through a buffer pointer was copied first, a dozen fields each.
        for k in messages.indices where intake.take(messages[k], observed: parsed[k].take(), now: now, into: &records) {
            from[k].samples.append((messages[k].time, messages[k].position))
            sawMessages = true
        }
        // A rotated-away file is let go once read to its end and none of its
        // messages still matter (its checkpoint would be needed after a crash).
        for (key, file) in files
        where file.gone && file.pending.isEmpty && file.readOffset >= fileSize(file.fd) && file.samples.isEmpty {
            files[key] = nil
        }
        if !sawMessages { intake.quiet(now: now, into: &records) }
        stats.messages = intake.messages
        stats.malformed = intake.malformed
        firstStart = false
        firstPoll = false
        return (records, currentCheckpoints())
    }

    // MARK: - Files

    private func discover(now: Timestamp) {
        var seen: Set<FileKey> = []
        for pattern in source.paths {
            for path in Glob.expand(pattern) {
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let key = FileKey(device: Int64(st.st_dev), inode: Int64(st.st_ino))
                seen.insert(key)
                if let file = files[key] {
                    if file.path != path {
                        file.path = path
                        stats.rotations += 1
                    }
                    if Int64(st.st_size) < file.readOffset {
                        // Copy-truncate: the file starts over.
                        stats.truncations += 1
                        file.readOffset = 0
                        file.fedOffset = 0
                        file.pending = []
                        file.samples = []
                        file.reader = nil
                    }
                    continue
                }
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                var start: Int64 = 0
                if let checkpoint = checkpoints[key], checkpoint.resumeOffset <= Int64(st.st_size) {
                    start = checkpoint.resumeOffset
                } else if firstStart, !source.fromStart {
                    start = Int64(st.st_size)
                }
                files[key] = Tracked(key: key, path: path, fd: fd, offset: start, format: source.format, now: now)
            }
        }
        if firstPoll { findRotatedWhileStopped(seen: &seen, now: now) }
        for (key, file) in files where !seen.contains(key) && !file.gone {
            // Renamed away or deleted: read it to its end, then let it go.
            file.gone = true
            stats.rotations += 1
        }
    }

    /// A checkpointed file that no glob matches any more was rotated while
    /// the agent was stopped (`app.log` → `app.log.1`): look for its inode in
    /// the globs' directories and read it to its end from the checkpoint.
    private func findRotatedWhileStopped(seen: inout Set<FileKey>, now: Timestamp) {
        let missing = checkpoints.filter { !seen.contains($0.key) }
        guard !missing.isEmpty else { return }
        let directories = Set(source.paths.map { ($0 as NSString).deletingLastPathComponent })
        for directory in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else {
                continue
            }
            for name in names {
                let path = directory.isEmpty ? name : directory + "/" + name
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let key = FileKey(device: Int64(st.st_dev), inode: Int64(st.st_ino))
                guard let checkpoint = missing[key], files[key] == nil, checkpoint.resumeOffset <= Int64(st.st_size) else {
                    continue
                }
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                let file = Tracked(key: key, path: path, fd: fd, offset: checkpoint.resumeOffset, format: source.format, now: now)
                file.gone = true
                files[key] = file
                seen.insert(key)
                stats.rotations += 1
            }
        }
    }

    private func modificationTime(_ fd: Int32) -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return 0 }
        return Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    private func fileSize(_ fd: Int32) -> Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Reads appended bytes and feeds whole records to the reader. True
    /// when something was fed.
    private func read(_ file: Tracked, now: Timestamp) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var total = 0
        while total < maxReadPerPoll {
            let n = chunk.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress, $0.count, off_t(file.readOffset)) }
            guard n > 0 else { break }
            file.pending.append(contentsOf: chunk[0..<n])
            file.readOffset += Int64(n)
            total += n
        }
        if total >= maxReadPerPoll { moreWaiting = true }
        if total > 0 {
            file.lastGrowth = now
            stats.bytes += Int64(total)
        }
        guard !file.pending.isEmpty else { return false }
        if file.format == nil {
            file.format = CaptureInput.detectText(file.pending)
            guard file.format != nil else {
                // Not enough to tell yet; give up on a file that never says.
                if file.pending.count > 64 * 1024 { file.pending = [] }
                return false
            }
        }
        guard let format = file.format else { return false }
        if file.reader == nil {
            file.reader = CaptureInput.following(path: file.path, format: format, offset: file.fedOffset)
            file.reader?.filter = .live
        }
        let quiet = now.microseconds - file.lastGrowth.microseconds >= idleFlushMs * 1000
        var boundary = Self.lastRecordStart(file.pending, format: format)
        if (quiet || file.gone) && file.pending.last == 0x0A { boundary = file.pending.count }
        guard boundary > 0 else { return false }
        file.reader?.feed(file.pending[0..<boundary])
        file.pending.removeFirst(boundary)
        file.fedOffset += Int64(boundary)
        return true
    }

    /// The offset of the last line (not the first) that opens a record: the
    /// bytes before it hold only whole records.
    static func lastRecordStart(_ bytes: [UInt8], format: InputFormat) -> Int {
        var lineEnd = bytes.count
        var i = bytes.count
        while i > 0 {
            i -= 1
            guard bytes[i] == 0x0A else { continue }
            let start = i + 1
            var end = lineEnd
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            if start < bytes.count, CaptureInput.isRecordStart(bytes[start..<max(start, end)], format: format) {
                return start
            }
            lineEnd = i
        }
        return 0
    }

    /// Per file: replay from the first message that still matters.
    private func currentCheckpoints() -> [Checkpoint] {
        let since = intake.resumeThreshold()
        var out: [Checkpoint] = []
        for file in files.values {
            if let threshold = since {
                let drop = file.samples.prefix(while: { $0.time < threshold }).count
                if drop > 0 { file.samples.removeFirst(drop) }
            } else {
                file.samples.removeAll()
            }
            let resume = file.samples.first?.offset ?? file.fedOffset
            out.append(
                Checkpoint(
                    device: file.key.device, inode: file.key.inode, path: file.path, readOffset: file.fedOffset,
                    resumeOffset: min(resume, file.fedOffset)))
        }
        return out.sorted { $0.path < $1.path }
    }
}
