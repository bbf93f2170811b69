import Foundation
public import Yams

/// Loads SIP Profiles from YAML:
///
///     profiles:
///       - name: alice-trunk
///         from_users: [alice-trunk]
///         numbers: ["+442071234567"]
///         hosts: ["192.0.2.10"]
public enum ProfilesFile {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    private static let allowedKeys: Set<String> = ["name", "from_users", "numbers", "hosts"]

    public static func load(path: String) throws -> [SIPProfile] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "\(path): cannot read the profiles file")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    public static func parse(_ text: String, path: String = "profiles") throws -> [SIPProfile] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw LoadError(description: "\(path): \(yamlMessage(error))")
        }
        guard let root, let mapping = root.mapping else {
            throw LoadError(description: "\(path): line 1: expected a mapping with a 'profiles' key")
        }
        for (key, _) in mapping where key.string != "profiles" {
            throw LoadError(
                description: "\(path): line \(key.mark?.line ?? 0): unknown key '\(key.string ?? "?")' (expected 'profiles')")
        }
        guard let list = mapping["profiles"] else {
            throw LoadError(description: "\(path): line 1: missing key 'profiles'")
        }
        return try parse(list: list, path: path)
    }

    /// The profiles of a `profiles:` list node (also used inside the agent's config file).
    public static func parse(list: Node, path: String) throws -> [SIPProfile] {
        guard let items = list.sequence else {
            throw LoadError(description: "\(path): line \(list.mark?.line ?? 0): 'profiles' must be a list")
        }
        var profiles: [SIPProfile] = []
        var names: Set<String> = []
        for item in items {
            let line = item.mark?.line ?? 0
            guard let entry = item.mapping else {
                throw LoadError(description: "\(path): line \(line): each profile must be a mapping")
            }
            for (key, _) in entry where !allowedKeys.contains(key.string ?? "") {
                throw LoadError(
                    description:
                        "\(path): line \(key.mark?.line ?? line): unknown key '\(key.string ?? "?")' in a profile (expected name, from_users, numbers, hosts)"
                )
            }
            guard let name = entry["name"]?.string, !name.isEmpty else {
                throw LoadError(description: "\(path): line \(line): a profile needs a 'name'")
            }
            guard names.insert(name).inserted else {
                throw LoadError(description: "\(path): line \(line): profile '\(name)' is defined twice")
            }
            func list(_ key: String) throws -> [String] {
                guard let node = entry[key] else { return [] }
                guard let seq = node.sequence else {
                    throw LoadError(
                        description: "\(path): line \(node.mark?.line ?? line): '\(key)' of profile '\(name)' must be a list")
                }
                return try seq.map { element in
                    guard let s = element.string else {
                        throw LoadError(
                            description:
                                "\(path): line \(element.mark?.line ?? line): '\(key)' of profile '\(name)' must hold strings")
                    }
                    return s
                }
            }
            profiles.append(
                SIPProfile(name: name, fromUsers: try list("from_users"), numbers: try list("numbers"), hosts: try list("hosts")))
        }
        return profiles
    }

    /// Yams says `2:1: error: parser: …`; make it `line 2: YAML syntax error: …`.
    private static func yamlMessage(_ error: YamlError) -> String {
        let text = "\(error)"
        let first = text.split(separator: "\n").first.map(String.init) ?? text
        let parts = first.split(separator: ":", maxSplits: 3)
        guard parts.count == 4, let line = Int(parts[0]), Int(parts[1]) != nil else { return first }
        let detail = parts[3].drop(while: { $0 == " " })
        return "line \(line): YAML syntax error: \(detail)"
    }
}
