import Foundation
public import MeteringCore
import SIPParsing
public import SIPCapture
public import CallCorrelation

/// Settings of one `parse` run.
public struct ParseOptions: Sendable {
    public var profiles: [SIPProfile] = []
    public var settings = CorrelationSettings()
    public var inputFormat: InputFormat?
    public var reader = ReaderOptions()
    /// Threads running libosip2; the reader and the correlator run beside them.
    public var parserThreads = 2
    public var batchSize = 512
    /// Parse every message with libosip2, also those correlation never
    /// reads (ACKs, responses to BYE…), and each one whole (every header
    /// and the body, not only the headers metering reads), so that
    /// malformed ones are counted.
    public var parseAll = false

    public init() {}
}

/// What a run read and produced, for the stderr summary.
public struct ParseSummary: Sendable {
    public var inputs = 0
    public var messagesRead = 0
    public var parsed = 0
    /// Framed but not parsed: messages call correlation never reads.
    public var skipped = 0
    public var malformed = 0
    public var nonSIP = 0
    public var truncated = 0
    public var retransmissions = 0
    public var unrelated = 0
    public var reordered = 0
    public var fragmentsReassembled = 0
    public var fragmentsDropped = 0
    public var tcpGaps = 0
    public var calls = 0
    public var dispositions: [Disposition: Int] = [:]
    /// One line per problem worth showing (bounded).
    public var warnings: [String] = []
    public var suppressedWarnings = 0
    /// Inputs that could not be used at all (exit status 2).
    public var unusable: [String] = []

    mutating func warn(_ line: String) {
        if warnings.count < 20 { warnings.append(line) } else { suppressedWarnings += 1 }
    }
}

/// Reader thread → parser threads (libosip2) → correlator on the calling
/// thread. Queues are bounded, so memory stays flat however large the
/// input; batches are re-sequenced, so output never depends on timing.
public enum ParsePipeline {
    /// Messages as the reader hands them to a parser thread. Their bytes
    /// are packed into one buffer: each message's own array is freed on
    /// the reader thread that made it (where the allocator reuses it at
    /// once) instead of on a parser thread, and a batch is one allocation.
    private struct RawBatch: @unchecked Sendable {
        var index: Int
        /// Each message without its bytes (they are in `bytes`).
        var messages: [CapturedMessage]
        var bytes: [UInt8]
        /// Where each message's bytes end in `bytes` (each starts where the
        /// one before it ends).
        var ends: [Int]
        var inputs: [Int]
        var firstSequence: Int
    }

    /// A class: the correlator moves each message out of `observed` in
    /// place, which needs the array uniquely referenced (a struct passed
    /// through the slots arrived with its array shared, and was copied).
    private final class ParsedBatch: @unchecked Sendable {
        /// Optional so that the correlator can move each message out.
        var observed: [ObservedMessage?] = []
        var failures: [String] = []
        var failureCount = 0
    }

    public static func run(paths: [String], options: ParseOptions, emit: (CallRecord) -> Void) -> ParseSummary {
        SIPParser.initialize()
        var summary = ParseSummary()
        summary.inputs = paths.count
        var sources: [any MessageSource] = []
        for path in paths {
            do {
                let source = try CaptureInput.open(path: path, format: options.inputFormat, options: options.reader)
                source.filter = options.parseAll ? .all : .metering
                sources.append(source)
            } catch {
                summary.unusable.append(error.description)
            }
        }
        var settings = options.settings
        if sources.contains(where: { $0.groupedByCall }) {
            // sngrep exports group messages by call, not by time: the whole
            // file must be put back in order.
            settings.reorderWindowMs = max(settings.reorderWindowMs, settings.maxDuration * 1000)
        }
        let merged = MergedSource(sources)
        let inputs = sources.map { (path: $0.path, unit: $0.positionUnit) }
        let needsHosts = options.profiles.contains { !$0.hosts.isEmpty }
        let scope: SIPParser.Scope = options.parseAll ? .complete : .metering
        let rawQueue = BlockingQueue<RawBatch>(capacity: 8)
        let results = OrderedSlots<ParsedBatch>(window: 16)
        let batchSize = options.batchSize
        let readerDone = DispatchSemaphore(value: 0)
        let readerBox = ReaderBox(merged: merged)

        Thread.detachNewThread {
            yieldToCorrelator()
            var index = 0
            var sequence = 0
            var lastBytes = 0
            while true {
                var batch = RawBatch(index: index, messages: [], bytes: [], ends: [], inputs: [], firstSequence: sequence)
                batch.messages.reserveCapacity(batchSize)
                batch.ends.reserveCapacity(batchSize)
                batch.bytes.reserveCapacity(lastBytes + lastBytes / 8)
                while batch.messages.count < batchSize, var (m, input) = readerBox.merged.next() {
                    batch.bytes.append(contentsOf: m.bytes)
                    batch.ends.append(batch.bytes.count)
                    m.bytes = []
                    batch.messages.append(m)
                    batch.inputs.append(input)
                }
                if batch.messages.isEmpty { break }
                lastBytes = batch.bytes.count
                sequence += batch.messages.count
                rawQueue.put(batch)
                index += 1
            }
            results.finish(total: index)
            rawQueue.close()
            readerDone.signal()
        }
        for _ in 0..<max(1, options.parserThreads) {
            Thread.detachNewThread {
                yieldToCorrelator()
                while let batch = rawQueue.take() {
                    results.put(batch.index, parse(batch, inputs: inputs, needsHosts: needsHosts, scope: scope))
                }
            }
        }

        var correlator = Correlator(settings: settings, profiles: options.profiles)
        var records: [CallRecord] = []
        func record(_ r: CallRecord) {
            summary.calls += 1
            summary.dispositions[r.disposition, default: 0] += 1
            emit(r)
        }
        /// Hands over `records` in order, each moved out (reversed by
        /// moves, then popped): one lent from the array was copied first.
        func emitAll() {
            records.withUnsafeMutableBufferPointer { $0.reverse() }
            while let r = records.popLast() { record(r) }
        }
        while let batch = results.take() {
            summary.parsed += batch.observed.count
            summary.malformed += batch.failureCount
            for line in batch.failures { summary.warn(line) }
            for i in batch.observed.indices {
                correlator.add(batch.observed[i].take()!, into: &records)
            }
            emitAll()
        }
        readerDone.wait()
        correlator.finish(into: &records)
        emitAll()

        for failure in merged.failures { summary.unusable.append(failure.description) }
        for stats in merged.stats {
            summary.messagesRead += stats.messages
            summary.malformed += stats.malformed
            summary.nonSIP += stats.nonSIP
            summary.fragmentsReassembled += stats.fragmentsReassembled
            summary.fragmentsDropped += stats.fragmentsDropped
            summary.tcpGaps += stats.tcpGaps
            summary.truncated += stats.truncatedMessages
            summary.skipped += stats.filtered
            for w in stats.warnings { summary.warn(w) }
        }
        summary.retransmissions = correlator.tracker.counters.retransmissions
        summary.unrelated = correlator.tracker.counters.unrelated
        summary.reordered = correlator.reorderedMessages
        return summary
    }

    /// A captured message parsed and made ready for the correlator (Call-ID
    /// and tags hashed) on whatever thread calls it; nil, with `error` set,
    /// when it is malformed. `bytes` are the message's: its own, or its copy
    /// in a batch. Its addresses become text only when `needsHosts` (a
    /// profile names hosts).
    static func observe(
        _ bytes: UnsafeRawBufferPointer, of captured: CapturedMessage, scope: SIPParser.Scope = .metering,
        needsHosts: Bool, sequence: Int = 0, error: inout SIPParseError
    ) -> ObservedMessage? {
        guard let message = SIPParser.parse(bytes, scope: scope, error: &error) else { return nil }
        return ObservedMessage(
            message: message, time: captured.time, sourceHost: needsHosts ? captured.source?.address : nil,
            destinationHost: needsHosts ? captured.destination?.address : nil, truncated: captured.truncated,
            timeMissing: captured.timeMissing, sequence: sequence, leg: legKey(captured.source, captured.destination))
    }

    /// The same number for both directions of one hop.
    static func legKey(_ a: Endpoint?, _ b: Endpoint?) -> Int? {
        guard let a, let b else { return nil }
        return Int(truncatingIfNeeded: mix(a) ^ mix(b))
    }

    /// An endpoint's 64 bits for `legKey`: SplitMix64's finaliser over its
    /// fields (SipHash, through `hashValue`, cost two hashes a message).
    private static func mix(_ e: Endpoint) -> UInt64 {
        func round(_ v: UInt64) -> UInt64 {
            var x = v
            x ^= x >> 30
            x &*= 0xbf58_476d_1ce4_e5b9
            x ^= x >> 27
            x &*= 0x94d0_49bb_1331_11eb
            return x ^ (x >> 31)
        }
        let tail = UInt64(e.port) << 1 | (e.isIPv6 ? 1 : 0)
        return round(round(round(e.high) ^ e.low) ^ tail)
    }

    private final class ReaderBox: @unchecked Sendable {
        let merged: MergedSource
        init(merged: MergedSource) { self.merged = merged }
    }

    private static func parse(
        _ batch: RawBatch, inputs: [(path: String, unit: String)], needsHosts: Bool, scope: SIPParser.Scope
    ) -> ParsedBatch {
        let out = ParsedBatch()
        // Each captured message is read in place (an element of the batch),
        // never copied: nothing of it is retained and released again here.
        // Each parsed one is made in its slot of the array (appending made
        // it in a local, copied it in, then destroyed the local).
        let bytes = batch.bytes
        out.observed = [ObservedMessage?](unsafeUninitializedCapacity: batch.messages.count) { slots, made in
            batch.messages.withUnsafeBufferPointer { captured in
                bytes.withUnsafeBytes { all in
                    for k in captured.indices {
                        let start = k == 0 ? 0 : batch.ends[k - 1]
                        var error = SIPParseError.malformed(code: -2)
                        let raw = UnsafeRawBufferPointer(rebasing: all[start..<batch.ends[k]])
                        if let observed = observe(
                            raw, of: captured[k], scope: scope, needsHosts: needsHosts,
                            sequence: batch.firstSequence + k, error: &error)
                        {
                            (slots.baseAddress! + made).initialize(to: observed)
                            made += 1
                        } else {
                            out.failureCount += 1
                            if out.failures.count < 5 {
                                let input = inputs[batch.inputs[k]]
                                out.failures.append(
                                    "\(input.path): \(input.unit) \(captured[k].position): malformed SIP skipped: \(error)")
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// The correlator (the calling thread) is the pipeline's one serial stage:
/// the reader and parser threads run at a lower priority (Linux nice +10,
/// this thread only), so that on a busy machine it never waits behind
/// them and the pipeline ends when its last batch is parsed.
private func yieldToCorrelator() {
    #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    #endif
}
