import Foundation
import Testing

/// Runs the built `sipmeter-agent` binary and checks its whole output.
@Suite("sipmeter-agent parse")
struct AgentCLITests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url
    }()

    static var binary: URL {
        // The test bundle sits in the same build folder as the executable.
        let bundle = Bundle.main.bundleURL
        var dir = bundle
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("sipmeter-agent")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/sipmeter-agent")
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.currentDirectoryURL = root
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("JSONL output equals the golden file, byte for byte, on every run")
    func golden() throws {
        let golden = try String(
            contentsOf: Self.root.appendingPathComponent("Tests/AgentCLITests/Golden/basic-cancel.jsonl"), encoding: .utf8)
        let args = ["parse", "--profiles", "Samples/profiles.yaml", "Samples/traces/basic.pcap", "Samples/traces/cancel.pcap"]
        let first = try Self.run(args)
        let second = try Self.run(args + ["--threads", "1", "--parse-all"])
        #expect(first.status == 0)
        #expect(first.stdout == golden)
        #expect(second.stdout == golden)
        #expect(first.stderr.contains("calls: 10 (answered 5, no_answer 3, cancelled 2)"))
        #expect(first.stderr.contains("messages: 136 read, 76 parsed, 60 not needed for metering, 0 malformed"))
        #expect(second.stderr.contains("messages: 136 read, 136 parsed, 0 not needed for metering, 0 malformed"))
    }

    static func setupTimes(_ jsonl: String) -> [String] {
        jsonl.split(separator: "\n").compactMap { line in
            guard let r = line.range(of: "\"setup_time\":\"") else { return nil }
            return String(line[r.upperBound...].prefix(27))
        }
    }

    @Test("zone-less log times are local time: TZ moves them")
    func localTime() throws {
        // The sample SIPp log was written with TZ=UTC.
        let utc = try Self.run(["parse", "Samples/traces/basic.sipp.log"], environment: ["TZ": "UTC"])
        let cet = try Self.run(["parse", "Samples/traces/basic.sipp.log"], environment: ["TZ": "Etc/GMT-1"])
        #expect(Self.setupTimes(utc.stdout).first == "2026-11-23T05:08:59.267657Z")
        #expect(Self.setupTimes(cet.stdout).first == "2026-11-23T04:08:59.267657Z")
    }

    @Test("FreeSWITCH time-of-day logs take their date from --date")
    func freeswitchDate() throws {
        let run = try Self.run(
            ["parse", "--date", "2025-02-28", "Samples/traces/basic.freeswitch.log"], environment: ["TZ": "UTC"])
        let times = Self.setupTimes(run.stdout)
        #expect(times.count == 10)
        #expect(times.allSatisfy { $0.hasPrefix("2025-02-28T05:") })
    }

    @Test("--input-format overrides detection")
    func inputFormat() throws {
        let detected = try Self.run(["parse", "Samples/traces/basic.sipdump.txt"])
        let forced = try Self.run(["parse", "--input-format", "sipdump", "Samples/traces/basic.sipdump.txt"])
        #expect(forced.stdout == detected.stdout)
        let wrong = try Self.run(["parse", "--input-format", "sngrep", "Samples/traces/basic.sipdump.txt"])
        #expect(wrong.status == 0)
        #expect(wrong.stdout.isEmpty)
        #expect(wrong.stderr.contains("calls: 0"))
    }

    @Test("CSV has a header and one row per call")
    func csv() throws {
        let run = try Self.run(["parse", "--format", "csv", "Samples/traces/busy-fail.pcap"])
        let lines = run.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 7)
        #expect(lines.first?.hasPrefix("id,profile,direction,call_id") == true)
    }

    @Test("unusable input: exit 2 and one line naming the file")
    func unusable() throws {
        let garbage = NSTemporaryDirectory() + "sipmeter-cli-garbage-\(UUID().uuidString)"
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: garbage))
        let run = try Self.run(["parse", garbage, "Samples/traces/basic.pcap"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("error: \(garbage): unknown input format"))
        #expect(run.stdout.split(separator: "\n").count == 5, "the usable input is still read")
    }

    @Test("argument and profile errors are one clear line")
    func badArguments() throws {
        let date = try Self.run(["parse", "--date", "23/11/2026", "Samples/traces/basic.pcap"])
        #expect(date.status != 0)
        #expect(date.stderr.contains("--date '23/11/2026' is not a date"))

        let profiles = NSTemporaryDirectory() + "sipmeter-profiles-\(UUID().uuidString).yaml"
        try "profiles:\n  - name: a\n    from_user: [x]\n".write(toFile: profiles, atomically: true, encoding: .utf8)
        let bad = try Self.run(["parse", "--profiles", profiles, "Samples/traces/basic.pcap"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("line 3: unknown key 'from_user'"))
    }
}
