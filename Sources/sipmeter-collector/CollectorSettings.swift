import ArgumentParser
import Foundation
import Yams

/// The collector's settings file (see Deploy/collector.yaml).
struct CollectorSettings {
    var db: String?
    var listen = "127.0.0.1:8080"
    var logLevel = "info"

    init() {}

    /// Reads `db`, `listen` and `log_level`; errors name the file, line and key.
    init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(path): cannot read the file")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw ValidationError("\(path): YAML syntax error: \(error)")
        }
        guard let mapping = node?.mapping else { throw ValidationError("\(path): expected a mapping of settings") }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let line = keyNode.mark?.line ?? 0
            guard let text = value.string, value.scalar != nil else {
                throw ValidationError("\(path) line \(line): \(key) must be a single value")
            }
            switch key {
            case "db": db = text
            case "listen": listen = text
            case "log_level": logLevel = text
            default: throw ValidationError("\(path) line \(line): unknown key \(key) (known: db, listen, log_level)")
            }
        }
    }

    /// `"127.0.0.1:8080"` or `"[::1]:8080"` → (host, port).
    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }
}
