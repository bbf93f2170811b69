import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import MeteringCollector
import MeteringCore
import MeteringStore
import NIOCore
import Testing

/// Routes through the real server on loopback (HummingbirdTesting `.live`).
@Suite("Collector routes")
struct RouteTests {
    static func app(_ f: Fixture) -> some ApplicationProtocol {
        Application(router: Collector(store: f.store, clock: { Fixture.now }).router())
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    static func object(_ body: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    @Test("admin set-up through the API, then records are rated and listed")
    func endToEnd() async throws {
        let f = try await Fixture.make()
        try await Self.app(f).test(.live) { client in
            let admin = Self.bearer(f.adminToken)
            func post(_ uri: String, _ json: String) async throws -> TestResponse {
                try await client.executeRequest(uri: uri, method: .post, headers: admin, body: ByteBuffer(string: json))
            }
            #expect(try await post("/v1/purchases", #"{"amount":"100.00","reference":"PO-7"}"#).status == .created)
            #expect(try await post("/v1/allocations", #"{"member":"alice","amount":"25"}"#).status == .created)
            let bundle = try await post("/v1/profiles/alice-trunk/bundles", #"{"name":"uk","minutes":1,"prefixes":["+44"]}"#)
            #expect(bundle.status == .created)
            #expect(Self.object(bundle.body)["prefixes"] as? [String] == ["44"])
            // Names in paths are percent-decoded.
            #expect(try await post("/v1/members", #"{"name":"Alice Smith","kind":"personal"}"#).status == .created)
            let token = try await post("/v1/members/Alice%20Smith/tokens", "{}")
            #expect(token.status == .created)
            let agent = try await post("/v1/agents", #"{"name":"edge2","profiles":["alice-trunk","alice-trunk"]}"#)
            #expect(Self.object(agent.body)["profiles"] as? [String] == ["alice-trunk"])
            let agentToken = try #require(Self.object(agent.body)["token"] as? String)

            let sent = try await client.executeRequest(
                uri: "/v1/records", method: .post, headers: Self.bearer(agentToken),
                body: ByteBuffer(
                    bytes: Fixture.batchJSON([
                        Fixture.call("c1", ms: 90_000), Fixture.call("c2", callee: "+33 1 23 45 67 89", ms: 61_500),
                    ])))
            #expect(sent.status == .ok)
            #expect(String(buffer: sent.body) == #"{"accepted":2,"duplicates":0,"rejected":[],"unrated":0}"#)

            let balances = try await client.executeRequest(uri: "/v1/balances", method: .get, headers: admin, body: nil)
            let b = Self.object(balances.body)
            #expect((b["group"] as? [String: Any])?["balance"] as? String == "75.0000")
            // c1: 90 s, 60 from the bundle, 30 s at 0.021 = 0.0105; c2: 62 s at 0.018 = 0.0186.
            let alice = (b["members"] as? [[String: Any]])?.first { $0["name"] as? String == "alice" }
            #expect(alice?["balance"] as? String == "24.9709")

            let calls = try await client.executeRequest(
                uri: "/v1/calls?month=2026-11&profile=alice-trunk&limit=1", method: .get, headers: admin, body: nil)
            let page = Self.object(calls.body)
            let first = try #require((page["calls"] as? [[String: Any]])?.first)
            #expect(first["id"] as? String == "c1")
            #expect(first["bundle_seconds"] as? Int == 60)
            #expect(first["price"] as? String == "0.0105")
            #expect(first["rate_per_minute"] as? String == "0.0210")
            let cursor = try #require(page["next_cursor"] as? String)
            let next = try await client.executeRequest(
                uri: "/v1/calls?month=2026-11&limit=1&cursor=\(cursor)", method: .get, headers: admin, body: nil)
            let second = (Self.object(next.body)["calls"] as? [[String: Any]])?.first
            #expect(second?["id"] as? String == "c2")
            #expect(second?["destination"] as? String == "France")
            #expect(second?["price"] as? String == "0.0186")
            #expect(Self.object(next.body)["next_cursor"] is NSNull)

            let openapi = try await client.executeRequest(uri: "/openapi.yaml", method: .get, headers: [:], body: nil)
            #expect(String(buffer: openapi.body).contains("/v1/records"))
            let metrics = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(String(buffer: metrics.body).contains(#"sipmeter_collector_records_total{result="accepted"} 2"#))
        }
    }

    struct BadRequest: Sendable, CustomTestStringConvertible {
        var name: String
        var uri: String
        var token: Token
        var body: [UInt8]
        var status: HTTPResponse.Status
        var error: String
        var testDescription: String { name }

        enum Token: Sendable { case admin, agent, wrong, missing }
    }

    static let bad: [BadRequest] = [
        .init(
            name: "malformed JSON", uri: "/v1/records", token: .agent, body: Array(#"{"records":[{"id":"a""#.utf8),
            status: .badRequest,
            error:
                #"the body must be {"records": [...]} of call records: malformed JSON: the body ends early, at byte 21"#
        ),
        .init(
            name: "not a batch", uri: "/v1/records", token: .agent, body: Array(#"[1,2]"#.utf8), status: .badRequest,
            error:
                #"the body must be {"records": [...]} of call records: malformed JSON: expected '{' at byte 0"#
        ),
        .init(
            name: "empty body", uri: "/v1/records", token: .agent, body: [], status: .badRequest,
            error: #"the body is empty; send {"records": [...]}"#),
        .init(
            name: "missing token", uri: "/v1/records", token: .missing, body: Fixture.batchJSON([Fixture.call("m")]),
            status: .unauthorized, error: "the Authorization header is missing; send Authorization: Bearer TOKEN"),
        .init(
            name: "wrong token", uri: "/v1/records", token: .wrong, body: Fixture.batchJSON([Fixture.call("w")]),
            status: .unauthorized, error: "the token is not valid"),
        .init(
            name: "admin token on the agent endpoint", uri: "/v1/records", token: .admin,
            body: Fixture.batchJSON([Fixture.call("a")]), status: .forbidden, error: "this needs an agent token"),
        .init(
            name: "agent token on an admin endpoint", uri: "/v1/members", token: .agent,
            body: Array(#"{"name":"x","kind":"business"}"#.utf8), status: .forbidden, error: "this needs an admin token"),
        .init(
            name: "bad member kind", uri: "/v1/members", token: .admin, body: Array(#"{"name":"x","kind":"robot"}"#.utf8),
            status: .badRequest, error: "the body is not the JSON this endpoint takes: kind is invalid"),
        .init(
            name: "amount as a float", uri: "/v1/purchases", token: .admin, body: Array(#"{"amount":12.5}"#.utf8),
            status: .badRequest, error: "the body is not the JSON this endpoint takes: amount has the wrong type"),
        .init(
            name: "amount with 5 decimals", uri: "/v1/purchases", token: .admin, body: Array(#"{"amount":"1.00001"}"#.utf8),
            status: .unprocessableContent, error: "amount must be a decimal string greater than 0 with at most 4 decimals"),
        .init(
            name: "bad deck", uri: "/v1/profiles", token: .admin,
            body: Array(#"{"name":"p","member":"alice","rate_deck":"nope"}"#.utf8), status: .notFound,
            error: "no rate deck named nope; upload it with PUT /v1/rate-decks/nope first"),
        .init(
            name: "gzip header on plain text", uri: "/v1/records", token: .agent, body: [0x1F, 0x8B, 1, 2, 3],
            status: .badRequest, error: "the body says gzip but is not valid gzip data"),
    ]

    @Test("bad input gets a clear 4xx, stores nothing, and the server keeps serving", arguments: bad)
    func badInput(_ c: BadRequest) async throws {
        let f = try await Fixture.make()
        try await Self.app(f).test(.live) { client in
            var headers: HTTPFields = [:]
            switch c.token {
            case .admin: headers = Self.bearer(f.adminToken)
            case .agent: headers = Self.bearer(f.agentToken)
            case .wrong: headers = Self.bearer("smk_0000")
            case .missing: break
            }
            let r = try await client.executeRequest(uri: c.uri, method: .post, headers: headers, body: ByteBuffer(bytes: c.body))
            #expect(r.status == c.status)
            #expect(Self.object(r.body)["error"] as? String == c.error)
            let health = try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil)
            #expect(health.status == .ok)
        }
        let month = Fixture.call("x").setupTime.monthKey
        #expect(
            try await f.store.calls(group: f.group, query: CallQuery(from: .monthStart(month), to: .monthEnd(month))).calls
                .isEmpty)
        #expect(try await f.store.members(group: f.group).count == 2)
        #expect(try await f.store.purchases(group: f.group).isEmpty)
    }

    @Test("per-record errors: missing id, negative duration, year 9999, unknown profile; the good one is accepted")
    func recordErrors() async throws {
        let f = try await Fixture.make()
        try await Self.app(f).test(.live) { client in
            var year9999 = Fixture.call("y9999").jsonLine
            year9999 = year9999.replacingOccurrences(of: "2026-", with: "9999-")
            let noID = Fixture.call("zz").jsonLine.replacingOccurrences(of: #""id":"zz","#, with: "")
            let negative = Fixture.call("neg").jsonLine.replacingOccurrences(
                of: #""duration_ms":90000"#, with: #""duration_ms":-90000"#)
            let body =
                "{\"records\":[\(Fixture.call("good").jsonLine),\(noID),\(negative),\(year9999),\(Fixture.call("carol", profile: "carol-trunk").jsonLine),{\"id\":\"t\",\"duration_ms\":\"long\"}]}"
            let r = try await client.executeRequest(
                uri: "/v1/records", method: .post, headers: Self.bearer(f.agentToken), body: ByteBuffer(string: body))
            #expect(r.status == .ok)
            let o = Self.object(r.body)
            #expect(o["accepted"] as? Int == 1)
            let rejected = (o["rejected"] as? [[String: Any]] ?? []).map {
                "\($0["id"] as? String ?? "null"): \($0["error"] as? String ?? "")"
            }
            #expect(
                rejected == [
                    "null: id is missing",
                    "t: direction is missing",
                    "neg: duration_ms must not be negative",
                    "y9999: setup_time is more than a day in the future",
                    "carol: this agent's token is not bound to SIP Profile carol-trunk",
                ])
        }
    }

    @Test("a known path with the wrong method is 405 with Allow; an unknown path is 404")
    func methods() async throws {
        let f = try await Fixture.make()
        try await Self.app(f).test(.live) { client in
            let delete = try await client.executeRequest(
                uri: "/v1/members", method: .delete, headers: Self.bearer(f.adminToken), body: nil)
            #expect(delete.status == .methodNotAllowed)
            #expect(delete.headers[.allow] == "GET, POST")
            #expect(Self.object(delete.body)["error"] as? String == "DELETE is not allowed here; use GET or POST")
            let get = try await client.executeRequest(uri: "/v1/profiles/x/bundles", method: .get, headers: [:], body: nil)
            #expect(get.status == .methodNotAllowed)
            let missing = try await client.executeRequest(uri: "/v1/nothing", method: .get, headers: [:], body: nil)
            #expect(missing.status == .notFound)
            #expect(Self.object(missing.body)["error"] as? String == "no such endpoint")
        }
    }

    @Test("a 100 MB body is refused with 413 and the server keeps serving")
    func hugeBody() async throws {
        let f = try await Fixture.make()
        try await Self.app(f).test(.live) { client in
            let port = try #require(client.port)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/records")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(f.agentToken)")
            let chunk = ByteBuffer(repeating: UInt8(ascii: " "), count: 1024 * 1024)
            let stream = AsyncStream<ByteBuffer> { continuation in
                for _ in 0..<100 { continuation.yield(chunk) }
                continuation.finish()
            }
            request.body = .stream(stream, length: .known(Int64(100 * 1024 * 1024)))
            // The server may answer 413 and close before the upload ends; both are a refusal.
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(60)) {
                #expect(response.status.code == 413)
            }
            let health = try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil)
            #expect(health.status == .ok)
            let ok = try await client.executeRequest(
                uri: "/v1/records", method: .post, headers: Self.bearer(f.agentToken),
                body: ByteBuffer(bytes: Fixture.batchJSON([Fixture.call("after")])))
            #expect(Self.object(ok.body)["accepted"] as? Int == 1)
        }
    }

    @Test("more than 10,000 records in one request is refused whole")
    func tooManyRecords() async throws {
        let f = try await Fixture.make()
        try await Self.app(f).test(.live) { client in
            let records = (0...10_000).map { Fixture.call("n\($0)") }
            let body = Gzip.compress(Fixture.batchJSON(records))
            var headers = Self.bearer(f.agentToken)
            headers[.contentEncoding] = "gzip"
            let r = try await client.executeRequest(
                uri: "/v1/records", method: .post, headers: headers, body: ByteBuffer(bytes: body))
            #expect(r.status == .contentTooLarge)
            #expect(Self.object(r.body)["error"] as? String == "at most 10000 records per request, got 10001")
        }
        #expect(
            try await f.store.calls(group: f.group, query: CallQuery(from: .monthStart(202611), to: .monthEnd(202611))).calls
                .isEmpty)
    }
}
