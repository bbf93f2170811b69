import Foundation
import Testing
@testable import SIPCapture
import SIPParsing

/// Inputs the fuzzer (Fuzz/) found problems with, replayed on every run.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let files: [String] = {
        let dir = URL(fileURLWithPath: PcapReaderTests.trace("x")).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent($0).path }
    }()

    static func frame(_ bytes: [UInt8], cuts: [Int]) -> [[UInt8]] {
        var framer = SIPStreamFramer()
        var out: [[UInt8]] = []
        var start = 0
        for cut in cuts + [bytes.count] where cut >= start {
            framer.append(bytes[start..<cut], into: &out)
            start = cut
        }
        return out
    }

    @Test("the regression inputs exist")
    func present() {
        #expect(Self.files.count >= 3)
    }

    @Test("TCP framing gives the same messages however the stream is cut", arguments: files)
    func framingIsCutIndependent(_ path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let whole = Self.frame(bytes, cuts: [])
        for cut in 0...min(bytes.count, 512) {
            #expect(Self.frame(bytes, cuts: [cut]) == whole, "cut at \(cut)")
        }
        for message in whole {
            _ = SIPParser.parse(message)
            #expect(SIPBytes.fitToContentLength(message)?.bytes == message)
        }
    }

    @Test("every reader survives the input", arguments: files)
    func readers(_ path: String) throws {
        for format in InputFormat.allCases {
            guard let source = try? CaptureInput.open(path: path, format: format) else { continue }
            var count = 0
            while let m = try? source.next(), count < 10_000 {
                _ = SIPParser.parse(m.bytes)
                count += 1
            }
        }
    }
}
