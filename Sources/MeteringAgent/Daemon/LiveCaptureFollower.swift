public import CallCorrelation
public import MeteringCore
public import SIPCapture

/// Live capture on an interface with a BPF filter (libpcap), polled without
/// blocking. Like HEP, a live source cannot be read again: the messages of
/// its open calls are kept in the spool's journal instead of checkpoints.
public final class LiveCaptureFollower: SourceFollower {
    public let source: AgentConfig.TextSource
    public var name: String { source.name }
    public var messages: Int { intake.messages }
    public var malformed: Int { intake.malformed }
    public var bytesRead: Int64 { 0 }
    public private(set) var moreWaiting = false
    private var intake: MessageIntake
    /// Records the journal's replay closed, handed on with the first poll.
    private var restored: [CallRecord] = []
    private let reader: PcapReader

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(source: AgentConfig.TextSource, profiles: [SIPProfile], settings: CorrelationSettings = .init()) throws {
        self.source = source
        self.intake = MessageIntake(settings: settings, profiles: profiles, journaling: true)
        do {
            reader = try PcapReader(interface: source.interface ?? "any", filter: source.filter ?? "")
        } catch {
            throw Failure(description: "source \(source.name): \(error)")
        }
        reader.filter = .live
    }

    public func takeEvents() -> [CallTracker.AnsweredCall] { intake.takeEvents() }
    public func takeJournal() -> JournalUpdate? { intake.takeJournal() }

    public func restore(journal: [(seq: Int64, message: CapturedMessage)]) {
        intake.replay(journal, now: .now(), into: &restored)
    }

    public func poll(now: Timestamp) -> (records: [CallRecord], checkpoints: [Checkpoint]) {
        var records = restored
        restored.removeAll()
        var count = 0
        while count < 50_000, let captured = try? reader.next() {
            _ = intake.take(captured, now: now, into: &records)
            count += 1
        }
        moreWaiting = count == 50_000
        if count == 0 { intake.quiet(now: now, into: &records) }
        return (records, [])
    }
}
