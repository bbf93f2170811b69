internal import Hummingbird
internal import MeteringCore
internal import MeteringStore

extension Collector {
    /// Most records one request may carry.
    static let maxRecordsPerRequest = 10_000
    /// Largest body on the wire, and once inflated (10,000 records of ~1 KiB
    /// fit with room to spare).
    static let maxRecordsBody = 32 * 1024 * 1024
    static let maxInflatedRecordsBody = 64 * 1024 * 1024

    /// `POST /v1/records` (agent token): idempotent by record id; a bad
    /// record is rejected on its own, the rest are accepted.
    func addRecordRoutes(to v1: RouterGroup<CollectorContext>) {
        v1.post("records") { request, context in
            let agent = try context.requirePrincipal()
            guard agent.role == .agent else { throw APIError.forbidden("this needs an agent token") }
            let started = ContinuousClock.now
            let body = try await readRecordsBody(request)
            let incoming: [IncomingRecord]
            do {
                incoming = try CallRecordBatch.parse(body)
            } catch let error as CallRecordBatch.Malformed {
                throw APIError.badRequest("the body must be {\"records\": [...]} of call records: \(error.description)")
            }
            guard incoming.count <= Self.maxRecordsPerRequest else {
                throw APIError(
                    .contentTooLarge, "at most \(Self.maxRecordsPerRequest) records per request, got \(incoming.count)")
            }
            var records: [CallRecord] = []
            records.reserveCapacity(incoming.count)
            var undecodable: [IngestResult.Rejection] = []
            for item in incoming {
                switch item.result {
                case .success(let record): records.append(record)
                case .failure(let error): undecodable.append(.init(id: item.id, error: error.message))
                }
            }
            var result = try await store.ingest(records: records, agent: agent, decks: decks, now: clock())
            // Final records end the authorizations of their calls.
            authorizer.release(group: agent.groupID, callIDs: records.map(\.callID))
            dirty.insert(agent.groupID)
            result.rejected = undecodable + result.rejected
            metrics.recordsAccepted.increment(by: Int64(result.accepted))
            metrics.recordsDuplicate.increment(by: Int64(result.duplicates))
            metrics.recordsRejected.increment(by: Int64(result.rejected.count))
            metrics.callsUnrated.increment(by: Int64(result.unrated))
            metrics.ingestBatches.increment()
            metrics.ingestDuration.record(ContinuousClock.now - started)
            if !result.rejected.isEmpty {
                context.logger.info(
                    "records rejected",
                    metadata: ["count": "\(result.rejected.count)", "first_error": "\(result.rejected[0].error)"])
            }
            return try json(
                IngestJSON(
                    accepted: result.accepted, duplicates: result.duplicates, unrated: result.unrated,
                    rejected: result.rejected.map { .init(id: $0.id, error: $0.error) }))
        }
    }

    /// The body, inflated when sent with `Content-Encoding: gzip` (or when
    /// it starts with the gzip magic), within the size limits.
    private func readRecordsBody(_ request: Request) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: Self.maxRecordsBody)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("the body is empty; send {\"records\": [...]}") }
        let bytes = Array(buffer.readableBytesView)
        let encoding = request.headers[.contentEncoding]?.lowercased()
        guard encoding == "gzip" || Gzip.isGzip(bytes) else {
            if let encoding, encoding != "identity" {
                throw APIError(.unsupportedMediaType, "Content-Encoding \(encoding) is not supported; use gzip or none")
            }
            return bytes
        }
        do {
            return try Gzip.decompress(bytes, limit: Self.maxInflatedRecordsBody)
        } catch .tooLarge {
            throw APIError(.contentTooLarge, "the body inflates beyond \(Self.maxInflatedRecordsBody / 1024 / 1024) MiB")
        } catch {
            throw APIError.badRequest("the body says gzip but is not valid gzip data")
        }
    }
}
