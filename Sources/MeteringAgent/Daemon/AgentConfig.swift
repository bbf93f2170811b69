public import CallCorrelation
public import Foundation
public import SIPCapture
internal import Yams

/// The agent's config file (`sipmeter-agent run --config FILE`); see
/// `Deploy/agent.yaml`. Every error names the file, the line and the key.
public struct AgentConfig: Sendable {
    public struct Collector: Sendable {
        public var urls: [URL]
        public var tokenFile: String
        public var caFile: String?
        public var batchSize = 1000
        /// Ship at least this often when records wait (milliseconds).
        public var batchIntervalMs = 1000
    }

    /// A followed text log: files matching `paths` (globs), in `format`
    /// (detected from content when nil).
    public struct TextSource: Sendable {
        public enum Kind: String, Sendable {
            /// Followed text logs.
            case text
            /// Closed files of a capture ring buffer, each read once.
            case pcapDirectory = "pcap_dir"
            /// A HEPv3 listener (UDP and TCP on one port).
            case hep
            /// Live capture on an interface with a BPF filter.
            case capture
        }

        public var name: String
        public var kind: Kind = .text
        public var paths: [String]
        public var format: InputFormat?
        /// HEP: `IPv4:PORT` to listen on, and the capture id to keep (all when nil).
        public var listen: String?
        public var captureID: UInt32?
        /// Live capture: the interface (default `any`) and the BPF filter.
        public var interface: String?
        public var filter: String?
        /// Read files found at the first start from their beginning (true)
        /// or from their end.
        public var fromStart = true
    }

    public var name: String
    public var collector: Collector
    public var profiles: [SIPProfile]
    public var sources: [TextSource]
    public var spoolPath: String
    /// Most records the spool holds; reading pauses when it is full.
    public var spoolMaxRecords = 1_000_000
    public var metricsListen: String?
    public var pollIntervalMs = 200
    /// A record still being written when the log goes quiet this long is
    /// taken as complete (milliseconds).
    public var idleFlushMs = 500
    /// Messages of one source up to this far out of time order are put
    /// back in order (milliseconds). Each source is correlated on its own
    /// and a log or capture is written in time order, so the daemon's
    /// default is shorter than `parse`'s: it is also how long a finished
    /// call waits before its record is shipped.
    public var reorderWindowMs = 500

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func load(path: String) throws(Failure) -> AgentConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot read the config file")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    // swiftlint:disable:next function_body_length
    public static func parse(_ text: String, path: String) throws(Failure) -> AgentConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Failure(
                description: "\(path): YAML syntax error: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        let reader = ConfigReader(path: path)
        guard let top = root?.mapping else { throw reader.fail(root, "expected a mapping of settings") }
        try reader.only(
            top,
            [
                "agent", "collector", "profiles", "sources", "spool", "metrics", "poll_interval_ms", "idle_flush_ms",
                "reorder_window_ms",
            ],
            in: "the config")
        let agent = try reader.mapping(top, "agent")
        try reader.only(agent, ["name"], in: "agent")
        let name = try reader.string(agent, "name", in: "agent")

        let c = try reader.mapping(top, "collector")
        try reader.only(c, ["urls", "token_file", "ca_file", "batch_size", "batch_interval_ms"], in: "collector")
        var urls: [URL] = []
        for (node, text) in try reader.strings(c, "urls", in: "collector") {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw reader.fail(node, "collector.urls: \"\(text)\" is not an http:// or https:// URL")
            }
            urls.append(url)
        }
        guard !urls.isEmpty else { throw reader.fail(c["urls"], "collector.urls must list at least one URL") }
        let tokenFile = try reader.string(c, "token_file", in: "collector")
        guard FileManager.default.isReadableFile(atPath: tokenFile),
            let token = FileManager.default.contents(atPath: tokenFile),
            !String(decoding: token, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw reader.fail(c["token_file"], "collector.token_file: cannot read a token from \(tokenFile)")
        }
        var collector = Collector(urls: urls, tokenFile: tokenFile)
        if c["ca_file"] != nil {
            let ca = try reader.string(c, "ca_file", in: "collector")
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw reader.fail(c["ca_file"], "collector.ca_file: cannot read \(ca)")
            }
            collector.caFile = ca
        }
        collector.batchSize = try reader.int(c, "batch_size", in: "collector", range: 1...10_000) ?? 1000
        collector.batchIntervalMs = try reader.int(c, "batch_interval_ms", in: "collector", range: 10...600_000) ?? 1000

        guard let profilesNode = top["profiles"] else { throw reader.fail(root, "missing key 'profiles'") }
        let profiles: [SIPProfile]
        do {
            profiles = try ProfilesFile.parse(list: profilesNode, path: path)
        } catch {
            throw Failure(description: "\(error)")
        }

        guard let sourceList = top["sources"]?.sequence, !sourceList.isEmpty else {
            throw reader.fail(top["sources"] ?? root, "sources must be a non-empty list")
        }
        var sources: [TextSource] = []
        for (i, item) in sourceList.enumerated() {
            guard let s = item.mapping else { throw reader.fail(item, "each source must be a mapping") }
            try reader.only(
                s, ["name", "type", "paths", "format", "from_start", "listen", "capture_id", "interface", "filter"],
                in: "a source")
            let type = try reader.string(s, "type", in: "a source")
            guard let kind = TextSource.Kind(rawValue: type) else {
                throw reader.fail(s["type"], "sources: type \"\(type)\" is not one of text, pcap_dir, hep, capture")
            }
            let sourceName = s["name"] == nil ? "source\(i + 1)" : try reader.string(s, "name", in: "a source")
            if kind == .capture {
                var capture = TextSource(name: sourceName, kind: .capture, paths: [], format: nil)
                capture.interface = s["interface"] == nil ? "any" : try reader.string(s, "interface", in: "a source")
                capture.filter =
                    s["filter"] == nil ? "udp port 5060 or tcp port 5060" : try reader.string(s, "filter", in: "a source")
                sources.append(capture)
                continue
            }
            if kind == .hep {
                let listen = try reader.string(s, "listen", in: "a source")
                guard HEPListener.hostPort(listen) != nil else {
                    throw reader.fail(s["listen"], "sources: listen \"\(listen)\" is not IPv4:PORT")
                }
                var hep = TextSource(name: sourceName, kind: .hep, paths: [], format: nil, listen: listen)
                if let id = s["capture_id"] {
                    guard let v = id.int, v >= 0, v <= Int(UInt32.max) else {
                        throw reader.fail(id, "capture_id must be a whole number from 0 to 4294967295")
                    }
                    hep.captureID = UInt32(v)
                }
                sources.append(hep)
                continue
            }
            let globs = try reader.strings(s, "paths", in: "a source")
            // A capture directory may be empty until the first file closes.
            for (node, glob) in globs where kind == .text && Glob.expand(glob).isEmpty {
                throw reader.fail(node, "sources: \"\(glob)\" matches no file")
            }
            var format: InputFormat?
            if s["format"] != nil {
                let f = try reader.string(s, "format", in: "a source")
                guard let parsed = InputFormat(rawValue: f), parsed != .pcap else {
                    throw reader.fail(
                        s["format"], "sources: format \"\(f)\" is not one of sipp, sipdump, sngrep, freeswitch, asterisk")
                }
                format = parsed
            }
            var source = TextSource(name: sourceName, kind: kind, paths: globs.map(\.1), format: format)
            if let flag = s["from_start"] {
                guard let b = flag.bool else { throw reader.fail(flag, "from_start must be true or false") }
                source.fromStart = b
            }
            sources.append(source)
        }
        guard Set(sources.map(\.name)).count == sources.count else {
            throw reader.fail(top["sources"], "sources: two sources have the same name")
        }

        let spool = try reader.mapping(top, "spool")
        try reader.only(spool, ["path", "max_records"], in: "spool")
        let spoolPath = try reader.string(spool, "path", in: "spool")
        let directory = (spoolPath as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) else {
            throw reader.fail(spool["path"], "spool.path: the directory \(directory) is not writable")
        }
        var config = AgentConfig(
            name: name, collector: collector, profiles: profiles, sources: sources, spoolPath: spoolPath)
        config.spoolMaxRecords = try reader.int(spool, "max_records", in: "spool", range: 100...100_000_000) ?? 1_000_000
        if let metrics = top["metrics"]?.mapping {
            try reader.only(metrics, ["listen"], in: "metrics")
            config.metricsListen = try reader.string(metrics, "listen", in: "metrics")
        }
        config.pollIntervalMs = try reader.int(top, "poll_interval_ms", in: "the config", range: 10...10_000) ?? 200
        config.idleFlushMs = try reader.int(top, "idle_flush_ms", in: "the config", range: 10...60_000) ?? 500
        config.reorderWindowMs = try reader.int(top, "reorder_window_ms", in: "the config", range: 0...60_000) ?? 500
        return config
    }

    /// The bearer token, read fresh (rotating the file needs no restart).
    public func token() -> String {
        let data = FileManager.default.contents(atPath: collector.tokenFile) ?? Data()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Typed access to YAML nodes with errors that name file, line and key.
struct ConfigReader {
    let path: String

    func fail(_ node: Node?, _ message: String) -> AgentConfig.Failure {
        AgentConfig.Failure(description: "\(path): line \(node?.mark?.line ?? 1): \(message)")
    }

    func only(_ mapping: Node.Mapping, _ keys: Set<String>, in place: String) throws(AgentConfig.Failure) {
        for (key, _) in mapping where !keys.contains(key.string ?? "") {
            throw fail(key, "unknown key '\(key.string ?? "?")' in \(place) (known: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    func mapping(_ parent: Node.Mapping, _ key: String) throws(AgentConfig.Failure) -> Node.Mapping {
        guard let node = parent[key] else { throw fail(nil, "missing key '\(key)'") }
        guard let m = node.mapping else { throw fail(node, "'\(key)' must be a mapping") }
        return m
    }

    func string(_ parent: Node.Mapping, _ key: String, in place: String) throws(AgentConfig.Failure) -> String {
        guard let node = parent[key] else { throw fail(nil, "missing key '\(key)' in \(place)") }
        guard node.scalar != nil, let s = node.string, !s.isEmpty else { throw fail(node, "'\(key)' must be a non-empty string") }
        return s
    }

    func strings(_ parent: Node.Mapping, _ key: String, in place: String) throws(AgentConfig.Failure) -> [(Node, String)] {
        guard let node = parent[key] else { throw fail(nil, "missing key '\(key)' in \(place)") }
        guard let seq = node.sequence else { throw fail(node, "'\(key)' must be a list") }
        var out: [(Node, String)] = []
        for element in seq {
            guard element.scalar != nil, let s = element.string else { throw fail(element, "'\(key)' must hold strings") }
            out.append((element, s))
        }
        return out
    }

    func int(_ parent: Node.Mapping, _ key: String, in place: String, range: ClosedRange<Int>) throws(AgentConfig.Failure) -> Int?
    {
        guard let node = parent[key] else { return nil }
        guard let v = node.int, range.contains(v) else {
            throw fail(node, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }
}

/// Shell-style globs through glob(3).
public enum Glob {
    public static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted()
    }
}
