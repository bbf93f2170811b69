import MeteringCore
import RatingEngine
import Testing

@Suite("Rate deck CSV and money text")
struct RateDeckCSVTests {
    @Test("parses the DESIGN.md example with header, quotes, comments and CRLF")
    func parses() throws {
        let csv =
            "prefix,description,rate_per_minute,connect_fee,initial_seconds,increment_seconds\r\n"
            + "# comment\r\n44,United Kingdom,0.0210,0,60,6\r\n\r\n1907,\"United States, Alaska\",0.012345,0.01,1,1\n"
        let deck = try RateDeck(csv: csv)
        #expect(deck.entries.count == 2)
        #expect(deck.entries[1].description == "United States, Alaska")
        #expect(deck.entries[1].ratePerMinute.micros == 12_345)
        #expect(deck.entries[1].connectFee.description == "0.0100")
        // Round trip through the writer.
        let again = try RateDeck(csv: deck.csv)
        #expect(again.entries == deck.entries)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var csv: String
        var message: String
        var testDescription: String { message }
    }

    static let bad: [Bad] = [
        Bad(csv: "44,UK,0.02,0,60\n", message: "rate deck line 1: expected 6 fields, found 5"),
        Bad(csv: "44,UK,0.02,0,60,6\n4x,Bad,0.02,0,60,6\n", message: "rate deck line 2: prefix \"4x\" is not 1 to 24 digits"),
        Bad(
            csv: "44,UK,abc,0,60,6\n",
            message: "rate deck line 1: rate_per_minute \"abc\" is not a decimal ≥ 0 with at most 6 decimals"),
        Bad(
            csv: "44,UK,0.1234567,0,60,6\n",
            message: "rate deck line 1: rate_per_minute \"0.1234567\" is not a decimal ≥ 0 with at most 6 decimals"),
        Bad(
            csv: "44,UK,-0.1,0,60,6\n",
            message: "rate deck line 1: rate_per_minute \"-0.1\" is not a decimal ≥ 0 with at most 6 decimals"),
        Bad(
            csv: "44,UK,0.1,0,60,0\n",
            message: "rate deck line 1: increment_seconds \"0\" is not a whole number of seconds (1 to 86400)"),
        Bad(
            csv: "44,UK,0.1,0,x,6\n",
            message: "rate deck line 1: initial_seconds \"x\" is not a whole number of seconds (0 to 86400)"),
        Bad(csv: "# only\n\n", message: "rate deck line 2: no rates in the deck"),
        Bad(
            csv: "1,A,0.1,0,1,1\n\n44,UK,0.1,0,1,1\n44,UK again,0.1,0,1,1\n", message: "rate deck line 4: prefix 44 appears twice"
        ),
        Bad(csv: "44,\"UK,0.1,0,1,1\n", message: "rate deck line 1: a quoted field is never closed"),
    ]

    @Test("bad decks name the line and the field", arguments: bad)
    func badDeck(_ c: Bad) {
        #expect(throws: RateDeckError.self) { try RateDeck(csv: c.csv) }
        do {
            _ = try RateDeck(csv: c.csv)
        } catch {
            #expect(error.description == c.message)
        }
    }

    @Test("money text is exact: parse, format, refuse what would round")
    func money() {
        #expect(Money(decimal: "12.34")?.units == 123_400)
        #expect(Money(decimal: "12.34")?.description == "12.3400")
        #expect(Money(decimal: "-0.0001")?.description == "-0.0001")
        #expect(Money(decimal: "0")?.description == "0.0000")
        #expect(Money(decimal: ".5")?.units == 5_000)
        #expect(Money(decimal: "1.00001") == nil)
        #expect(Money(decimal: "1e3") == nil)
        #expect(Money(decimal: "") == nil)
        #expect(Money(decimal: "-") == nil)
        #expect(Money(decimal: "1.2.3") == nil)
        #expect(Money(decimal: "1000000000000") == nil)
        #expect(Money(decimal: "999999999999.9999")?.units == 9_999_999_999_999_999)
        #expect(Rate(decimal: "0.021")?.description == "0.0210")
        #expect(Rate(decimal: "0.012345")?.description == "0.012345")
        #expect(Rate(decimal: "-1") == nil)
    }
}
