import Foundation
import MeteringAgent
import MeteringCore
import CallCorrelation
import SIPCapture
import SIPParsing

/// Paths and loaders shared by the tests that replay real traces.
enum Traces {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent("Samples")
    }()

    static func path(_ name: String) -> String { root.appendingPathComponent("traces/\(name)").path }

    static func profiles() throws -> [SIPProfile] {
        try ProfilesFile.load(path: root.appendingPathComponent("profiles.yaml").path)
    }

    static func parse(_ names: [String], settings: CorrelationSettings = .init()) throws -> (
        records: [CallRecord], summary: ParseSummary
    ) {
        var options = ParseOptions()
        options.profiles = try profiles()
        options.settings = settings
        options.reader = ReaderOptions(date: (2026, 11, 23))
        var records: [CallRecord] = []
        let summary = ParsePipeline.run(paths: names.map(path), options: options) { records.append($0) }
        return (records, summary)
    }

    /// Feeds a trace through the correlator directly, then lets time pass
    /// with no traffic (as a live agent's clock would).
    static func correlate(_ name: String, settings: CorrelationSettings, thenAdvanceBy seconds: Int64) throws -> [CallRecord] {
        let source = try CaptureInput.open(path: path(name))
        var correlator = Correlator(settings: settings, profiles: try profiles())
        var out: [CallRecord] = []
        var last = Timestamp(microseconds: 0)
        var sequence = 0
        while let captured = try source.next() {
            guard case .success(let message) = SIPParser.parse(captured.bytes) else { continue }
            correlator.add(ObservedMessage(message: message, time: captured.time, sequence: sequence), into: &out)
            sequence += 1
            last = captured.time
        }
        correlator.advance(to: last.adding(seconds: seconds), into: &out)
        return out
    }

    /// A row of `Samples/traces/expected/*.tsv`, made from tshark output
    /// and the scenario plan (never from the agent).
    struct Expected {
        var callID: String
        var caller: String
        var callee: String
        var setup: Int64
        var answer: Int64?
        var end: Int64?
        var finalStatus: Int
        var disposition: String
        var endedBy: String?
    }

    static func expected(_ scenario: String) throws -> [Expected] {
        let text = try String(contentsOfFile: path("expected/\(scenario).tsv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func micros(_ s: String) -> Int64? {
                guard !s.isEmpty else { return nil }
                let parts = s.split(separator: ".")
                let frac = String((parts.count > 1 ? parts[1] : "") + "000000").prefix(6)
                return Int64(parts[0])! * 1_000_000 + Int64(frac)!
            }
            return Expected(
                callID: f[0], caller: f[1], callee: f[2], setup: micros(f[3])!, answer: micros(f[4]), end: micros(f[5]),
                finalStatus: Int(f[6])!, disposition: f[7], endedBy: f.count > 8 && !f[8].isEmpty ? f[8] : nil
            )
        }
    }
}
