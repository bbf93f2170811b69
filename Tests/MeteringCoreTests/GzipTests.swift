import Testing

@testable import MeteringCore

@Suite("gzip bodies")
struct GzipTests {
    /// JSON-like text that compresses far better than 8:1 (the agent's
    /// batches do, about 8.3:1 at level 1) and text that hardly compresses.
    static func samples() -> [[UInt8]] {
        let record = #"{"id":"7f3a","profile":"alice-trunk","disposition":"answered","duration_ms":100},"#
        let repetitive = Array(String(repeating: record, count: 40_000).utf8)
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return [repetitive, noise, Array("x".utf8)]
    }

    @Test("what compress makes, decompress gives back, at any ratio, from the size in the trailer")
    func roundTrip() throws {
        for data in Self.samples() {
            for level: Int32 in [1, 6] {
                let packed = Gzip.compress(data, level: level)
                #expect(Gzip.trailerSize(packed) == data.count)
                #expect(try Gzip.decompress(packed, limit: 64 << 20) == data)
            }
        }
    }

    @Test("bytes after the gzip stream (a second member) make the body corrupt, not silently shorter")
    func trailingData() {
        let samples = Self.samples()
        let packed = Gzip.compress(samples[0], level: 1) + Gzip.compress(samples[2], level: 1)
        #expect(Gzip.trailerSize(packed) == 1)
        #expect(throws: Gzip.Failure.corrupt) { try Gzip.decompress(packed, limit: 64 << 20) }
    }

    @Test("a body past the limit is refused; a wrong size in the trailer or broken data is corrupt")
    func limitsAndDamage() {
        let data = Self.samples()[0]
        let packed = Gzip.compress(data, level: 1)
        #expect(throws: Gzip.Failure.tooLarge) { try Gzip.decompress(packed, limit: data.count - 1) }
        var wrongSize = packed
        wrongSize[wrongSize.count - 4] &+= 1
        #expect(throws: Gzip.Failure.corrupt) { try Gzip.decompress(wrongSize, limit: 64 << 20) }
        var broken = packed
        broken[broken.count / 2] ^= 0xFF
        #expect(throws: Gzip.Failure.corrupt) { try Gzip.decompress(broken, limit: 64 << 20) }
    }
}
