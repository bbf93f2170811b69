import Foundation
import MeteringCore
import MeteringStore

/// A group with a rate deck, two members, two SIP Profiles and an agent,
/// on an in-memory or on-disk store.
struct Fixture {
    static let deckCSV = """
        prefix,description,rate_per_minute,connect_fee,initial_seconds,increment_seconds
        44,United Kingdom,0.0210,0,60,6
        447,United Kingdom mobile,0.0450,0.0100,30,6
        1,United States,0.0100,0,6,6
        33,France,0.0180,0,1,1

        """
    static let now = Timestamp(seconds: 1_795_000_000)  // 2026-11-18

    let store: SQLiteStore
    let group: Int64
    let adminToken: String
    let agentToken: String
    let agent: Principal
    let directory: URL?

    enum Kind: String, CaseIterable, CustomStringConvertible, Sendable {
        case inMemory = "in-memory", onDisk = "on-disk"
        var description: String { rawValue }
    }

    static func make(_ kind: Kind = .inMemory) async throws -> Fixture {
        var directory: URL?
        let store: SQLiteStore
        switch kind {
        case .inMemory:
            store = try SQLiteStore(inMemory: ())
        case .onDisk:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            directory = dir
            store = try SQLiteStore(path: dir.appendingPathComponent("collector.db").path)
        }
        let (group, admin) = try await store.createGroup(name: "acme", currency: "USD", now: now)
        _ = try await store.putRateDeck(group: group.id, name: "standard", csv: deckCSV, entries: 4, now: now)
        _ = try await store.addMember(group: group.id, name: "alice", kind: .business, now: now)
        _ = try await store.addMember(group: group.id, name: "bob", kind: .personal, now: now)
        _ = try await store.addProfile(group: group.id, name: "alice-trunk", member: "alice", rateDeck: "standard", now: now)
        _ = try await store.addProfile(group: group.id, name: "bob-trunk", member: "bob", rateDeck: "standard", now: now)
        let (_, agentToken) = try await store.addAgent(
            group: group.id, name: "edge", profiles: ["alice-trunk", "bob-trunk"], now: now)
        let principal = try await store.authenticate(token: agentToken)!
        return Fixture(
            store: store, group: group.id, adminToken: admin, agentToken: agentToken, agent: principal, directory: directory)
    }

    func removeFiles() {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// An answered outbound call of `ms` milliseconds to `callee`.
    static func call(
        _ id: String, profile: String? = "alice-trunk", callee: String = "442079460000", ms: Int64 = 90_000,
        disposition: Disposition = .answered, direction: Direction = .outbound,
        setup: Timestamp = Timestamp(seconds: 1_794_900_000)
    ) -> CallRecord {
        let answered = disposition == .answered
        let answer = answered ? setup.adding(seconds: 5) : nil
        return CallRecord(
            id: id, profile: profile, direction: direction, callID: "call-\(id)@test", fromTag: "f\(id)",
            toTag: answered ? "t\(id)" : nil, caller: "1001", callee: callee, setupTime: setup, progressTime: nil,
            answerTime: answer, endTime: (answer ?? setup).adding(microseconds: answered ? ms * 1000 : 0),
            durationMs: answered ? ms : 0, disposition: disposition, finalStatus: answered ? 200 : 486,
            endedBy: .caller, flags: [])
    }

    static func batchJSON(_ records: [CallRecord]) -> [UInt8] {
        Array(("{\"records\":[" + records.map(\.jsonLine).joined(separator: ",") + "]}").utf8)
    }
}
