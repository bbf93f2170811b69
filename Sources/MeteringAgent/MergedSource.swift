import SIPCapture

/// Several inputs read as one stream in time order (a k-way merge of
/// sources that are each in time order), so logs from several hosts, or a
/// rotated series, correlate together. Ties keep the order of the inputs.
final class MergedSource {
    private let sources: [any MessageSource]
    private var heads: [CapturedMessage?]
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
        var best: Int?
        for i in heads.indices {
            guard let h = heads[i] else { continue }
            if let b = best, let hb = heads[b], hb.time <= h.time { continue }
            best = i
        }
        guard let i = best, let message = heads[i] else { return nil }
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
