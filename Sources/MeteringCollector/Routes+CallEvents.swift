internal import Foundation
internal import Hummingbird
internal import MeteringCore
internal import MeteringStore

/// `{"events":[{"type":"answered","id","profile","call_id","callee","answer_time"}]}`.
private struct CallEventBatch: Decodable {
    struct Event: Decodable {
        var type: String
        var id: String
        var profile: String
        var call_id: String
        var callee: String
        var answer_time: String
    }

    var events: [Event]
}

private struct ActiveCallsJSON: Encodable {
    struct Call: Encodable {
        var id: String
        var profile: String
        var callee: String
        var answer_time: String
        var expires_at: String
    }

    struct Profile: Encodable {
        var name: String
        var channels_in_use: Int
    }

    var calls: [Call]
    var profiles: [Profile]
}

extension Collector {
    /// How long a call with no final record counts as in progress (the
    /// agent's longest call, 4 h by default).
    static let activeCallLifetime: Int64 = 4 * 3600

    /// Live call events from agents, and the calls in progress they make.
    func addCallEventRoutes(to v1: RouterGroup<CollectorContext>) {
        v1.post("call-events") { request, context in
            let agent = try context.requirePrincipal()
            guard agent.role == .agent else { throw APIError.forbidden("this needs an agent token") }
            let batch = try await decodeBody(CallEventBatch.self, request, context)
            guard batch.events.count <= Self.maxRecordsPerRequest else {
                throw APIError(.contentTooLarge, "at most \(Self.maxRecordsPerRequest) events per request")
            }
            var events: [CallEvent] = []
            var rejected: [IngestJSON.Rejected] = []
            for e in batch.events {
                guard e.type == "answered" else {
                    rejected.append(.init(id: e.id, error: "type \(e.type) is not known (answered)"))
                    continue
                }
                guard let (time, zoned) = Timestamp.parseRFC3339(Substring(e.answer_time)), zoned else {
                    rejected.append(.init(id: e.id, error: "answer_time is not an RFC 3339 time with a zone"))
                    continue
                }
                events.append(CallEvent(id: e.id, profile: e.profile, callID: e.call_id, callee: e.callee, answerTime: time))
            }
            let result = try await store.recordCallEvents(
                events, agent: agent, expiresAfter: Self.activeCallLifetime, now: clock())
            rejected += result.rejected.map { .init(id: $0.id, error: $0.error) }
            metrics.callEvents.increment(by: Int64(result.accepted))
            return try json(IngestJSON(accepted: result.accepted, duplicates: 0, unrated: 0, rejected: rejected))
        }
        v1.get("active-calls") { _, context in
            let admin = try context.requireAdmin()
            let calls = try await store.activeCalls(group: admin.groupID, now: clock())
            var perProfile: [String: Int] = [:]
            for c in calls { perProfile[c.profile, default: 0] += 1 }
            return try json(
                ActiveCallsJSON(
                    calls: calls.map {
                        .init(
                            id: $0.id, profile: $0.profile, callee: $0.callee, answer_time: $0.answerTime.rfc3339,
                            expires_at: $0.expiresAt.rfc3339)
                    },
                    profiles: perProfile.sorted { $0.key < $1.key }.map { .init(name: $0.key, channels_in_use: $0.value) }))
        }
    }
}
