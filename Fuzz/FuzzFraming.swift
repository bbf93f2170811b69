// libFuzzer target for the framing + parsing path (built by Fuzz/build.sh).
//
// One input is used three ways:
//  (a) as a TCP byte stream fed to SIPStreamFramer in 2 or 3 chunks (split
//      points from the first byte); every framed message goes to SIPParser.
//      Checked: framing does not depend on how the stream was cut, and each
//      framed message is a fixed point of SIPBytes.fitToContentLength.
//  (b) as one datagram / log record: SIPBytes.fitToContentLength, then parse.
//  (c) as a text log: lines (split at LF, CR stripped as LineReader does) go
//      through every dialect's classify, each record's message lines through
//      TextMessageBuilder.build (the add/finish TextLogReader uses, line by
//      line), then parse; the whole
//      line list is also given to TextMessageBuilder.build once.
//
// Set FUZZ_NO_INVARIANTS=1 to check crashes/hangs only.
@testable import SIPCapture
import SIPParsing
import MeteringCore

#if canImport(Glibc)
    import Glibc
#endif

private let checkInvariants = getenv("FUZZ_NO_INVARIANTS") == nil

/// Stops the run. With FUZZ_DUMP=FILE set, the bytes that broke the
/// invariant (a framed message or a record, not the whole input) are
/// written there first, for a regression test.
private func fail(_ what: String, _ data: [UInt8]) -> Never {
    if let path = getenv("FUZZ_DUMP"), let f = fopen(path, "wb") {
        _ = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
    fatalError("invariant broken: \(what) (\(data.count) bytes)")
}

@inline(never)
private func parse(_ bytes: [UInt8]) {
    // Both scopes: the metering one runs the C code that cuts the message
    // down to the headers metering reads before libosip2 sees it.
    for scope in [SIPParser.Scope.metering, .complete] {
        switch SIPParser.parse(bytes, scope: scope) {
        case .success(let m):
            // Touch the copied strings so nothing is optimised away.
            if m.callID.isEmpty, m.viaCount < 0 { fail("impossible message", bytes) }
            if let cl = m.contentLength, cl < 0 { fail("negative Content-Length", bytes) }
        case .failure(let e):
            _ = e.description
        }
    }
    // The metering scope splits lines itself; its reference hands the same
    // lines to libosip2's whole-message parse. Where libosip2 reads the
    // headers as plain lines (no bare CR, no NUL), both must agree.
    guard checkInvariants, isPlainText(bytes) else { return }
    switch (SIPParser.parse(bytes, scope: .metering), SIPParser.parse(bytes, scope: .meteringReference)) {
    case (.success(let a), .success(let b)): if a != b { fail("metering and its reference read different fields", bytes) }
    case (.failure, .failure): break
    default: fail("metering and its reference disagree on whether the message parses", bytes)
    }
}

/// Whether libosip2's whole-message parse reads the header section as
/// plain lines: no NUL and no CR other than before an LF (C strings, and
/// a CR ends its lines), two spaces in the start line (it looks for them
/// past the line's end), and no folded line of only spaces or tabs (its
/// LWS pass then skips the next line break). Where these fail, the
/// metering scope's line split differs from it by design (see the tests).
private func isPlainText(_ bytes: [UInt8]) -> Bool {
    var i = 0
    var spaces = 0
    var line = 0
    var blank = false
    while i < bytes.count {
        let b = bytes[i]
        if b == 0 { return false }
        if b == UInt8(ascii: "\r"), i + 1 >= bytes.count || bytes[i + 1] != UInt8(ascii: "\n") { return false }
        if line == 0, b == UInt8(ascii: " ") { spaces += 1 }
        if b == UInt8(ascii: "\n") {
            if line == 0, spaces < 2 { return false }
            if line > 0, blank { return false }
            line += 1
            blank = i + 1 < bytes.count && (bytes[i + 1] == UInt8(ascii: " ") || bytes[i + 1] == UInt8(ascii: "\t"))
        } else if blank, b != UInt8(ascii: " "), b != UInt8(ascii: "\t"), b != UInt8(ascii: "\r") {
            blank = false
        }
        // The header section ends at the first empty line.
        if b == UInt8(ascii: "\n"), i + 1 < bytes.count,
            bytes[i + 1] == UInt8(ascii: "\n")
                || (bytes[i + 1] == UInt8(ascii: "\r") && i + 2 < bytes.count && bytes[i + 2] == UInt8(ascii: "\n"))
        {
            return true
        }
        i += 1
    }
    return line > 0 || spaces >= 2
}

private func frame(_ chunks: [ArraySlice<UInt8>]) -> [[UInt8]] {
    var framer = SIPStreamFramer()
    var out: [[UInt8]] = []
    for chunk in chunks { framer.append(chunk, into: &out) }
    return out
}

private func fuzzFramer(_ input: [UInt8]) {
    let n = input.count
    let b0 = Int(input[0])
    // 2 chunks for even b0, 3 for odd; positions spread over the input.
    let p1 = n * ((b0 >> 1) & 0x0F) / 16
    var chunks: [ArraySlice<UInt8>]
    if b0 & 1 == 0 {
        chunks = [input[0..<p1], input[p1..<n]]
    } else {
        let p2 = p1 + (n - p1) * (b0 >> 5) / 8
        chunks = [input[0..<p1], input[p1..<p2], input[p2..<n]]
    }
    let framed = frame(chunks)
    for message in framed {
        parse(message)
        guard checkInvariants else { continue }
        message.withUnsafeBytes { b in
            // looksLikeStartLine needs 8 bytes of context: a 6-byte "ABC \n\n" can be framed
            // when more bytes follow it in the stream.
            guard b.count < 8 || SIPBytes.looksLikeStartLine(b) else { fail("framed message without start line", input) }
            guard let end = SIPBytes.headerEnd(b, limit: SIPBytes.maxHeaderBytes) else {
                fail("framed message without header end", input)
            }
            let cl = SIPBytes.contentLength(b, headerEnd: end) ?? 0
            guard cl >= 0, message.count == end + cl else { fail("framed length != header + Content-Length", input) }
        }
        guard let fitted = SIPBytes.fitToContentLength(message), !fitted.truncated, fitted.bytes == message else {
            fail("framed message is not a fixed point of fitToContentLength", input)
        }
    }
    if checkInvariants {
        let whole = frame([input[...]])
        if whole != framed {
            fail("framing depends on chunking (\(whole.count) vs \(framed.count) messages)", input)
        }
    }
}

private func fuzzFit(_ input: [UInt8]) {
    // The pre-filter that decides whether libosip2 sees a message.
    _ = input.withUnsafeBytes { SIPBytes.isNeededForMetering($0) }
    guard let (bytes, _) = SIPBytes.fitToContentLength(input) else { return }
    _ = bytes.withUnsafeBytes { SIPBytes.isNeededForMetering($0) }
    parse(bytes)
}

/// Feeds lines to one dialect the way TextLogReader does.
private func runDialect(_ dialect: inout some TextDialect, _ lines: [TextLine]) {
    var record: [TextLine] = []
    var open = false
    func finish() {
        if open, !record.isEmpty, let (bytes, _) = TextMessageBuilder.build(record),
            bytes.withUnsafeBytes({ SIPBytes.looksLikeStartLine($0) })
        {
            parse(bytes)
        }
        record = []
    }
    for line in lines {
        let indent = dialect.messageIndent
        _ = type(of: dialect).isRecordStart(line)
        switch dialect.classify(line) {
        case .begin(let meta):
            finish()
            open = true
            _ = meta.time?.rfc3339
            _ = meta.source?.description
            _ = meta.destination?.description
        case .meta(let meta):
            _ = meta.time?.rfc3339
        case .message:
            guard open else { continue }
            var bytes = line
            if indent > 0 {
                let spaces = bytes.prefix(indent).prefix(while: { $0 == 0x20 }).count
                bytes = bytes.dropFirst(spaces)
            }
            record.append(bytes)
        case .skip:
            continue
        case .end:
            finish()
            open = false
        }
    }
    finish()
}

private func fuzzText(_ input: [UInt8]) {
    // Lines are slices of the input read in place, as LineReader hands them out.
    input.withUnsafeBytes { fuzzText(lines: $0) }
}

private func fuzzText(lines raw: UnsafeRawBufferPointer) {
    var lines: [TextLine] = []
    var start = 0
    for i in raw.indices where raw[i] == 0x0A {
        var end = i
        if end > start, raw[end - 1] == 0x0D { end -= 1 }
        lines.append(raw[start..<end])
        start = i + 1
    }
    if start < raw.count { lines.append(raw[start...]) }

    if let (bytes, _) = TextMessageBuilder.build(lines) { parse(bytes) }

    var sipp = SIPpDialect(clock: LocalTimeConverter())
    runDialect(&sipp, lines)
    var sipdump = SipdumpDialect()
    runDialect(&sipdump, lines)
    var sngrep = SngrepDialect(clock: LocalTimeConverter())
    runDialect(&sngrep, lines)
    var freeswitch = FreeSWITCHDialect(clock: LocalTimeConverter(), date: (2026, 11, 23))
    runDialect(&freeswitch, lines)
    var asterisk = AsteriskDialect(clock: LocalTimeConverter(), year: 2026)
    runDialect(&asterisk, lines)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInit(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>
) -> Int32 {
    setenv("TZ", "Europe/London", 1)
    tzset()
    SIPParser.initialize()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    fuzzFramer(input)
    fuzzFit(input)
    fuzzText(input)
    return 0
}
