import ArgumentParser
import AsyncHTTPClient
import Foundation
import MeteringCore
import NIOCore
import NIOHTTP1

/// Options every command shares: where the collector is and which token.
struct Connection: ParsableArguments {
    @Option(help: "Collector base URL (default: $SIPMETER_URL or http://127.0.0.1:8080).")
    var url: String?

    @Option(help: "File holding the bearer token (default: $SIPMETER_TOKEN).")
    var tokenFile: String?

    @Flag(help: "Print the collector's JSON instead of a table.")
    var json = false

    var baseURL: String {
        var u = url ?? ProcessInfo.processInfo.environment["SIPMETER_URL"] ?? "http://127.0.0.1:8080"
        while u.hasSuffix("/") { u.removeLast() }
        return u
    }

    func token() throws -> String {
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError("cannot read --token-file \(tokenFile)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("--token-file \(tokenFile) is empty") }
            return token
        }
        guard let token = ProcessInfo.processInfo.environment["SIPMETER_TOKEN"], !token.isEmpty else {
            throw ValidationError("no token: set SIPMETER_TOKEN or give --token-file FILE")
        }
        return token
    }

    /// Sends one request and returns the JSON body; a non-2xx answer becomes
    /// the collector's one-sentence error.
    func call(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json",
        gzipped: Bool = false
    ) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(try token())")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            if gzipped { request.headers.add(name: "Content-Encoding", value: "gzip") }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        } catch {
            throw CLIError("cannot reach the collector at \(baseURL): \(error)")
        }
        let buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
        let data = Data(buffer.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let message = (try? JSONValue.parse(data))?["error"]?.string
            throw CLIError("collector answered \(response.status.code): \(message ?? String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    func post(_ path: String, _ object: [String: Any]) async throws -> Data {
        try await call(.POST, path, body: Array(try JSONSerialization.data(withJSONObject: object)))
    }

    /// Prints `data` raw (`--json`) or as a table of `list`'s items.
    func show(_ data: Data, list: String?, columns: [Column]) throws {
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        try table(data, list: list, columns: columns)
    }

    /// Prints `list`'s items of the JSON `data` as a table (without its header line when `header` is false).
    func table(_ data: Data, list: String?, columns: [Column], header: Bool = true) throws {
        let root = try JSONValue.parse(data)
        let items: [JSONValue]
        if let list {
            items = root[list]?.array ?? []
        } else {
            items = [root]
        }
        var table = TextTable(headers: columns.map(\.title), rightAligned: Set(columns.indices.filter { columns[$0].right }))
        for item in items { table.add(columns.map { item[$0.key]?.text ?? "-" }) }
        let text = table.text
        print(header ? text : String(text.drop { $0 != "\n" }.dropFirst()), terminator: "")
    }
}

/// A JSON value that keeps booleans and numbers apart (JSONSerialization on
/// Linux hands both back as NSNumber, so 0 would print as "no").
enum JSONValue: Decodable {
    case null, bool(Bool), int(Int64), number(String), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let d = try? c.decode(Decimal.self) {
            self = .number("\(d)")
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    static func parse(_ data: Data) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw CLIError("the collector's answer is not JSON")
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var int: Int? {
        if case .int(let i) = self { return Int(i) }
        return nil
    }

    /// How a table cell shows the value.
    var text: String {
        switch self {
        case .null: return "-"
        case .bool(let b): return b ? "yes" : "no"
        case .int(let i): return String(i)
        case .number(let n): return n
        case .string(let s): return s
        case .array(let a): return a.map(\.text).joined(separator: ",")
        case .object: return "{…}"
        }
    }
}

struct Column {
    var title: String
    var key: String
    var right = false

    init(_ title: String, _ key: String, right: Bool = false) {
        self.title = title
        self.key = key
        self.right = right
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// URL query escaping for names in paths and query strings.
func escaped(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+/?#"))) ?? s
}
