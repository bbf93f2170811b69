import Foundation
import SIPCapture
import Testing

/// `sipmeter-agent run` against a real `sipmeter-collector` on loopback:
/// logs written while the agent follows them, the collector down at first,
/// `kill -9` and restarts, rotation, dead letters, config errors.
@Suite("sipmeter-agent run, end to end", .serialized)
struct AgentDaemonTests {
    typealias CLI = CollectorCLITests

    /// A collector with a rate deck, one member, alice-trunk and bob-trunk,
    /// and an agent token bound to `agentProfiles`; plus an agent config.
    final class Harness {
        let dir: URL
        let db: String
        var port = 0
        var server: Process?
        var agent: Process?
        let logs: URL
        let agentConfig: URL

        init(
            agentProfiles: [String] = ["alice-trunk", "bob-trunk"], collectorUp: Bool = true, sources: String? = nil,
            spoolMaxRecords: Int? = nil
        ) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-agent-\(UUID().uuidString)")
            logs = dir.appendingPathComponent("logs")
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            db = dir.appendingPathComponent("collector.db").path
            agentConfig = dir.appendingPathComponent("agent.yaml")
            let initRun = try CLI.run("sipmeter-collector", ["init", "--db", db, "--group", "acme"])
            try (initRun.stdout.split(separator: "\n").last.map(String.init) ?? "")
                .write(to: dir.appendingPathComponent("admin.token"), atomically: true, encoding: .utf8)
            try startCollector()
            try ctl(["rates", "import", "standard", "Samples/rates.csv"])
            try ctl(["members", "add", "alice"])
            try ctl(["profiles", "add", "alice-trunk", "--member", "alice", "--rate-deck", "standard"])
            try ctl(["profiles", "add", "bob-trunk", "--member", "alice", "--rate-deck", "standard"])
            let agentRun = try ctl(["agents", "add", "edge"] + agentProfiles.flatMap { ["--profile", $0] })
            try (agentRun.stdout.split(separator: "\n").last.map(String.init) ?? "")
                .write(to: dir.appendingPathComponent("agent.token"), atomically: true, encoding: .utf8)
            try """
            agent:
              name: edge
            collector:
              urls: ["http://127.0.0.1:\(port)"]
              token_file: \(dir.path)/agent.token
              batch_interval_ms: 100
            profiles:
              - name: alice-trunk
                from_users: [alice-trunk]
              - name: bob-trunk
                from_users: [bob-trunk]
            sources:
            \(sources ?? """
              - name: sipp
                type: text
                paths: ["\(logs.path)/*.log*"]
            """)
            spool:
              path: \(dir.path)/spool.db\(spoolMaxRecords.map { "\n  max_records: \($0)" } ?? "")
            poll_interval_ms: 50
            idle_flush_ms: 200
            """.write(to: agentConfig, atomically: true, encoding: .utf8)
            try "".write(to: logs.appendingPathComponent("a.log"), atomically: true, encoding: .utf8)
            if !collectorUp { stopCollector() }
        }

        deinit {
            stopAgent(signal: SIGKILL)
            stopCollector()
            try? FileManager.default.removeItem(at: dir)
        }

        func startCollector() throws {
            if port == 0 {
                let (process, p) = try CLI.startServer(db: db)
                server = process
                port = p
                return
            }
            let process = Process()
            process.executableURL = CLI.binary("sipmeter-collector")
            process.arguments = ["serve", "--db", db, "--listen", "127.0.0.1:\(port)", "--log-level", "warning"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            server = process
            for _ in 0..<100 where !CLI.canConnect(port: port) { usleep(50_000) }
        }

        func stopCollector() {
            guard let server, server.isRunning else { return }
            server.terminate()
            server.waitUntilExit()
            self.server = nil
        }

        var ctlAuth: [String] {
            ["--url", "http://127.0.0.1:\(port)", "--token-file", dir.appendingPathComponent("admin.token").path]
        }

        @discardableResult
        func ctl(_ args: [String]) throws -> CLI.Run {
            try CLI.run(
                "sipmeterctl",
                args + ["--url", "http://127.0.0.1:\(port)", "--token-file", dir.appendingPathComponent("admin.token").path])
        }

        func startAgent() throws {
            stopAgent(signal: SIGKILL)
            let process = Process()
            process.executableURL = CLI.binary("sipmeter-agent")
            process.arguments = ["run", "--config", agentConfig.path, "--log-level", "warning"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            agent = process
        }

        /// Stops the agent; returns its exit status and how long it took.
        @discardableResult
        func stopAgent(signal: Int32) -> (status: Int32, seconds: Double) {
            guard let agent, agent.isRunning else { return (0, 0) }
            let started = Date()
            kill(agent.processIdentifier, signal)
            agent.waitUntilExit()
            self.agent = nil
            return (agent.terminationStatus, Date().timeIntervalSince(started))
        }

        /// Appends `text` to a log in `pieces` writes, `pause` apart.
        func append(_ text: String, to name: String = "a.log", pieces: Int = 3, pause: useconds_t = 30_000) throws {
            let url = logs.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: url.path) {
                FileManager.default.createFile(atPath: url.path, contents: nil)
            }
            let bytes = Array(text.utf8)
            let size = max(1, bytes.count / pieces + 1)
            var start = 0
            while start < bytes.count {
                let handle = try FileHandle(forWritingTo: url)
                handle.seekToEndOfFile()
                handle.write(Data(bytes[start..<min(bytes.count, start + size)]))
                try handle.close()
                start += size
                usleep(pause)
            }
        }

        /// Record ids the collector holds for November 2026 (the sample month).
        func collectedIDs() throws -> [String] {
            let run = try ctl(["calls", "--month", "2026-11", "--limit", "1000", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return (object?["calls"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }

        /// Waits (bounded) until the collector holds `count` calls.
        func waitForCalls(_ count: Int, seconds: Int = 40) throws -> [String] {
            var ids: [String] = []
            for _ in 0..<(seconds * 5) {
                ids = (try? collectedIDs()) ?? []
                if ids.count >= count { return ids }
                usleep(200_000)
            }
            return ids
        }
    }

    /// Sends the packets of a capture (by number) to a HEP listener on
    /// loopback, one HEPv3 datagram each, with the chunks heplify writes.
    /// Returns how many were sent.
    static func sendHEP(_ path: String, packets: ClosedRange<Int64>, port: Int) throws -> Int {
        let source = try CaptureInput.open(path: CLI.root.appendingPathComponent(path).path)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = UInt16(port).bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        func be(_ v: UInt32, _ bytes: Int) -> [UInt8] { (0..<bytes).reversed().map { UInt8((v >> (8 * $0)) & 0xFF) } }
        var sent = 0
        while let m = try source.next() {
            guard packets.contains(m.position), let src = m.source, let dst = m.destination else { continue }
            let chunks: [(UInt16, [UInt8])] = [
                (0x01, [2]), (0x02, [17]), (0x03, be(UInt32(src.low), 4)), (0x04, be(UInt32(dst.low), 4)),
                (0x07, be(UInt32(src.port), 2)), (0x08, be(UInt32(dst.port), 2)),
                (0x09, be(UInt32(m.time.microseconds / 1_000_000), 4)), (0x0a, be(UInt32(m.time.microseconds % 1_000_000), 4)),
                (0x0b, [1]), (0x0c, be(2001, 4)), (0x0f, m.bytes),
            ]
            var body: [UInt8] = []
            for (type, value) in chunks { body += [0, 0] + be(UInt32(type), 2) + be(UInt32(6 + value.count), 2) + value }
            let frame = Array("HEP3".utf8) + be(UInt32(6 + body.count), 2) + body
            let n = withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, frame, frame.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if n == frame.count { sent += 1 }
            usleep(1000)
        }
        return sent
    }

    static func sample(_ name: String) throws -> String {
        try String(contentsOf: CLI.root.appendingPathComponent("Samples/traces/\(name).sipp.log"), encoding: .utf8)
    }

    /// What `sipmeter-agent parse` makes of the same logs: the oracle.
    static func expectedIDs(_ names: [String]) throws -> [String] {
        let run = try CLI.run(
            "sipmeter-agent",
            ["parse", "--profiles", "Samples/profiles.yaml"] + names.map { "Samples/traces/\($0).sipp.log" })
        return run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
    }

    @Test("the collector is down while the log grows, then starts: every call arrives exactly once")
    func collectorDownFirst() throws {
        let h = try Harness(collectorUp: false)
        try h.startAgent()
        let names = ["basic", "busy-fail", "auth", "cancel"]
        for name in names { try h.append(try Self.sample(name)) }
        usleep(1_500_000)
        try h.startCollector()
        let expected = try Self.expectedIDs(names)
        #expect(expected.count == 19)
        let ids = try h.waitForCalls(expected.count)
        #expect(ids.sorted() == expected.sorted())
        let stop = h.stopAgent(signal: SIGTERM)
        #expect(stop.status == 0)
        #expect(stop.seconds < 10)
    }

    @Test("a full spool pauses reading, drops nothing, and resumes once the collector takes records")
    func spoolFull() throws {
        let h = try Harness(collectorUp: false, spoolMaxRecords: 100)
        try h.startAgent()
        usleep(1_000_000)
        // 28 days of the four sample logs (19 calls a day): 532 calls, a day at a time.
        let names = ["basic", "busy-fail", "auth", "cancel"]
        let texts = try names.map(Self.sample)
        var days: [String] = []
        for day in 1...28 {
            let date = String(format: "2026-11-%02d", day)
            days.append(texts.map { $0.replacingOccurrences(of: "2026-11-23", with: date) }.joined())
        }
        #expect(texts.allSatisfy { $0.contains("2026-11-23") })
        for text in days { try h.append(text, pieces: 1, pause: 150_000) }
        usleep(2_000_000)
        func waiting() throws -> Int {
            let list = try CLI.run("sipmeter-agent", ["spool", "list", "--config", h.agentConfig.path]).stdout
            return Int(list.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        // Reading stops at the limit: at most one poll's records past it.
        let held = try waiting()
        #expect(held >= 100)
        #expect(held < 200)
        try h.startCollector()
        let expected = try Self.expectedIDs(names).count * 28
        #expect(expected == 532)
        let ids = try h.waitForCalls(expected, seconds: 60)
        usleep(500_000)
        let final = try h.collectedIDs()
        if final.count != expected {
            let run = try h.ctl(["calls", "--month", "2026-11", "--limit", "1000", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            var perDay: [String: Int] = [:]
            for call in object?["calls"] as? [[String: Any]] ?? [] {
                perDay[String((call["setup_time"] as? String ?? "").prefix(10)), default: 0] += 1
            }
            print("DIAG per day", perDay.sorted { $0.key < $1.key })
            print("DIAG spool", try CLI.run("sipmeter-agent", ["spool", "list", "--config", h.agentConfig.path]).stdout)
        }
        #expect(final.count == expected)
        #expect(Set(final).count == expected)
        #expect(ids.count == expected)
        #expect(try waiting() == 0)
        #expect(h.stopAgent(signal: SIGTERM).status == 0)
    }

    @Test("kill -9 at several moments, rotation by rename and by copy-truncate: nothing lost, nothing twice")
    func killAndRotate() throws {
        let h = try Harness()
        try h.startAgent()
        // In the order they were captured: a live log only grows forward in time.
        let names = ["basic", "busy-fail", "auth", "cancel", "early-media", "reinvite", "callee-bye"]
        var written: [String] = []
        for (i, name) in names.enumerated() {
            let text = try Self.sample(name)
            if i % 2 == 1 {
                // Killed while the log is being written: half, kill, restart, the rest.
                let half = text.index(text.startIndex, offsetBy: text.count / 2)
                try h.append(String(text[..<half]), pieces: 2, pause: 20_000)
                usleep(60_000)
                h.stopAgent(signal: SIGKILL)
                try h.startAgent()
                try h.append(String(text[half...]), pieces: 2, pause: 20_000)
            } else {
                try h.append(text, pieces: 4, pause: 20_000)
            }
            written.append(name)
            usleep(UInt32(100_000 + (i * 37_000) % 200_000))
            h.stopAgent(signal: SIGKILL)
            switch i {
            case 1:
                // Rotation by rename while the agent is down.
                try FileManager.default.moveItem(
                    at: h.logs.appendingPathComponent("a.log"), to: h.logs.appendingPathComponent("a.log.1"))
            case 3:
                // Copy-truncate once the agent has read everything.
                try h.startAgent()
                usleep(1_500_000)
                let a = h.logs.appendingPathComponent("a.log")
                try FileManager.default.copyItem(at: a, to: h.logs.appendingPathComponent("a.log.2"))
                try FileHandle(forWritingTo: a).truncate(atOffset: 0)
                usleep(300_000)
                h.stopAgent(signal: SIGKILL)
            default:
                break
            }
            try h.startAgent()
        }
        let expected = try Self.expectedIDs(written)
        let ids = try h.waitForCalls(expected.count)
        usleep(500_000)
        let final = try h.collectedIDs()
        #expect(final.count == expected.count)
        #expect(Set(final) == Set(expected))
        if Set(final) != Set(expected) {
            for name in written {
                let missing = Set(try Self.expectedIDs([name])).subtracting(final)
                if !missing.isEmpty { print("DIAG missing from \(name): \(missing.count)") }
            }
            let run = try h.ctl(["calls", "--month", "2026-11", "--limit", "1000", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            for call in object?["calls"] as? [[String: Any]] ?? [] where !expected.contains(call["id"] as? String ?? "") {
                print(
                    "DIAG extra", call["call_id"] ?? "", call["setup_time"] ?? "", call["disposition"] ?? "",
                    call["duration_ms"] ?? "")
            }
            let oracle = try CLI.run(
                "sipmeter-agent", ["parse", "--profiles", "Samples/profiles.yaml", "Samples/traces/early-media.sipp.log"])
            print("DIAG oracle", oracle.stdout)
            print("DIAG files", (try? FileManager.default.contentsOfDirectory(atPath: h.logs.path)) ?? [])
        }
        #expect(ids.count == expected.count)
        #expect(h.stopAgent(signal: SIGTERM).status == 0)
    }

    @Test("a capture ring buffer: closed files read once each, a kill -9 between files loses and repeats nothing")
    func pcapDirectory() throws {
        let captures = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-cap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: captures, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: captures) }
        let h = try Harness(
            sources: """
                  - name: ring
                    type: pcap_dir
                    paths: ["\(captures.path)/*.pcap"]
                """)
        try h.startAgent()
        let names = ["basic", "busy-fail", "auth"]
        for (i, name) in names.enumerated() {
            let target = captures.appendingPathComponent("sip-\(i).pcap")
            try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("Samples/traces/\(name).pcap"), to: target)
            // Closed a while ago, as a ring buffer's older files are.
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: Double(-60 + i))], ofItemAtPath: target.path)
            if i == 1 {
                usleep(800_000)
                h.stopAgent(signal: SIGKILL)
                try h.startAgent()
            }
        }
        let run = try CLI.run(
            "sipmeter-agent", ["parse", "--profiles", "Samples/profiles.yaml"] + names.map { "Samples/traces/\($0).pcap" })
        let expected = run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(expected.count == 14)
        let ids = try h.waitForCalls(expected.count)
        usleep(500_000)
        #expect(Set(try h.collectedIDs()) == Set(expected))
        #expect(ids.count == expected.count)
        #expect(h.stopAgent(signal: SIGTERM).status == 0)
    }

    @Test("HEP from a real emitter (sngrep -H) gives the same records as the pcap of the same traffic")
    func hepFromSngrep() throws {
        let hepPort = CLI.freePort()
        let h = try Harness(
            sources: """
                  - name: hep
                    type: hep
                    listen: "127.0.0.1:\(hepPort)"
                """)
        try h.startAgent()
        usleep(500_000)
        let names = ["basic", "busy-fail", "auth"]
        for name in names {
            let sent = try CLI.runTool(
                "/usr/bin/sngrep",
                ["-N", "-q", "-I", "Samples/traces/\(name).pcap", "-H", "udp:127.0.0.1:\(hepPort)", "-O", "/dev/null"])
            #expect(sent.status == 0)
            usleep(200_000)
        }
        let run = try CLI.run(
            "sipmeter-agent", ["parse", "--profiles", "Samples/profiles.yaml"] + names.map { "Samples/traces/\($0).pcap" })
        let expected = run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(expected.count == 14)
        _ = try h.waitForCalls(expected.count, seconds: 30)
        usleep(300_000)
        #expect(Set(try h.collectedIDs()) == Set(expected))
        #expect(h.stopAgent(signal: SIGTERM).status == 0)
    }

    @Test("HEP: calls open when the agent is killed are rebuilt from the spool's journal after the restart")
    func hepKilledMidCall() throws {
        let hepPort = CLI.freePort()
        let h = try Harness(
            sources: """
                  - name: hep
                    type: hep
                    listen: "127.0.0.1:\(hepPort)"
                """)
        // Packets 1-46: all five calls set up, four answered, none ended; 47-70: the BYEs.
        // (sngrep forwards no in-dialog message of a dialog it has not seen start,
        // so the halves are sent by a HEPv3 encoder here.)
        func send(_ packets: ClosedRange<Int64>) throws {
            #expect(try Self.sendHEP("Samples/traces/basic.pcap", packets: packets, port: hepPort) == packets.count)
        }
        func journal() throws -> String {
            try CLI.run("sipmeter-agent", ["spool", "list", "--config", h.agentConfig.path]).stdout
        }
        try h.startAgent()
        usleep(500_000)
        try send(1...46)
        var listed = ""
        for _ in 0..<100 {
            listed = try journal()
            if listed.contains("journal of hep: 46 message(s)") { break }
            usleep(100_000)
        }
        #expect(listed.contains("journal of hep: 46 message(s)"), "\(listed)")
        h.stopAgent(signal: SIGKILL)
        try h.startAgent()
        usleep(500_000)
        try send(47...70)

        let expected = try CLI.run(
            "sipmeter-agent", ["parse", "--profiles", "Samples/profiles.yaml", "Samples/traces/basic.pcap"])
        let records = expected.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(records.count == 5)
        _ = try h.waitForCalls(records.count, seconds: 30)
        usleep(300_000)
        let run = try h.ctl(["calls", "--month", "2026-11", "--limit", "1000", "--json"])
        let calls = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["calls"]
        let collected = (calls as? [[String: Any]] ?? []).map { ($0["id"] as? String ?? "", $0["duration_ms"] as? Int ?? -1) }
        let wanted = records.map { ($0["id"] as? String ?? "", $0["duration_ms"] as? Int ?? -2) }
        #expect(
            collected.sorted { $0.0 < $1.0 }.map { "\($0.0) \($0.1)" } == wanted.sorted { $0.0 < $1.0 }.map { "\($0.0) \($0.1)" })
        // Every call ended: nothing is left in the journal.
        for _ in 0..<50 where try journal().contains("journal of hep") { usleep(100_000) }
        #expect(!(try journal().contains("journal of hep")))
        #expect(h.stopAgent(signal: SIGTERM).status == 0)
    }

    @Test("an answered call is reported live, then its final record supersedes the event")
    func liveCallEvents() throws {
        let h = try Harness()
        try h.startAgent()
        let text = try Self.sample("basic")
        // Up to the record holding the first BYE: the first call is answered, not ended.
        let bye = try #require(text.range(of: "BYE sip:"))
        let recordStart = try #require(
            text[..<bye.lowerBound].range(of: "-----------------------------------------------", options: .backwards))
        try h.append(String(text[..<recordStart.lowerBound]))
        var active: [[String: Any]] = []
        for _ in 0..<100 {
            let body = try CLI.run("sipmeterctl", ["active-calls", "--json"] + h.ctlAuth)
            let object = try JSONSerialization.jsonObject(with: Data(body.stdout.utf8)) as? [String: Any]
            active = object?["calls"] as? [[String: Any]] ?? []
            if !active.isEmpty { break }
            usleep(100_000)
        }
        #expect(active.count >= 1)
        let liveIDs = Set(active.compactMap { $0["id"] as? String })
        try h.append(String(text[recordStart.lowerBound...]))
        let ids = try h.waitForCalls(5)
        #expect(liveIDs.isSubset(of: Set(ids)))
        var remaining = -1
        for _ in 0..<50 {
            let body = try CLI.run("sipmeterctl", ["active-calls", "--json"] + h.ctlAuth)
            let object = try JSONSerialization.jsonObject(with: Data(body.stdout.utf8)) as? [String: Any]
            remaining = (object?["calls"] as? [[String: Any]])?.count ?? -1
            if remaining == 0 { break }
            usleep(100_000)
        }
        #expect(remaining == 0)
        h.stopAgent(signal: SIGTERM)
    }

    @Test("live capture on lo with a BPF filter: the records of a SIPp run equal those of dumpcap's capture of it")
    func liveCapture() throws {
        let sipPort = CLI.freePort()
        let uacPort = CLI.freePort()
        let h = try Harness(
            sources: """
                  - name: wire
                    type: capture
                    interface: lo
                    filter: "udp port \(sipPort)"
                """)
        let pcap = h.dir.appendingPathComponent("wire.pcap")
        let dumpcap = Process()
        dumpcap.executableURL = URL(fileURLWithPath: "/usr/bin/dumpcap")
        dumpcap.arguments = ["-q", "-i", "lo", "-f", "udp port \(sipPort)", "-w", pcap.path]
        dumpcap.standardError = FileHandle.nullDevice
        dumpcap.standardOutput = FileHandle.nullDevice
        try dumpcap.run()
        defer { if dumpcap.isRunning { kill(dumpcap.processIdentifier, SIGKILL) } }
        try h.startAgent()
        usleep(2_000_000)
        // The UAS in the background, by PID (`-bg` would keep our pipes open).
        let uas = Process()
        uas.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        uas.arguments = ["-sf", "Benchmarks/uas-answer.xml", "-i", "127.0.0.1", "-p", "\(sipPort)", "-m", "5", "-nostdin"]
        uas.currentDirectoryURL = CLI.root
        uas.standardOutput = FileHandle.nullDevice
        uas.standardError = FileHandle.nullDevice
        try uas.run()
        defer { if uas.isRunning { kill(uas.processIdentifier, SIGKILL) } }
        usleep(300_000)
        let uac = try CLI.runTool(
            "/usr/bin/sipp",
            [
                "-sf", "Benchmarks/uac.xml", "127.0.0.1:\(sipPort)", "-i", "127.0.0.1", "-p", "\(uacPort)", "-m", "5", "-r", "10",
                "-nostdin", "-timeout", "30",
            ])
        #expect(uac.status == 0)
        usleep(1_000_000)
        // SIGTERM: dumpcap ignores SIGINT when started this way.
        dumpcap.terminate()
        for _ in 0..<50 where dumpcap.isRunning { usleep(100_000) }
        let run = try CLI.run("sipmeter-agent", ["parse", "--profiles", "Samples/profiles.yaml", pcap.path])
        let expected = run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(expected.count == 5)
        _ = try h.waitForCalls(expected.count, seconds: 30)
        #expect(Set(try h.collectedIDs()) == Set(expected))
        #expect(h.stopAgent(signal: SIGTERM).status == 0)
    }

    @Test("records the collector rejects land in the dead-letter table; the others are accepted")
    func deadLetters() throws {
        // The agent's token is bound to alice-trunk only: bob-trunk's calls are rejected.
        let h = try Harness(agentProfiles: ["alice-trunk"])
        try h.startAgent()
        try h.append(try Self.sample("basic"))
        try h.append(try Self.sample("tcp"))
        let ids = try h.waitForCalls(5)
        #expect(ids.count == 5)
        var letters = ""
        for _ in 0..<50 {
            letters = try CLI.run("sipmeter-agent", ["spool", "list", "--config", h.agentConfig.path]).stdout
            if letters.contains("dead letters: 3") { break }
            usleep(200_000)
        }
        #expect(letters.contains("dead letters: 3"))
        #expect(letters.contains("this agent's token is not bound to SIP Profile bob-trunk"))
        h.stopAgent(signal: SIGTERM)
        let retried = try CLI.run("sipmeter-agent", ["spool", "retry", "--config", h.agentConfig.path])
        #expect(retried.stdout == "3 record(s) back in the spool\n")
    }

    @Test("config errors get one clear line naming the line and the key")
    func configErrors() throws {
        let h = try Harness()
        let good = try String(contentsOf: h.agentConfig, encoding: .utf8)
        let cases: [(String, String)] = [
            (
                good.replacingOccurrences(of: "  batch_interval_ms: 100", with: "  batch_intervall: 100"),
                "line 6: unknown key 'batch_intervall' in collector"
            ),
            (
                good.replacingOccurrences(of: "urls: [\"http://127.0.0.1:\(h.port)\"]", with: "urls: [\"ftp://x\"]"),
                "line 4: collector.urls: \"ftp://x\" is not an http:// or https:// URL"
            ),
            (
                good.replacingOccurrences(of: "\(h.dir.path)/agent.token", with: "/nonexistent/token"),
                "line 5: collector.token_file: cannot read a token from /nonexistent/token"
            ),
            (
                good.replacingOccurrences(of: "\(h.logs.path)/*.log*", with: "\(h.logs.path)/*.nothing"),
                "matches no file"
            ),
        ]
        for (text, message) in cases {
            let file = h.dir.appendingPathComponent("bad.yaml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let run = try CLI.run("sipmeter-agent", ["check-config", "--config", file.path])
            #expect(run.status != 0)
            #expect(run.stderr.contains(message), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
        let ok = try CLI.run("sipmeter-agent", ["check-config", "--config", h.agentConfig.path])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("source sipp: format detected from 1 file(s)"))
    }
}
