import MeteringCore

/// Reads any of the text log formats line by line through its dialect and
/// rebuilds each SIP message. Memory is bounded by one record (`maxRecord`).
public final class TextLogReader: MessageSource {
    public let path: String
    // Hot per-line/per-packet state of a reader owned by one thread: no
    // dynamic exclusivity checks on it (they were a measurable share of
    // the reader thread, which bounds the pipeline).
    @exclusivity(unchecked) public private(set) var stats = CaptureStats()
    public let positionUnit = "offset"
    public var filter = MessageFilter.all
    public let groupedByCall: Bool
    private let lines: LineReader
    private let dialect: any TextDialect
    private let maxRecord: Int

    @exclusivity(unchecked) private var meta: TextRecordMeta?
    @exclusivity(unchecked) private var record = TextMessageBuilder()
    @exclusivity(unchecked) private var recordBytes = 0
    @exclusivity(unchecked) private var recordOffset: Int64 = 0
    @exclusivity(unchecked) private var poisoned = false
    @exclusivity(unchecked) private var lastTime = Timestamp(microseconds: 0)
    @exclusivity(unchecked) private var pending: CapturedMessage?

    private let feedSource: ByteSource?
    /// SIPp's message runs unbroken to the next record's first line.
    private let messageRunsToNextRecord: Bool

    init(path: String, source: ByteSource, dialect: any TextDialect, maxRecord: Int = 256 * 1024, startOffset: Int64 = 0) {
        self.path = path
        self.feedSource = source
        self.lines = LineReader(source: source, startOffset: startOffset)
        self.dialect = dialect
        self.maxRecord = maxRecord
        self.groupedByCall = dialect is SngrepDialect
        self.messageRunsToNextRecord = dialect is SIPpDialect
    }

    /// Hands a followed log's next bytes to the reader. Feed whole records
    /// (up to, not including, a line that opens the next one): at the end of
    /// what was fed the current record is taken as complete.
    public func feed(_ bytes: ArraySlice<UInt8>) {
        feedSource?.append(bytes)
        lines.resume()
    }

    public func next() throws(CaptureError) -> CapturedMessage? {
        // A line read ahead by the message loop below, for the switch.
        var carried: LineReader.Line?
        while true {
            if let message = pending {
                pending = nil
                return message
            }
            let line: LineReader.Line
            if let ahead = carried.take() {
                line = ahead
            } else if let read = try lines.next() {
                line = read
            } else {
                pending = finishRecord()
                meta = nil
                return pending.take()
            }
            if line.overlong {
                stats.malformed += 1
                stats.warn("\(path): offset \(line.offset): line longer than 256 KiB skipped")
                poisoned = meta != nil
                continue
            }
            let indent = dialect.messageIndent
            switch dialect.classify(line.bytes) {
            case .begin(let newMeta):
                pending = finishRecord()
                stats.units += 1
                meta = newMeta
                recordOffset = line.offset
            case .meta(let newMeta):
                meta = newMeta
            case .message:
                guard meta != nil, !poisoned else { continue }
                var bytes = line.bytes
                if indent > 0 {
                    let spaces = bytes.prefix(indent).prefix(while: { $0 == 0x20 }).count
                    bytes = bytes.dropFirst(spaces)
                }
                guard addMessageLine(bytes) else { continue }
                guard messageRunsToNextRecord else { continue }
                // The rest of the message: every line up to the next record's
                // first, without asking the dialect line by line.
                while let ahead = try lines.next() {
                    if ahead.overlong || SIPpDialect.isRecordStart(ahead.bytes) {
                        carried = ahead
                        break
                    }
                    guard addMessageLine(ahead.bytes) else { break }
                }
            case .skip:
                continue
            case .end:
                pending = finishRecord()
                meta = nil
            }
        }
    }

    /// Adds one line to the message; false (and the record is dropped)
    /// when the record grows past `maxRecord`.
    private func addMessageLine(_ bytes: TextLine) -> Bool {
        recordBytes += bytes.count + 2
        if recordBytes > maxRecord {
            poisoned = true
            stats.malformed += 1
            stats.warn("\(path): offset \(recordOffset): record larger than \(maxRecord / 1024) KiB skipped")
            record.reset()
            return false
        }
        record.add(bytes)
        return true
    }

    private func finishRecord() -> CapturedMessage? {
        defer {
            record.reset()
            recordBytes = 0
            poisoned = false
        }
        guard let meta, !poisoned, !record.isEmpty else { return nil }
        guard let (bytes, truncated) = record.finish() else {
            stats.malformed += 1
            return nil
        }
        guard SIPBytes.looksLikeStartLine(bytes) else {
            stats.malformed += 1
            return nil
        }
        let time = meta.time ?? lastTime
        lastTime = max(lastTime, time)
        stats.messages += 1
        if !bytes.withUnsafeBytes({ filter.keeps($0) }) {
            stats.filtered += 1
            return nil
        }
        if truncated { stats.truncatedMessages += 1 }
        return CapturedMessage(
            time: time, bytes: bytes, source: meta.source, destination: meta.destination, transport: meta.transport,
            truncated: truncated, timeMissing: meta.timeMissing, position: recordOffset
        )
    }
}
