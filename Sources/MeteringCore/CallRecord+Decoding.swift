/// Decoding of the call record wire format (DESIGN.md), one record at a time,
/// so that a batch can reject a bad record and accept the rest.
extension CallRecord: Decodable {
    enum Key: String, CodingKey {
        case id, profile, direction, caller, callee, disposition, flags, source
        case callID = "call_id", fromTag = "from_tag", toTag = "to_tag"
        case setupTime = "setup_time", progressTime = "progress_time", answerTime = "answer_time", endTime = "end_time"
        case durationMs = "duration_ms", finalStatus = "final_status", endedBy = "ended_by"
        case q850Cause = "q850_cause", pddMs = "pdd_ms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func time(_ key: Key) throws -> Timestamp? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let (t, hasZone) = Timestamp.parseRFC3339(Substring(text)), hasZone else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "\(key.rawValue) is not an RFC 3339 time with a zone")
            }
            return t
        }
        func required<T>(_ value: T?, _ key: Key) throws -> T {
            guard let value else {
                throw DecodingError.valueNotFound(
                    T.self, .init(codingPath: [key], debugDescription: "\(key.rawValue) is missing or null"))
            }
            return value
        }
        let flagNames = try c.decodeIfPresent([String].self, forKey: .flags) ?? []
        self.init(
            id: try c.decode(String.self, forKey: .id),
            profile: try c.decodeIfPresent(String.self, forKey: .profile),
            direction: try c.decode(Direction.self, forKey: .direction),
            callID: try c.decode(String.self, forKey: .callID),
            fromTag: try c.decodeIfPresent(String.self, forKey: .fromTag) ?? "",
            toTag: try c.decodeIfPresent(String.self, forKey: .toTag),
            caller: try c.decodeIfPresent(String.self, forKey: .caller) ?? "",
            callee: try c.decode(String.self, forKey: .callee),
            setupTime: try required(try time(.setupTime), .setupTime),
            progressTime: try time(.progressTime),
            answerTime: try time(.answerTime),
            endTime: try required(try time(.endTime), .endTime),
            durationMs: try c.decode(Int64.self, forKey: .durationMs),
            disposition: try c.decode(Disposition.self, forKey: .disposition),
            finalStatus: try c.decodeIfPresent(Int.self, forKey: .finalStatus),
            endedBy: try c.decodeIfPresent(EndedBy.self, forKey: .endedBy),
            // Flags a newer agent adds are kept out rather than failing the record.
            flags: flagNames.compactMap(CallFlag.init(rawValue:)),
            q850Cause: try c.decodeIfPresent(Int.self, forKey: .q850Cause),
            pddMs: try c.decodeIfPresent(Int64.self, forKey: .pddMs),
            source: try c.decodeIfPresent(String.self, forKey: .source)
        )
    }
}

/// One element of a record batch: the record, or why it could not be read
/// (with its id when that much was readable).
public struct IncomingRecord: Decodable, Sendable {
    public var id: String?
    public var result: Result<CallRecord, RecordDecodingError>

    public init(id: String?, result: Result<CallRecord, RecordDecodingError>) {
        self.id = id
        self.result = result
    }

    public init(from decoder: any Decoder) throws {
        let keyed = try? decoder.container(keyedBy: CallRecord.Key.self)
        id = try? keyed?.decodeIfPresent(String.self, forKey: .id)
        do {
            result = .success(try CallRecord(from: decoder))
        } catch let error as DecodingError {
            result = .failure(RecordDecodingError(error))
        } catch {
            result = .failure(RecordDecodingError(message: "unreadable record"))
        }
    }
}

/// A one-sentence reason a record could not be decoded, naming the field.
public struct RecordDecodingError: Error, Sendable, Hashable {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    init(_ error: DecodingError) {
        func field(_ path: [any CodingKey]) -> String {
            path.last.map { $0.stringValue } ?? "record"
        }
        switch error {
        case .keyNotFound(let key, _):
            message = "\(key.stringValue) is missing"
        case .valueNotFound(_, let context):
            message = "\(field(context.codingPath)) is missing or null"
        case .typeMismatch(let type, let context):
            message = "\(field(context.codingPath)) is not a \(Self.typeName(type))"
        case .dataCorrupted(let context):
            message = context.debugDescription.isEmpty ? "\(field(context.codingPath)) is invalid" : context.debugDescription
        @unknown default:
            message = "unreadable record"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Int64.Type, is Int.Type: return "whole number"
        case is [String].Type: return "list of strings"
        default: return "\(type)"
        }
    }
}
