import ArgumentParser
import AsyncHTTPClient
import Foundation
import MeteringCore
import NIOCore
import RatingEngine

/// Collector benchmarks (see Benchmarks/collector.sh):
/// - `deck`: writes a rate deck of N random prefixes;
/// - `lookup`: longest-prefix lookups per second on that deck, in process;
/// - `ingest`: POSTs pre-built batches over HTTP from several concurrent
///   clients and reports records per second.
@main
struct CollectorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sipmeter-collector-bench",
        subcommands: [Deck.self, Lookup.self, Ingest.self, Decode.self, Respond.self, TrivialServer.self])
}

/// Deterministic randomness (SplitMix64) so every run measures the same data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum DeckMaker {
    /// `count` distinct prefixes of 1–7 digits under realistic country codes.
    static func csv(count: Int, seed: UInt64 = 42) -> String {
        var rng = SplitMix64(state: seed)
        var used: Set<String> = []
        var lines = ["prefix,description,rate_per_minute,connect_fee,initial_seconds,increment_seconds"]
        let countries = ["1", "44", "33", "49", "39", "34", "81", "86", "91", "61", "55", "7", "27", "52", "90"]
        for c in countries where used.insert(c).inserted {
            lines.append("\(c),Country \(c),0.0200,0,60,6")
        }
        while used.count < count {
            let country = countries.randomElement(using: &rng)!
            let extra = String(UInt64.random(in: 0..<100_000_000, using: &rng)).prefix(Int.random(in: 1...6, using: &rng))
            let prefix = country + extra
            guard used.insert(prefix).inserted else { continue }
            let rate = FixedDecimal.format(Int64.random(in: 1_000...900_000, using: &rng), scale: 6)
            lines.append(
                "\(prefix),Area \(prefix),\(rate),0,\([1, 30, 60].randomElement(using: &rng)!),\([1, 6, 60].randomElement(using: &rng)!)"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func number(_ rng: inout SplitMix64) -> String {
        let countries = ["1", "44", "33", "49", "39", "34", "81", "86", "91", "61", "55", "7", "27", "52", "90"]
        return "+" + countries.randomElement(using: &rng)! + String(UInt64.random(in: 100_000_000...999_999_999, using: &rng))
    }
}

struct Deck: ParsableCommand {
    @Option var prefixes = 50_000
    @Argument var out: String
    func run() throws {
        try DeckMaker.csv(count: prefixes).write(toFile: out, atomically: true, encoding: .utf8)
    }
}

struct Lookup: ParsableCommand {
    @Option var prefixes = 50_000
    @Option var lookups = 10_000_000
    func run() throws {
        let deck = try RateDeck(csv: DeckMaker.csv(count: prefixes))
        var rng = SplitMix64(state: 7)
        let numbers = (0..<100_000).map { _ in PhoneNumber.normalise(DeckMaker.number(&rng)) }
        let digits = numbers.map { Array($0.utf8) }
        var matched = 0
        let start = ContinuousClock.now
        for i in 0..<lookups {
            if deck.matchIndex(digits[i % digits.count]) != nil { matched += 1 }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        print(
            "rate lookups: \(lookups) on a \(deck.entries.count)-prefix deck in \(String(format: "%.3f", seconds)) s = \(Int(Double(lookups) / seconds)) lookups/s (\(matched) matched)"
        )
        // With normalisation of the dialled string included, as ingest does it.
        let start2 = ContinuousClock.now
        var matched2 = 0
        let raw = (0..<100_000).map { _ in DeckMaker.number(&rng) }
        let n2 = lookups / 5
        for i in 0..<n2 where deck.match(normalisedNumber: PhoneNumber.normalise(raw[i % raw.count])) != nil {
            matched2 += 1
        }
        let seconds2 = (ContinuousClock.now - start2) / .seconds(1)
        print("normalise + lookup: \(Int(Double(n2) / seconds2)) lookups/s (\(matched2) matched)")
    }
}

struct Ingest: AsyncParsableCommand {
    @Option var url = "http://127.0.0.1:8080"
    @Option(help: "File holding an agent token.") var tokenFile: String
    @Option(help: "Comma-separated SIP Profiles the token is bound to.") var profiles: String
    @Option var records = 1_000_000
    @Option var batch = 1_000
    @Option var clients = 4
    @Flag(help: "gzip the bodies, as the agent does.") var gzip = false
    @Option(help: "Random seed: another seed sends other calls (other ids).") var seed: UInt64 = 1

    func run() async throws {
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let names = profiles.split(separator: ",").map(String.init)
        // Build every body before the clock starts: the client must not compete with the server for the 2 cores.
        let plain = RecordBodies.make(records: records, batch: batch, profiles: names, seed: seed)
        let rawBytes = plain.reduce(0) { $0 + $1.count }
        let bodies = gzip ? plain.map { Gzip.compress($0, level: 1) } : plain
        let wireBytes = bodies.reduce(0) { $0 + $1.count }
        print(
            "built \(bodies.count) batches of \(batch): \(rawBytes / 1_048_576) MiB JSON, \(wireBytes / 1_048_576) MiB on the wire"
        )
        let (url, gzip, clients) = (self.url, self.gzip, self.clients)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let counter = Counter()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    var index = c
                    while index < bodies.count {
                        var request = HTTPClientRequest(url: url + "/v1/records")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        if gzip { request.headers.add(name: "Content-Encoding", value: "gzip") }
                        request.body = .bytes(ByteBuffer(bytes: bodies[index]))
                        let sent = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(300))
                        let answer = try await response.body.collect(upTo: 16 << 20)
                        guard response.status.code == 200 else {
                            throw CLIFailure("batch \(index): HTTP \(response.status.code): \(String(buffer: answer))")
                        }
                        let object = try JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any]
                        await counter.add(
                            accepted: object?["accepted"] as? Int ?? 0, duplicates: object?["duplicates"] as? Int ?? 0,
                            rejected: (object?["rejected"] as? [Any])?.count ?? 0, latency: ContinuousClock.now - sent)
                        index += clients
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        try await client.shutdown()
        let (accepted, duplicates, rejected) = await counter.totals
        let latencies = await counter.latencies.sorted()
        func ms(_ q: Double) -> String {
            guard !latencies.isEmpty else { return "-" }
            let d = latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]
            return String(format: "%.1f", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000)
        }
        print("request latency ms: p50 \(ms(0.5)), p90 \(ms(0.9)), p99 \(ms(0.99)), max \(ms(1.0))")
        print(
            "ingest: \(accepted) accepted, \(duplicates) duplicates, \(rejected) rejected in \(String(format: "%.2f", seconds)) s"
                + " = \(Int(Double(accepted + duplicates) / seconds)) records/s (\(clients) clients, batches of \(batch)\(gzip ? ", gzip" : ""))"
        )
    }
}

/// Batches of call records as the agent ships them (`{"records":[...]}`,
/// written by `CallRecord.appendJSON`).
enum RecordBodies {
    static func make(records: Int, batch: Int, profiles names: [String], seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(state: seed)
        var built: [[UInt8]] = []
        let base = Timestamp.now().adding(seconds: -20 * 86_400)
        var made = 0
        while made < records {
            var body = Array("{\"records\":[".utf8)
            for i in 0..<min(batch, records - made) {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                let n = made + i
                let setup = base.adding(microseconds: Int64(n) * 1_000)
                let answered = Int.random(in: 0..<10, using: &rng) < 8
                let ms = answered ? Int64.random(in: 1_000...600_000, using: &rng) : 0
                let answer = answered ? setup.adding(seconds: 4) : nil
                let record = CallRecord(
                    id: String(format: "%016llx%016llx", UInt64(n), rng.next()), profile: names[n % names.count],
                    direction: .outbound, callID: "bench-\(n)@10.0.0.1", fromTag: "f\(n)", toTag: answered ? "t\(n)" : nil,
                    caller: "1555000\(n % 10000)", callee: DeckMaker.number(&rng), setupTime: setup,
                    progressTime: setup.adding(seconds: 1), answerTime: answer,
                    endTime: (answer ?? setup.adding(seconds: 20)).adding(microseconds: ms * 1000), durationMs: ms,
                    disposition: answered ? .answered : .busy, finalStatus: answered ? 200 : 486, endedBy: .caller, flags: [])
                record.appendJSON(to: &body)
            }
            body.append(contentsOf: Array("]}".utf8))
            built.append(body)
            made += batch
        }
        return built
    }
}

/// The collector's decoding of shipped batches alone (`CallRecordBatch.parse`),
/// in process: no HTTP, no database.
struct Decode: ParsableCommand {
    @Option var records = 1_000_000
    @Option var batch = 1_000
    func run() throws {
        let bodies = RecordBodies.make(records: records, batch: batch, profiles: ["trunk1", "trunk2"], seed: 1)
        let megabytes = bodies.reduce(0) { $0 + $1.count } / 1_048_576
        for _ in 0..<3 {
            var decoded = 0
            let start = ContinuousClock.now
            for body in bodies { decoded += try CallRecordBatch.parse(body).count }
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            print(
                "decode: \(decoded) records (\(megabytes) MiB JSON) in \(String(format: "%.3f", seconds)) s = \(Int(Double(decoded) / seconds)) records/s"
            )
        }
    }
}

actor Counter {
    var accepted = 0
    var duplicates = 0
    var rejected = 0
    var latencies: [Duration] = []
    func add(accepted a: Int, duplicates d: Int, rejected r: Int, latency: Duration) {
        latencies.append(latency)
        accepted += a
        duplicates += d
        rejected += r
    }
    var totals: (Int, Int, Int) { (accepted, duplicates, rejected) }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
