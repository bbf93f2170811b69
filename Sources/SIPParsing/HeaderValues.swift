/// Small parsers for header values libosip2 leaves as text.
enum HeaderValues {
    /// The user part of the first SIP/SIPS/TEL URI in a name-addr value,
    /// e.g. `"Alice" <sip:+4420@host;user=phone>` → `+4420`.
    static func uriUser(in value: String) -> String? {
        var rest = Substring(value)
        if let open = rest.firstIndex(of: "<") {
            rest = rest[rest.index(after: open)...]
            if let close = rest.firstIndex(of: ">") { rest = rest[..<close] }
        }
        rest = rest.drop(while: { $0 == " " })
        for scheme in ["sips:", "sip:", "tel:"] where rest.lowercased().hasPrefix(scheme) {
            let afterScheme = rest.dropFirst(scheme.count)
            let user = afterScheme.prefix(while: { $0 != "@" && $0 != ";" && $0 != ">" && $0 != " " && $0 != "?" })
            if scheme == "tel:" { return user.isEmpty ? nil : String(user) }
            return afterScheme.contains("@") && !user.isEmpty ? String(user) : nil
        }
        return nil
    }

    /// `90;refresher=uac` → (90, "uac") (RFC 4028 §4).
    static func sessionExpires(_ value: String) -> (Int?, String?) {
        let parts = value.split(separator: ";")
        guard let first = parts.first else { return (nil, nil) }
        let seconds = Int(first.trimmingSpaces)
        var refresher: String?
        for param in parts.dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingSpaces.lowercased() == "refresher" {
                refresher = kv[1].trimmingSpaces.lowercased()
            }
        }
        return (seconds, refresher)
    }

    /// `Q.850;cause=16;text="Normal call clearing"` → 16 (RFC 3326).
    static func q850Cause(_ value: String) -> Int? {
        let parts = value.split(separator: ";")
        guard let proto = parts.first, proto.trimmingSpaces.uppercased() == "Q.850" else { return nil }
        for param in parts.dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingSpaces.lowercased() == "cause" {
                return Int(kv[1].trimmingSpaces)
            }
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
