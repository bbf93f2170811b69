import Testing
import MeteringCore
import CallCorrelation

@Suite("SIP Profiles")
struct ProfileTests {
    static let matcher = ProfileMatcher(profiles: [
        SIPProfile(
            name: "alice-trunk", fromUsers: ["alice-trunk", "+15550001"], numbers: ["+44 20 7123 4567"], hosts: ["192.0.2.10"]),
        SIPProfile(name: "sales", fromUsers: ["sales"], numbers: ["0044 20 7946 0018"]),
    ])

    @Test("outbound by From user, or by P-Asserted-Identity")
    func outbound() {
        #expect(
            Self.matcher.match(fromUser: "alice-trunk", assertedUser: nil, requestUser: "33142685300", toUser: nil, hosts: [])
                == ("alice-trunk", .outbound))
        #expect(
            Self.matcher.match(fromUser: "anonymous", assertedUser: "+15550001", requestUser: "1", toUser: nil, hosts: []) == (
                "alice-trunk", .outbound
            ))
    }

    @Test("inbound by a DID in the Request-URI or To, compared normalised")
    func inbound() {
        #expect(
            Self.matcher.match(fromUser: "someone", assertedUser: nil, requestUser: "442071234567", toUser: nil, hosts: []) == (
                "alice-trunk", .inbound
            ))
        #expect(
            Self.matcher.match(fromUser: "someone", assertedUser: nil, requestUser: "s", toUser: "+442079460018", hosts: []) == (
                "sales", .inbound
            ))
    }

    @Test("hosts, when given and known, must match one end of the INVITE")
    func hosts() {
        #expect(
            Self.matcher.match(
                fromUser: "alice-trunk", assertedUser: nil, requestUser: "1", toUser: nil, hosts: ["198.51.100.1", "192.0.2.10"]
            ).profile == "alice-trunk")
        #expect(
            Self.matcher.match(
                fromUser: "alice-trunk", assertedUser: nil, requestUser: "1", toUser: nil,
                hosts: ["198.51.100.1", "198.51.100.2"]
            ).profile == nil)
    }

    @Test("no match: profile null, direction unknown")
    func none() {
        let m = Self.matcher.match(fromUser: "bob", assertedUser: nil, requestUser: "999", toUser: "999", hosts: [])
        #expect(m.profile == nil && m.direction == .unknown)
    }

    @Test(
        "profile file errors name the line",
        arguments: [
            ("profiles:\n  - name: a\n    colour: red\n", "line 3: unknown key 'colour'"),
            ("profiles:\n  - from_users: [x]\n", "line 2: a profile needs a 'name'"),
            ("profiles:\n  - name: a\n  - name: a\n", "line 3: profile 'a' is defined twice"),
            ("profiles:\n  - name: a\n    numbers: \"+1\"\n", "'numbers' of profile 'a' must be a list"),
            ("trunks: []\n", "unknown key 'trunks'"),
            ("profiles: [\n", "line 2: YAML syntax error"),
        ])
    func errors(_ yaml: String, _ expected: String) {
        do {
            _ = try ProfilesFile.parse(yaml, path: "p.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("p.yaml: "))
            #expect(text.contains(expected), "\(text)")
            #expect(!text.contains("\n"))
        }
    }
}
