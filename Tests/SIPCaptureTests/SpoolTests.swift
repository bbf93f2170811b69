import Foundation
import MeteringAgent
import MeteringCore
import Testing

@Suite("Agent spool")
struct SpoolTests {
    static func record(_ n: Int) -> CallRecord {
        let setup = Timestamp(microseconds: 1_795_410_539_000_000 + Int64(n) * 1_000_000)
        return CallRecord(
            id: CallRecord.makeID(profile: "alice-trunk", callID: "\(n)@test", fromTag: "f\(n)", setupTime: setup),
            profile: "alice-trunk", direction: .outbound, callID: "\(n)@test", fromTag: "f\(n)", toTag: "t\(n)",
            caller: "alice-trunk", callee: "4420\(n)", setupTime: setup, progressTime: nil, answerTime: setup,
            endTime: setup.adding(seconds: 10), durationMs: 10_000, disposition: .answered, finalStatus: 200, endedBy: .caller,
            flags: [])
    }

    /// The shipper's cheap question (`head`) against the exact count
    /// (`depth`), through spooling, partial acknowledgements in and out of
    /// order, a rejection and a retry.
    @Test("head: never below the depth, zero only when empty, the oldest spool time")
    func head() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try Spool(path: dir.appendingPathComponent("spool.db").path)
        func check(_ label: String) throws {
            let (count, oldest) = try spool.depth()
            let head = try spool.head()
            #expect(head.span >= count, "\(label)")
            #expect((head.span == 0) == (count == 0), "\(label)")
            #expect(head.oldest == oldest, "\(label)")
        }
        try check("empty")
        #expect(try spool.head().span == 0)
        let t0 = Timestamp(microseconds: 1_800_000_000_000_000)
        for k in 0..<5 {
            let records = (k * 10..<(k * 10 + 10)).map(Self.record)
            try spool.commit(source: "s", records: records, checkpoints: [], now: t0.adding(seconds: Int64(k)))
            try check("after commit \(k)")
        }
        #expect(try spool.head() == (50, t0))
        let first = try spool.batch(limit: 20)
        // Out of order: the second ten first, one of the first ten rejected.
        try spool.acknowledge(delivered: first[10..<20].map(\.id), rejected: [], now: t0)
        try check("a later ten acknowledged")
        #expect(try spool.head().oldest == t0)
        try spool.acknowledge(
            delivered: first[1..<10].map(\.id), rejected: [(id: first[0].id, error: "bad")], now: t0.adding(seconds: 9))
        try check("the first ten gone")
        #expect(try spool.head() == (30, t0.adding(seconds: 2)))
        #expect(try spool.retry(ids: nil, now: t0.adding(seconds: 20)) == 1)
        try check("a dead letter retried")
        let rest = try spool.batch(limit: 100)
        #expect(rest.count == 31)
        try spool.acknowledge(delivered: rest.map(\.id), rejected: [], now: t0)
        try check("all acknowledged")
        #expect(try spool.head() == (0, nil))
    }
}
