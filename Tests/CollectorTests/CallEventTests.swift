import Foundation
import Hummingbird
import HummingbirdTesting
import MeteringCollector
import MeteringCore
import MeteringStore
import NIOCore
import Synchronization
import Testing

@Suite("Live call events")
struct CallEventTests {
    final class Clock: Sendable {
        let now = Mutex(Fixture.now)
        func read() -> Timestamp { now.withLock { $0 } }
        func set(_ t: Timestamp) { now.withLock { $0 = t } }
    }

    @Test("answered events make calls in progress; the final record supersedes; stale ones expire")
    func lifecycle() async throws {
        let f = try await Fixture.make()
        let clock = Clock()
        let app = Application(router: Collector(store: f.store, clock: { clock.read() }).router())
        let call = Fixture.call("live1")
        let answer = call.answerTime!.rfc3339
        clock.set(call.answerTime!.adding(seconds: 60))
        try await app.test(.live) { client in
            let agent = RouteTests.bearer(f.agentToken)
            let admin = RouteTests.bearer(f.adminToken)
            let body = """
                {"events":[
                 {"type":"answered","id":"live1","profile":"alice-trunk","call_id":"call-live1@test","callee":"442079460000","answer_time":"\(answer)"},
                 {"type":"answered","id":"live2","profile":"bob-trunk","call_id":"c2","callee":"33123","answer_time":"\(answer)"},
                 {"type":"answered","id":"x","profile":"carol-trunk","call_id":"c3","callee":"1","answer_time":"\(answer)"},
                 {"type":"ringing","id":"y","profile":"alice-trunk","call_id":"c4","callee":"1","answer_time":"\(answer)"}]}
                """
            let sent = try await client.executeRequest(
                uri: "/v1/call-events", method: .post, headers: agent, body: ByteBuffer(string: body))
            #expect(sent.status == .ok)
            let answerObject = RouteTests.object(sent.body)
            #expect(answerObject["accepted"] as? Int == 2)
            #expect(
                (answerObject["rejected"] as? [[String: Any]])?.compactMap { $0["error"] as? String } == [
                    "type ringing is not known (answered)", "this agent's token is not bound to SIP Profile carol-trunk",
                ])
            func active() async throws -> [String: Any] {
                RouteTests.object(
                    try await client.executeRequest(uri: "/v1/active-calls", method: .get, headers: admin, body: nil).body)
            }
            var now = try await active()
            #expect((now["calls"] as? [[String: Any]])?.count == 2)
            #expect(
                (now["profiles"] as? [[String: Any]])?.map { "\($0["name"]!)=\($0["channels_in_use"]!)" } == [
                    "alice-trunk=1", "bob-trunk=1",
                ])
            // The final record of live1 supersedes its event.
            let records = try await client.executeRequest(
                uri: "/v1/records", method: .post, headers: agent, body: ByteBuffer(bytes: Fixture.batchJSON([call])))
            #expect(RouteTests.object(records.body)["accepted"] as? Int == 1)
            now = try await active()
            #expect((now["calls"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["live2"])
            // An event for a call already rated changes nothing.
            _ = try await client.executeRequest(
                uri: "/v1/call-events", method: .post, headers: agent, body: ByteBuffer(string: body))
            #expect((try await active()["calls"] as? [[String: Any]])?.count == 1)
            // A call that never reports its end stops counting 4 h after it was heard of.
            clock.set(call.answerTime!.adding(seconds: 60 + 4 * 3600 + 1))
            #expect((try await active()["calls"] as? [[String: Any]])?.isEmpty == true)
        }
    }
}
