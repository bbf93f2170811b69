internal import MeteringCore
internal import Synchronization

/// Group commit for ingest: requests queue their batches; one of them (the
/// leader) commits every queued batch in one transaction, answers each, and
/// hands the lead to the next waiting request if more arrived meanwhile.
/// Every request runs at most one round, so nobody waits on an endless
/// stream of others, and no task outlives the requests.
final class IngestQueue: Sendable {
    struct Job: Sendable {
        var records: [CallRecord]
        var agent: Principal
        var now: Timestamp
    }

    /// What a waiting request is told: its answer, or that it leads the next round.
    private enum Signal: Sendable {
        case done(Result<IngestResult, any Error>)
        case lead
    }

    private struct Waiting: Sendable {
        var job: Job
        var signal: Mailbox
    }

    /// A one-reader mailbox that ignores task cancellation: a request that
    /// was handed the lead must take it, or the queue would stall.
    private final class Mailbox: Sendable {
        private let state = Mutex<(buffer: [Signal], reader: CheckedContinuation<Signal, Never>?)>(([], nil))

        func send(_ signal: Signal) {
            let reader = state.withLock { s -> CheckedContinuation<Signal, Never>? in
                guard let reader = s.reader else {
                    s.buffer.append(signal)
                    return nil
                }
                s.reader = nil
                return reader
            }
            reader?.resume(returning: signal)
        }

        func next() async -> Signal {
            await withCheckedContinuation { c in
                let ready = state.withLock { s -> Signal? in
                    if !s.buffer.isEmpty { return s.buffer.removeFirst() }
                    s.reader = c
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
        }
    }

    private struct State {
        var queue: [Waiting] = []
        var leading = false
    }

    private let state = Mutex(State())

    /// Queues `job` and returns its result once committed. `commit` writes a
    /// round of jobs in one transaction and returns one result per job.
    func submit(
        _ job: Job, commit: @Sendable ([Job]) async throws -> [Result<IngestResult, any Error>]
    ) async throws -> IngestResult {
        let mailbox = Mailbox()
        let leads = state.withLock { s in
            s.queue.append(Waiting(job: job, signal: mailbox))
            if s.leading { return false }
            s.leading = true
            return true
        }
        if leads { await round(commit) }
        while true {
            switch await mailbox.next() {
            case .done(let result): return try result.get()
            case .lead: await round(commit)
            }
        }
    }

    private func round(_ commit: @Sendable ([Job]) async throws -> [Result<IngestResult, any Error>]) async {
        let batch = state.withLock { s in
            defer { s.queue.removeAll() }
            return s.queue
        }
        var results: [Result<IngestResult, any Error>]
        do {
            results = try await commit(batch.map(\.job))
        } catch {
            results = Array(repeating: .failure(error), count: batch.count)
        }
        for (waiting, result) in zip(batch, results) {
            waiting.signal.send(.done(result))
        }
        // Hand the lead on, or stop leading, atomically with the queue check.
        let next = state.withLock { s -> Waiting? in
            guard let first = s.queue.first else {
                s.leading = false
                return nil
            }
            return first
        }
        next?.signal.send(.lead)
    }
}
