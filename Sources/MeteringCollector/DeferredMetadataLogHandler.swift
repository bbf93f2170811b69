public import Logging

/// swift-log's `StreamLogHandler`, except that metadata is only formatted
/// when a line is written. `StreamLogHandler` formats its whole metadata
/// each time a key is set, and Hummingbird sets a request id on every
/// request's logger: at `/v1/authorize` rates that was 5% of the
/// collector's CPU for lines that a `warning` level never writes.
public struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(standardErrorLabel label: String) {
        stream = StreamLogHandler.standardError(label: label)
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var out = stream
        out.metadata = metadata
        out.log(event: event)
    }
}
