import Testing
import SIPCapture

@Suite("framing helpers")
struct SIPBytesTests {
    static func needed(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { SIPBytes.isNeededForMetering($0) }
    }

    static func response(_ cseq: String) -> String {
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\n\(cseq)\r\nContent-Length: 0\r\n\r\n"
    }

    @Test(
        "only what correlation reads goes to libosip2",
        arguments: [
            ("ACK sip:a@b SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n", false),
            ("INVITE sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n", true),
            ("BYE sip:a@b SIP/2.0\r\nCSeq: 2 BYE\r\n\r\n", true),
            ("CANCEL sip:a@b SIP/2.0\r\nCSeq: 1 CANCEL\r\n\r\n", true),
            (response("CSeq: 1 INVITE"), true),
            (response("cseq:1 UPDATE"), true),
            (response("CSeq: 2 BYE"), false),
            (response("CSeq: 1 CANCEL"), false),
            (response("CSeq: 7 OPTIONS"), false),
            (response("CSeq: 1 INVITEX"), false),
            (response("X-No-CSeq: here"), true),
            (response("CSeq: 1"), true),
            ("SIP/2.0 100 Trying\r\nCSeq: 1 INVITE\r\n\r\n", false),
            ("SIP/2.0 180 Ringing\r\nCSeq: 1 INVITE\r\n\r\n", true),
            ("SIP/2.0 1000 Odd\r\nCSeq: 1 INVITE\r\n\r\n", true),
        ])
    func relevance(_ text: String, _ expected: Bool) {
        #expect(Self.needed(text) == expected)
    }

    @Test("a followed source also keeps the final responses to BYE")
    func liveFilter() {
        func keeps(_ filter: MessageFilter, _ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { filter.keeps($0) }
        }
        let bye200 = Self.response("CSeq: 2 BYE")
        let bye180 = "SIP/2.0 180 Odd\r\nCSeq: 2 BYE\r\n\r\n"
        #expect(keeps(.live, bye200))
        #expect(!keeps(.metering, bye200))
        #expect(keeps(.all, bye200))
        #expect(!keeps(.live, bye180))
        #expect(!keeps(.live, Self.response("CSeq: 1 CANCEL")))
        #expect(!keeps(.live, "ACK sip:a@b SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n"))
        #expect(keeps(.live, Self.response("CSeq: 1 INVITE")))
    }
}
