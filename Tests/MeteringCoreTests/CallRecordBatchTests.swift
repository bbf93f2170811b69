import Foundation
import MeteringCore
import Testing

@Suite("Call record batches: the fast reader")
struct CallRecordBatchTests {
    static var golden: [String] {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        let text =
            (try? String(contentsOf: url.appendingPathComponent("AgentCLITests/Golden/basic-cancel.jsonl"), encoding: .utf8))
            ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    static func body(_ records: [String]) -> [UInt8] {
        Array(("{\"records\":[" + records.joined(separator: ",") + "]}").utf8)
    }

    private struct Batch: Decodable {
        var records: [IncomingRecord]
    }

    @Test("reads the agent's real output exactly as JSONDecoder does, and round-trips it")
    func parity() throws {
        let lines = Self.golden
        #expect(lines.count >= 5)
        let fast = try CallRecordBatch.parse(Self.body(lines))
        let slow = try JSONDecoder().decode(Batch.self, from: Data(Self.body(lines))).records
        #expect(fast.count == lines.count)
        for (a, b) in zip(fast, slow) {
            #expect(try a.result.get() == b.result.get())
        }
        // What the agent writes is what the collector reads.
        for (line, item) in zip(lines, fast) {
            #expect(try item.result.get().jsonLine == line)
        }
    }

    @Test("escapes, unicode, unknown keys and nesting are read; other keys of the body are skipped")
    func escapes() throws {
        let record =
            #"{"extra":{"a":[1,2.5e3,{"b":null}],"c":true},"id":"x1","profile":"p","direction":"inbound","call_id":"a\"b\\c\/d\u00e9\ud83d\ude00","callee":"+44 20","setup_time":"2026-11-01T10:00:00Z","end_time":"2026-11-01T10:00:01.5+01:00","duration_ms":0,"disposition":"busy","flags":["no_bye","from_the_future"],"final_status":486}"#
        let items = try CallRecordBatch.parse(Array(#"{"agent":"edge","records":[\#(record)],"n":3}"#.utf8))
        let r = try items[0].result.get()
        #expect(r.callID == "a\"b\\c/dé😀")
        #expect(r.direction == .inbound)
        #expect(r.flags == [.noBye])
        #expect(r.endTime.rfc3339 == "2026-11-01T09:00:01.500000Z")
        #expect(r.fromTag == "" && r.toTag == nil && r.caller == "")
    }

    @Test("every field the agent can write is read back, in the agent's key order and in reverse")
    func everyField() throws {
        let t = Timestamp(seconds: 1_790_000_000, microseconds: 250_000)
        let record = CallRecord(
            id: "r1", profile: "alice-trunk", direction: .inbound, callID: "c1@h", fromTag: "ft", toTag: "tt",
            caller: "+15550001", callee: "+442071234567", setupTime: t, progressTime: t.adding(seconds: 1),
            answerTime: t.adding(seconds: 3), endTime: t.adding(seconds: 63), durationMs: 60_000, disposition: .answered,
            finalStatus: 200, endedBy: .callee, flags: [.forked, .authChallenged], q850Cause: 16, pddMs: 1_000,
            source: "edge-1")
        var line: [UInt8] = []
        record.appendJSON(to: &line)
        let forward = String(decoding: line, as: UTF8.self)
        // The same members, last first: every key found by its spelling alone.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object.count == 20)
        let keys = [
            "id", "profile", "direction", "call_id", "from_tag", "to_tag", "caller", "callee", "setup_time",
            "progress_time", "answer_time", "end_time", "duration_ms", "disposition", "final_status", "ended_by", "flags",
            "q850_cause", "pdd_ms", "source",
        ]
        #expect(Set(keys) == Set(object.keys))
        let reversed = try keys.reversed().map { key in
            let value = try JSONSerialization.data(withJSONObject: object[key]!, options: .fragmentsAllowed)
            return "\"\(key)\":" + String(decoding: value, as: UTF8.self)
        }
        let backwards = "{" + reversed.joined(separator: ",") + "}"
        for text in [forward, backwards] {
            let items = try CallRecordBatch.parse(Self.body([text]))
            #expect(try items[0].result.get() == record)
        }
    }

    struct BadRecord: Sendable, CustomTestStringConvertible {
        var json: String
        var error: String
        var testDescription: String { error }
    }

    static let base: [String: String] = [
        "id": #""r""#, "profile": #""p""#, "direction": #""outbound""#, "call_id": #""c""#, "callee": #""1""#,
        "setup_time": #""2026-11-01T10:00:00Z""#, "end_time": #""2026-11-01T10:00:00Z""#, "duration_ms": "0",
        "disposition": #""busy""#,
    ]

    static func with(_ changes: [String: String?]) -> String {
        var fields = base
        for (k, v) in changes { fields[k] = v }
        return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }

    static let bad: [BadRecord] = [
        .init(json: with(["id": nil]), error: "id is missing"),
        .init(json: with(["id": "null"]), error: "id is missing or null"),
        .init(json: with(["id": "7"]), error: "id is not a string"),
        .init(json: with(["direction": #""sideways""#]), error: "direction is not one of outbound, inbound, unknown"),
        .init(json: with(["duration_ms": #""long""#]), error: "duration_ms is not a whole number"),
        .init(json: with(["duration_ms": "1.5"]), error: "duration_ms is not a whole number"),
        .init(json: with(["duration_ms": "99999999999999999999"]), error: "duration_ms is not a whole number"),
        .init(json: with(["duration_ms": nil]), error: "duration_ms is missing"),
        .init(json: with(["setup_time": #""yesterday""#]), error: "setup_time is not an RFC 3339 time with a zone"),
        .init(json: with(["setup_time": #""2026-11-01T10:00:00""#]), error: "setup_time is not an RFC 3339 time with a zone"),
        .init(json: with(["end_time": "null"]), error: "end_time is missing or null"),
        .init(json: with(["flags": #"[1]"#]), error: "flags is not a list of strings"),
        .init(json: with(["final_status": "70000"]), error: "final_status and q850_cause must be 0 to 999"),
        .init(json: "[1]", error: "record is not a JSON object"),
    ]

    @Test("a bad record is a failure naming the field; its neighbours are read", arguments: bad)
    func badRecord(_ c: BadRecord) throws {
        let items = try CallRecordBatch.parse(Self.body([Self.with([:]), c.json, Self.with(["id": #""last""#])]))
        #expect(items.count == 3)
        #expect((try? items[0].result.get()) != nil)
        #expect((try? items[2].result.get())?.id == "last")
        guard case .failure(let error) = items[1].result else {
            Issue.record("accepted \(c.json)")
            return
        }
        #expect(error.message == c.error)
    }

    @Test(
        "malformed bodies are refused whole",
        arguments: [
            "", "{", "[]", "{\"records\":{}}", "{\"other\":1}", "{\"records\":[]} x", "{\"records\":[{\"id\":\"a}]}",
            "{\"records\":[{\"id\":\"\\q\"}]}", "{\"records\":[01x]}", "{\"records\":[tru]}",
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ])
    func malformed(_ text: String) {
        #expect(throws: CallRecordBatch.Malformed.self) { try CallRecordBatch.parse(Array(text.utf8)) }
    }

    @Test("deep nesting in an unknown key is bounded, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let body = "{\"records\":[{\"x\":\(deep)}]}"
        #expect(throws: CallRecordBatch.Malformed.self) { try CallRecordBatch.parse(Array(body.utf8)) }
    }

    @Test("random corruption of a real batch never crashes or hangs")
    func corruption() {
        let body = Self.body(Self.golden)
        var state: UInt64 = 0x5EED
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var parsed = 0
        for _ in 0..<2_000 {
            var bytes = body
            for _ in 0..<(1 + next() % 4) {
                let i = next() % bytes.count
                switch next() % 3 {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: next())
                case 1: bytes.remove(at: i)
                default: bytes.insert(Array(#"{}[]",:\0"#.utf8)[next() % 9], at: i)
                }
            }
            if (try? CallRecordBatch.parse(bytes)) != nil { parsed += 1 }
        }
        #expect(parsed > 0)
    }
}
