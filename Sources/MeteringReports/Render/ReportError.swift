/// Why a report could not be produced; `description` is one sentence for a
/// CLI message or an HTTP error body.
public enum ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The creation date is not `YYYY-MM-DDThh:mm:ss` with an optional `Z` or `±hh:mm`.
    case invalidCreationDate(String)
    /// The table has no columns, so there is nothing to draw.
    case noColumns
    /// cairo reported a failure; `status` is cairo's own text for it.
    case cairo(operation: String, status: String)

    public var description: String {
        switch self {
        case .invalidCreationDate(let text):
            return "The PDF creation date \"\(text)\" is not an ISO 8601 date-time such as 2025-03-31T00:00:00Z."
        case .noColumns:
            return "The report has no columns to render."
        case .cairo(let operation, let status):
            return "cairo could not \(operation): \(status)."
        }
    }
}
