import MeteringCore
import SIPCapture

/// Several inputs read as one stream in time order (a k-way merge of
/// sources that are each in time order), so logs from several hosts, or a
/// rotated series, correlate together. Ties keep the order of the inputs.
final class MergedSource {
    private let sources: [any MessageSource]
    // Hot per-line/per-packet state of a reader owned by one thread: no
    // dynamic exclusivity checks on it (they were a measurable share of
    // the reader thread, which bounds the pipeline).
    @exclusivity(unchecked) private var heads: [CapturedMessage?]
    private var primed = false
    private(set) var failures: [CaptureError] = []
    private var failed: Set<Int> = []

    init(_ sources: [any MessageSource]) {
        self.sources = sources
        heads = Array(repeating: nil, count: sources.count)
    }

    func next() -> (message: CapturedMessage, input: Int)? {
        if !primed {
            primed = true
            for i in sources.indices { heads[i] = pull(i) }
        }
        // Heads are compared by time in place and the winner moved out:
        // no message is copied on the way.
        var best: Int?
        var bestTime = Timestamp(microseconds: 0)
        for i in heads.indices {
            guard let t = heads[i]?.time else { continue }
            if best != nil, bestTime <= t { continue }
            best = i
            bestTime = t
        }
        guard let i = best, let message = heads[i].take() else { return nil }
        heads[i] = pull(i)
        return (message, i)
    }

    private func pull(_ i: Int) -> CapturedMessage? {
        guard !failed.contains(i) else { return nil }
        do {
            return try sources[i].next()
        } catch {
            failed.insert(i)
            failures.append(error)
            return nil
        }
    }

    var stats: [CaptureStats] { sources.map(\.stats) }
}
