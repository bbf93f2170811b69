public import CallCorrelation
internal import Foundation
public import MeteringCore
internal import SIPCapture

/// Reads the closed files of a capture ring buffer (`tcpdump -G -w
/// 'sip-%s.pcap'`, dumpcap `-b duration:60`): each file once, oldest first,
/// when it has not changed for `closedAfterMs`. One correlator spans the
/// files, so a call across a file boundary is one call. The checkpoint of a
/// file counts packets: `readOffset` packets were read; a restart re-reads
/// it from packet `resumeOffset` when calls in it were still open.
public final class PcapDirectoryFollower: SourceFollower {
    public let source: AgentConfig.TextSource
    public var name: String { source.name }
    public var messages: Int { intake.messages }
    public var malformed: Int { intake.malformed }
    public private(set) var bytesRead: Int64 = 0
    public private(set) var moreWaiting = false
    private var intake: MessageIntake
    private let closedAfterMs: Int64

    private struct FileState {
        var checkpoint: Checkpoint
        /// (time, packet) of messages read that may still matter.
        var samples: [(time: Timestamp, packet: Int64)]
    }

    /// Files read (or being kept for a replay), by device and inode.
    private var states: [TextFollower.FileKey: FileState]

    public init(
        source: AgentConfig.TextSource, profiles: [SIPProfile], settings: CorrelationSettings = .init(),
        checkpoints: [Checkpoint], closedAfterMs: Int = 2000
    ) {
        self.source = source
        self.intake = MessageIntake(settings: settings, profiles: profiles)
        self.closedAfterMs = Int64(closedAfterMs)
        var states: [TextFollower.FileKey: FileState] = [:]
        for c in checkpoints {
            // A file with nothing pending is done; one with open calls is read again from there.
            let pending = c.resumeOffset <= c.readOffset
            states[TextFollower.FileKey(device: c.device, inode: c.inode)] = FileState(
                checkpoint: pending
                    ? Checkpoint(device: c.device, inode: c.inode, path: c.path, readOffset: 0, resumeOffset: c.resumeOffset) : c,
                samples: [])
        }
        self.states = states
    }

    public func takeEvents() -> [CallTracker.AnsweredCall] { intake.takeEvents() }

    public func poll(now: Timestamp) -> (records: [CallRecord], checkpoints: [Checkpoint]) {
        var records: [CallRecord] = []
        var present: Set<TextFollower.FileKey> = []
        var ready: [(path: String, key: TextFollower.FileKey, mtime: Int64, size: Int64)] = []
        for pattern in source.paths {
            for path in Glob.expand(pattern) {
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let key = TextFollower.FileKey(device: Int64(st.st_dev), inode: Int64(st.st_ino))
                present.insert(key)
                let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000 + Int64(st.st_mtim.tv_nsec) / 1000
                if let state = states[key], state.checkpoint.readOffset > 0 { continue }  // read already
                guard now.microseconds - mtime >= closedAfterMs * 1000 else { continue }  // still being written
                ready.append((path, key, mtime, Int64(st.st_size)))
            }
        }
        var sawMessages = false
        for file in ready.sorted(by: { ($0.mtime, $0.path) < ($1.mtime, $1.path) }) {
            let skipBefore = states[file.key]?.checkpoint.resumeOffset ?? 0
            var samples: [(time: Timestamp, packet: Int64)] = []
            var lastPacket: Int64 = 0
            if let reader = try? CaptureInput.open(path: file.path, format: nil) {
                reader.filter = .live
                while let captured = try? reader.next() {
                    lastPacket = captured.position
                    guard captured.position >= skipBefore else { continue }
                    if intake.take(captured, now: now, into: &records) {
                        samples.append((captured.time, captured.position))
                        sawMessages = true
                    }
                }
            }
            bytesRead += file.size
            states[file.key] = FileState(
                checkpoint: Checkpoint(
                    device: file.key.device, inode: file.key.inode, path: file.path, readOffset: max(lastPacket, 1),
                    resumeOffset: max(lastPacket, 1) + 1),
                samples: samples)
        }
        if !sawMessages { intake.quiet(now: now, into: &records) }
        // Files gone from the directory are forgotten.
        for key in states.keys where !present.contains(key) { states[key] = nil }
        return (records, checkpoints())
    }

    private func checkpoints() -> [Checkpoint] {
        let threshold = intake.resumeThreshold()
        var out: [Checkpoint] = []
        for (key, var state) in states {
            if let threshold {
                state.samples.removeAll { $0.time < threshold }
            } else {
                state.samples.removeAll()
            }
            var c = state.checkpoint
            if let first = state.samples.first { c.resumeOffset = first.packet }
            states[key] = state
            out.append(c)
        }
        return out.sorted { $0.path < $1.path }
    }
}
