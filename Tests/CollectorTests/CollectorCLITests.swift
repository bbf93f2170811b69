import Foundation
import Testing

/// The real binaries on loopback: `sipmeter-collector init/serve`,
/// `sipmeterctl`, and `sipmeter-agent parse` feeding it real traces.
@Suite("sipmeter-collector and sipmeterctl, end to end", .serialized)
struct CollectorCLITests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url
    }()

    static func binary(_ name: String) -> URL {
        var dir = Bundle.main.bundleURL
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/\(name)")
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program by path (sngrep, sipp…) from the package root.
    static func runTool(_ path: String, _ arguments: [String]) throws -> Run {
        try run(path, arguments, executable: URL(fileURLWithPath: path))
    }

    @discardableResult
    static func run(_ name: String, _ arguments: [String], stdout file: URL? = nil, executable: URL? = nil) throws -> Run {
        let process = Process()
        process.executableURL = executable ?? binary(name)
        process.arguments = arguments
        process.currentDirectoryURL = root
        let out = Pipe()
        let err = Pipe()
        if let file {
            FileManager.default.createFile(atPath: file.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: file)
        } else {
            process.standardOutput = out
        }
        process.standardError = err
        try process.run()
        let stdout = file == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `serve` on a free loopback port; returns the process and port.
    static func startServer(db: String) throws -> (Process, Int) {
        for _ in 0..<20 {
            let port = freePort()
            let process = Process()
            process.executableURL = binary("sipmeter-collector")
            // The shipped example config, with the path and port overridden.
            process.arguments = [
                "serve", "--config", "Deploy/collector.yaml", "--db", db, "--listen", "127.0.0.1:\(port)", "--log-level",
                "warning",
            ]
            process.currentDirectoryURL = root
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Bounded wait for /healthz.
            for _ in 0..<100 {
                if !process.isRunning { break }
                if canConnect(port: port) { return (process, port) }
                usleep(100_000)
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        throw CLIFailure("the collector did not start on any port tried")
    }

    /// A port the kernel says is free on 127.0.0.1 now (suites run in
    /// parallel, so ports are never derived from the process id).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return ok ? Int(UInt16(bigEndian: address.sin_port)) : 20_000 + Int.random(in: 0..<20_000)
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    struct CLIFailure: Error {
        var message: String
        init(_ m: String) { message = m }
    }

    @Test("init, serve, seed with sipmeterctl, send the agent's records twice, read balances and calls, stop on SIGTERM")
    func endToEnd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("collector.db").path

        let initRun = try Self.run("sipmeter-collector", ["init", "--db", db, "--group", "acme", "--currency", "EUR"])
        #expect(initRun.status == 0)
        let token = try #require(initRun.stdout.split(separator: "\n").last.map(String.init))
        #expect(token.hasPrefix("smk_") && token.count == 68)
        let tokenFile = dir.appendingPathComponent("admin.token")
        try token.write(to: tokenFile, atomically: true, encoding: .utf8)

        let (server, port) = try Self.startServer(db: db)
        defer {
            if server.isRunning { server.terminate() }
        }
        let base = ["--url", "http://127.0.0.1:\(port)", "--token-file", tokenFile.path]
        func ctl(_ args: [String]) throws -> Run { try Self.run("sipmeterctl", args + base) }

        #expect(try ctl(["rates", "import", "standard", "Samples/rates.csv"]).status == 0)
        #expect(try ctl(["members", "add", "alice"]).status == 0)
        #expect(try ctl(["profiles", "add", "alice-trunk", "--member", "alice", "--rate-deck", "standard"]).status == 0)
        #expect(try ctl(["purchase", "30", "--reference", "PO-9"]).status == 0)
        #expect(try ctl(["allocate", "--member", "alice", "20"]).status == 0)
        let refused = try ctl(["take-back", "--member", "alice", "25"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("collector answered 409: the target holds 20.0000, less than the 25.0000 to take back"))
        let agentRun = try ctl(["agents", "add", "edge", "--profile", "alice-trunk"])
        let agentToken = try #require(agentRun.stdout.split(separator: "\n").last.map(String.init))
        let agentFile = dir.appendingPathComponent("agent.token")
        try agentToken.write(to: agentFile, atomically: true, encoding: .utf8)

        let records = dir.appendingPathComponent("basic.jsonl")
        let parsed = try Self.run(
            "sipmeter-agent", ["parse", "--profiles", "Samples/profiles.yaml", "Samples/traces/basic.pcap"], stdout: records)
        #expect(parsed.status == 0)
        let agentArgs = ["records", "send", records.path, "--url", "http://127.0.0.1:\(port)", "--token-file", agentFile.path]
        let first = try Self.run("sipmeterctl", agentArgs)
        #expect(first.stdout.hasSuffix("sent 5 records: 5 accepted, 0 duplicates, 0 unrated, 0 rejected\n"))
        let second = try Self.run("sipmeterctl", agentArgs)
        #expect(second.stdout.hasSuffix("sent 5 records: 0 accepted, 5 duplicates, 0 unrated, 0 rejected\n"))

        // 2 London calls at 0.019 (60 s minimum), 2 at 0.015 for 6 s, 2 s to Paris at 0.016: 0.0415.
        let balances = try ctl(["balances"])
        #expect(
            balances.stdout == """
                ACCOUNT  NAME   BALANCE  CURRENCY  STATE
                group    acme   10.0000  EUR
                member   alice  19.9585  EUR

                """)
        let month = String(try String(contentsOf: records, encoding: .utf8).split(separator: "\"setup_time\":\"")[1].prefix(7))
        let calls = try ctl(["calls", "--month", month, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(calls.stdout.utf8)) as? [String: Any]
        let prices = (object?["calls"] as? [[String: Any]] ?? []).map { $0["price"] as? String ?? "null" }
        #expect(prices == ["0.0190", "0.0015", "0.0190", "0.0015", "0.0005"])
        let table = try ctl(["calls", "--month", month])
        #expect(table.stdout.contains("France Paris"))

        let noToken = try Self.run(
            "sipmeterctl", ["balances", "--url", "http://127.0.0.1:\(port)", "--token-file", "/nonexistent"])
        #expect(noToken.status != 0)
        #expect(noToken.stderr.contains("cannot read --token-file /nonexistent"))

        server.terminate()  // SIGTERM: graceful shutdown through the ServiceGroup.
        var waited = 0
        while server.isRunning, waited < 100 {
            usleep(100_000)
            waited += 1
        }
        #expect(!server.isRunning)
        #expect(server.terminationStatus == 0)
    }

    @Test("bad arguments and a bad config file get one clear line")
    func badArguments() throws {
        let noDB = try Self.run("sipmeter-collector", ["serve", "--listen", "127.0.0.1:1"])
        #expect(noDB.status != 0)
        #expect(noDB.stderr.contains("give --db PATH or db: in the config file"))
        let badListen = try Self.run("sipmeter-collector", ["serve", "--db", "/tmp/x.db", "--listen", "nowhere"])
        #expect(badListen.stderr.contains("--listen must be HOST:PORT, for example 127.0.0.1:8080"))
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-\(UUID().uuidString).yaml")
        try "db: /tmp/a.db\nlisten: 127.0.0.1:9\nport: 80\n".write(to: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: config) }
        let badKey = try Self.run("sipmeter-collector", ["serve", "--config", config.path])
        #expect(badKey.stderr.contains("\(config.path) line 3: unknown key port (known: db, listen, log_level)"))
        let badCurrency = try Self.run(
            "sipmeter-collector", ["init", "--db", "/tmp/x.db", "--group", "g", "--currency", "dollars"])
        #expect(badCurrency.stderr.contains("--currency must be a 3-letter ISO 4217 code such as USD"))
    }
}
