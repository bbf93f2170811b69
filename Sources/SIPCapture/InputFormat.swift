import MeteringCore

/// Every input the agent reads.
public enum InputFormat: String, Sendable, CaseIterable {
    case pcap, sipp, sipdump, sngrep, freeswitch, asterisk
}

/// Context that some formats need to turn their times into UTC.
public struct ReaderOptions: Sendable {
    /// The local calendar date for formats that log only the time of day
    /// (FreeSWITCH) or no year (Asterisk's default prefix). Defaults to the
    /// file's modification date.
    public var date: (year: Int64, month: Int64, day: Int64)?

    public init(date: (year: Int64, month: Int64, day: Int64)? = nil) {
        self.date = date
    }
}

/// Opens inputs, detecting their format from content.
public enum CaptureInput {
    /// Opens `path` as `format`, or detects it from the first bytes.
    public static func open(path: String, format: InputFormat? = nil, options: ReaderOptions = .init()) throws(CaptureError)
        -> any MessageSource
    {
        let detected: InputFormat
        if let format {
            detected = format
        } else {
            guard let sniffed = try detect(path: path) else { throw .unknownFormat(path: path) }
            detected = sniffed
        }
        if detected == .pcap { return try PcapReader(path: path) }
        return TextLogReader(path: path, source: try ByteSource(path: path), dialect: dialect(detected, path, options))
    }

    /// The line classifier of a text format (pcap has none: it is not text).
    private static func dialect(_ format: InputFormat, _ path: String, _ options: ReaderOptions) -> any TextDialect {
        let clock = LocalTimeConverter()
        let date = options.date ?? fileDate(path)
        return switch format {
        case .sipp: SIPpDialect(clock: clock)
        case .sipdump, .pcap: SipdumpDialect()
        case .sngrep: SngrepDialect(clock: clock)
        case .freeswitch: FreeSWITCHDialect(clock: clock, date: (date.year, date.month, date.day))
        case .asterisk: AsteriskDialect(clock: clock, year: date.year)
        }
    }

    /// A reader for a followed text log: it starts empty at `offset` of
    /// `path` and reads what `TextLogReader.feed` hands it; positions are
    /// offsets in the file.
    public static func following(
        path: String, format: InputFormat, offset: Int64, options: ReaderOptions = .init()
    ) -> TextLogReader? {
        guard format != .pcap else { return nil }
        return TextLogReader(
            path: path, source: ByteSource(appendable: path), dialect: dialect(format, path, options), startOffset: offset)
    }

    /// True when `line` (without its line end) opens a record in `format`:
    /// a follower feeds the reader up to the last such line it has.
    public static func isRecordStart(_ line: ArraySlice<UInt8>, format: InputFormat) -> Bool {
        line.withUnsafeBytes { isRecordStart($0[...], format: format) }
    }

    static func isRecordStart(_ line: TextLine, format: InputFormat) -> Bool {
        switch format {
        case .sipp: SIPpDialect.isRecordStart(line)
        case .sipdump: SipdumpDialect.isRecordStart(line)
        case .sngrep: SngrepDialect.isRecordStart(line)
        case .freeswitch: FreeSWITCHDialect.isRecordStart(line)
        case .asterisk: AsteriskDialect.isRecordStart(line)
        case .pcap: false
        }
    }

    /// Sniffs the format from the first bytes of a text log (see `detect(path:)`).
    public static func detectText(_ head: [UInt8]) -> InputFormat? {
        var lineStart = 0
        for i in 0..<head.count where head[i] == 0x0A {
            var end = i
            if end > lineStart, head[end - 1] == 0x0D { end -= 1 }
            let line = head[lineStart..<end]
            for format in InputFormat.allCases where isRecordStart(line, format: format) { return format }
            lineStart = i + 1
        }
        return nil
    }

    /// Sniffs the format: pcap/pcapng magic numbers, else the first text
    /// line that opens a record of a known log format.
    public static func detect(path: String) throws(CaptureError) -> InputFormat? {
        let source = try ByteSource(path: path)
        let head = try source.read(max: 64 * 1024)
        guard head.count >= 4 else {
            if head.isEmpty { throw .unreadable(path: path, reason: "empty file") }
            return nil
        }
        let magic = UInt32(head[0]) << 24 | UInt32(head[1]) << 16 | UInt32(head[2]) << 8 | UInt32(head[3])
        switch magic {
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1, 0x0A0D_0D0A: return .pcap
        default: break
        }
        return detectText(head)
    }

    private static func fileDate(_ path: String) -> (year: Int64, month: Int64, day: Int64) {
        let seconds = FileManagerProbe.modificationTime(path) ?? 0
        let (y, m, d) = LocalTimeConverter.localDate(of: Timestamp(seconds: seconds))
        return (y, m, d)
    }
}
