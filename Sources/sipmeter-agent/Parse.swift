import ArgumentParser
import Foundation
import MeteringAgent
import MeteringCore
import SIPCapture
import CallCorrelation

#if canImport(CMimalloc)
    import CMimalloc
#endif

struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes one call record per call found in the inputs to stdout, sorted by setup time.",
        discussion: """
            Inputs are pcap/pcapng captures or SIP text logs (SIPp -trace_msg, Kamailio sipdump, \
            sngrep text export, FreeSWITCH siptrace, Asterisk PJSIP logger), plain or gzip; the \
            format is detected from content. A summary goes to stderr. Exit status 0 on success, \
            2 when an input is unusable.
            """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv, table
    }

    @Option(name: .long, help: "YAML file of SIP Profiles.")
    var profiles: String?

    @Option(name: .long, help: "Output format: jsonl, csv or table.")
    var format: OutputFormat = .jsonl

    @Option(
        name: .long, help: "Input format instead of detection: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var inputFormat: InputFormatArgument?

    @Option(name: .long, help: "Local date (YYYY-MM-DD) for logs that carry only the time of day.")
    var date: String?

    @Option(name: .long, help: "Close an answered call with no BYE and no session timer after this many seconds.")
    var maxDuration: Int64 = 4 * 3600

    @Option(name: .long, help: "Seconds of reordering tolerated between messages.")
    var reorderWindow: Int64 = 2

    @Flag(
        name: .long,
        help:
            "Parse every message with libosip2, whole (every header and the body), also ACKs and responses to BYE that metering never reads, so malformed ones are counted too."
    )
    var parseAll = false

    @Option(name: .long, help: "Parser threads (libosip2).")
    var threads: Int = 2

    @Argument(help: "Capture or log files.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one capture or log file.") }
        if let date, DateArgument.parse(date) == nil {
            throw ValidationError("--date '\(date)' is not a date of the form YYYY-MM-DD.")
        }
        if maxDuration <= 0 { throw ValidationError("--max-duration must be a positive number of seconds.") }
        if reorderWindow < 0 || reorderWindow > 60 { throw ValidationError("--reorder-window must be between 0 and 60 seconds.") }
        if threads < 1 || threads > 64 { throw ValidationError("--threads must be between 1 and 64.") }
    }

    func run() throws {
        #if canImport(CMimalloc)
            // A parse is a batch job: messages are made on the parser threads
            // and freed on the correlator's, and mimalloc gave emptied pages
            // back to the system after 25 ms, to fault them in again moments
            // later (60,000 page faults per 100,000 calls; 26,000 at 250 ms,
            // for about 20 MiB more peak RSS). The daemon keeps the default.
            mi_option_set(mi_option_decommit_delay, 250)
        #endif
        var options = ParseOptions()
        if let profiles {
            do {
                options.profiles = try ProfilesFile.load(path: profiles)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        options.inputFormat = inputFormat?.format
        options.reader = ReaderOptions(date: date.flatMap(DateArgument.parse))
        options.settings.maxDuration = maxDuration
        options.settings.reorderWindowMs = reorderWindow * 1000
        options.parserThreads = threads
        options.parseAll = parseAll

        let out = RecordWriter(format: format)
        let summary = ParsePipeline.run(paths: files, options: options) { out.write($0) }
        out.finish()
        SummaryPrinter.print(summary)
        if !summary.unusable.isEmpty { throw ExitCode(2) }
    }
}

/// `--input-format` values (the reader's formats, as CLI arguments).
enum InputFormatArgument: String, ExpressibleByArgument, CaseIterable {
    case pcap, sipp, sipdump, sngrep, freeswitch, asterisk

    var format: InputFormat? { InputFormat(rawValue: rawValue) }
}

enum DateArgument {
    static func parse(_ text: String) -> (year: Int64, month: Int64, day: Int64)? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        return (y, m, d)
    }
}
