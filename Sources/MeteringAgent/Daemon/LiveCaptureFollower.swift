public import CallCorrelation
public import MeteringCore
internal import SIPCapture

/// Live capture on an interface with a BPF filter (libpcap), polled without
/// blocking. Like HEP, a live source cannot be replayed: no checkpoints.
public final class LiveCaptureFollower: SourceFollower {
    public let source: AgentConfig.TextSource
    public var name: String { source.name }
    public var messages: Int { intake.messages }
    public var malformed: Int { intake.malformed }
    public var bytesRead: Int64 { 0 }
    public private(set) var moreWaiting = false
    private var intake: MessageIntake
    private let reader: PcapReader

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(source: AgentConfig.TextSource, profiles: [SIPProfile], settings: CorrelationSettings = .init()) throws {
        self.source = source
        self.intake = MessageIntake(settings: settings, profiles: profiles)
        do {
            reader = try PcapReader(interface: source.interface ?? "any", filter: source.filter ?? "")
        } catch {
            throw Failure(description: "source \(source.name): \(error)")
        }
        reader.filter = .live
    }

    public func takeEvents() -> [CallTracker.AnsweredCall] { intake.takeEvents() }

    public func poll(now: Timestamp) -> (records: [CallRecord], checkpoints: [Checkpoint]) {
        var records: [CallRecord] = []
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
