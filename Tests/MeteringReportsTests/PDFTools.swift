import Foundation

/// poppler's command-line tools run on a PDF held in memory; each call
/// writes the bytes to a fresh temporary directory.
enum PDFTools {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `pdftotext -layout` output; pages end in a form feed.
    static func text(of pdf: [UInt8]) throws -> String {
        try withTemporaryPDF(pdf) { dir, file in
            let out = dir.appendingPathComponent("out.txt")
            _ = try run("/usr/bin/pdftotext", ["-layout", "-enc", "UTF-8", file.path, out.path])
            return try String(contentsOf: out, encoding: .utf8)
        }
    }

    /// The texts of the pages, split on the form feed pdftotext ends each page with.
    static func pages(of pdf: [UInt8]) throws -> [String] {
        var pages = try text(of: pdf).components(separatedBy: "\u{0C}")
        if pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { pages.removeLast() }
        return pages
    }

    /// `pdfinfo` as key → value.
    static func info(of pdf: [UInt8]) throws -> [String: String] {
        try withTemporaryPDF(pdf) { _, file in
            var info: [String: String] = [:]
            for line in try run("/usr/bin/pdfinfo", [file.path]).split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                info[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return info
        }
    }

    private static func withTemporaryPDF<T>(_ pdf: [UInt8], _ body: (URL, URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipmeter-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("report.pdf")
        try Data(pdf).write(to: file)
        return try body(dir, file)
    }

    /// Runs a tool with small output and returns its standard output.
    private static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(tool) exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
