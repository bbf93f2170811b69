import Testing
import MeteringCore

@Suite("Core value types")
struct MeteringCoreTests {
    @Test(
        "RFC 3339 UTC with microseconds, round trip",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000000Z"),
            (Int64(1_795_410_539_267_643), "2026-11-23T05:08:59.267643Z"),
            (Int64(951_782_400_000_001), "2000-02-29T00:00:00.000001Z"),
            (Int64(-1), "1969-12-31T23:59:59.999999Z"),
        ])
    func rfc3339(_ micros: Int64, _ text: String) throws {
        let t = Timestamp(microseconds: micros)
        #expect(t.rfc3339 == text)
        var bytes: [UInt8] = []
        t.appendRFC3339(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == text)
        let parsed = try #require(Timestamp.parseRFC3339(Substring(text)))
        #expect(parsed.0 == t)
        #expect(parsed.hasZone)
    }

    @Test("zone offsets are applied")
    func offsets() throws {
        let t = try #require(Timestamp.parseRFC3339("2026-11-23T06:08:59.5+01:00"))
        #expect(t.0.rfc3339 == "2026-11-23T05:08:59.500000Z")
    }

    @Test(
        "disposition table of DESIGN.md",
        arguments: [
            (200, false, Disposition.answered), (486, false, .busy), (600, true, .busy), (408, false, .noAnswer),
            (480, true, .noAnswer), (487, true, .noAnswer), (487, false, .cancelled), (401, false, .rejected),
            (402, false, .rejected), (403, false, .rejected), (407, false, .rejected), (603, false, .rejected),
            (302, false, .redirected), (500, false, .congestion), (503, false, .congestion), (504, false, .congestion),
            (404, false, .failed), (488, true, .failed),
        ])
    func dispositions(_ status: Int, _ progress: Bool, _ expected: Disposition) {
        #expect(Disposition.classify(finalStatus: status, sawProgress: progress) == expected)
    }

    @Test(
        "numbers are normalised: + and 00 prefix and non-digits stripped",
        arguments: [
            ("+44 20 7123-4567", "442071234567"), ("00442071234567", "442071234567"), ("442071234567", "442071234567"),
            ("tel-1", "1"),
        ])
    func normalise(_ raw: String, _ expected: String) {
        #expect(PhoneNumber.normalise(raw) == expected)
        // The String fast path and the generic one agree.
        #expect(PhoneNumber.normalise(Substring(raw)) == expected)
    }

    @Test(
        "the one-buffer number formatting matches the decimal text it replaced",
        arguments: [0, 1, -1, 9, 10, 99, 100, 12_345, -12_345, 1_000_000, 21_000, 20_100, 123_456_789, Int64.max, Int64.min])
    func fixedDecimal(_ value: Int64) {
        for scale in [1, 2, 4, 6] {
            // The text the former implementation built from strings.
            var factor: Int64 = 1
            for _ in 0..<scale { factor *= 10 }
            let fraction = String(value.magnitude % UInt64(factor))
            let padded = String(repeating: "0", count: scale - fraction.count) + fraction
            let expected = (value < 0 ? "-" : "") + "\(value.magnitude / UInt64(factor))." + padded
            #expect(FixedDecimal.format(value, scale: scale) == expected)
        }
        var rate = FixedDecimal.format(value, scale: Rate.scale)
        var trim = Rate.scale - Money.scale
        while trim > 0, rate.hasSuffix("0") {
            rate.removeLast()
            trim -= 1
        }
        #expect(Rate(micros: value).description == rate)
    }

    @Test("ids are deterministic and depend on every input")
    func ids() {
        let t = Timestamp(microseconds: 1)
        let a = CallRecord.makeID(profile: "p", callID: "c", fromTag: "f", setupTime: t)
        #expect(a == CallRecord.makeID(profile: "p", callID: "c", fromTag: "f", setupTime: t))
        #expect(a.count == 32)
        #expect(a != CallRecord.makeID(profile: nil, callID: "c", fromTag: "f", setupTime: t))
        #expect(a != CallRecord.makeID(profile: "p", callID: "c", fromTag: "f", setupTime: Timestamp(microseconds: 2)))
    }

    @Test(
        "an id is the MD5 of profile, Call-ID, From tag and setup microseconds joined by US (ids stored at collectors never change)",
        arguments: [Int64(0), 1, -1, 1_764_000_000_123_456, -9_000_000, Int64.min + 1])
    func idFormula(_ us: Int64) {
        let key = "trunk\u{1F}a84b4c76e66710@pc33.atlanta.com\u{1F}1928301774\u{1F}\(us)"
        let expected = Digest.md5Hex(Array(key.utf8))
        let id = CallRecord.makeID(
            profile: "trunk", callID: "a84b4c76e66710@pc33.atlanta.com", fromTag: "1928301774",
            setupTime: Timestamp(microseconds: us))
        #expect(id == expected)
        // RFC 1321's test vector: the digest itself is MD5.
        #expect(Digest.md5Hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test("CSV quoting per RFC 4180")
    func csv() {
        #expect(CSVWriter.line(["a", "b,c", "say \"hi\"", "x\ny"]) == "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\r\n")
    }

    @Test("JSON strings are escaped")
    func json() {
        var w = JSONObjectWriter()
        w.string("k", "a\"b\\c\n\u{01}")
        w.string("n", nil)
        #expect(String(decoding: w.finish(), as: UTF8.self) == #"{"k":"a\"b\\c\n\u0001","n":null}"#)
    }
}
