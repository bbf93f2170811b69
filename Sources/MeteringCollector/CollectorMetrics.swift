public import Hummingbird
public import Prometheus
internal import CreditLedger

/// The collector's Prometheus metrics. Labels are closed sets: never a
/// phone number, a Call-ID or a record id.
public struct CollectorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let recordsAccepted: Counter
    let recordsDuplicate: Counter
    let recordsRejected: Counter
    let callsUnrated: Counter
    let ingestBatches: Counter
    /// Live call events stored (`POST /v1/call-events`).
    let callEvents: Counter
    let ingestDuration: DurationHistogram
    /// Made once: looking a labelled counter up in the registry takes its
    /// lock, and these two count every `/v1/authorize` and every response.
    private let authorizations: [String: Counter]
    /// Authorizations answered on the event loop (`AuthorizeFastPath`).
    let authorizeFastPath: Counter
    private let responses: [Counter]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var byResult: [String: Counter] = [:]
        for result in ["allowed"] + DenyReason.allCases.map(\.rawValue) {
            byResult[result] = registry.makeCounter(name: "sipmeter_collector_authorizations_total", labels: [("result", result)])
        }
        authorizations = byResult
        authorizeFastPath = registry.makeCounter(name: "sipmeter_collector_authorize_fast_path_total")
        responses = (1...5).map {
            registry.makeCounter(name: "sipmeter_collector_http_responses_total", labels: [("class", "\($0)xx")])
        }
        let records = "sipmeter_collector_records_total"
        recordsAccepted = registry.makeCounter(name: records, labels: [("result", "accepted")])
        recordsDuplicate = registry.makeCounter(name: records, labels: [("result", "duplicate")])
        recordsRejected = registry.makeCounter(name: records, labels: [("result", "rejected")])
        callsUnrated = registry.makeCounter(name: "sipmeter_collector_calls_unrated_total")
        ingestBatches = registry.makeCounter(name: "sipmeter_collector_ingest_batches_total")
        callEvents = registry.makeCounter(name: "sipmeter_collector_call_events_total")
        ingestDuration = registry.makeDurationHistogram(
            name: "sipmeter_collector_ingest_seconds",
            buckets: [
                .milliseconds(5), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
                .seconds(5),
            ])
    }

    /// Alerts raised, by type.
    func alertFired(_ type: String) {
        registry.makeCounter(name: "sipmeter_collector_alerts_total", labels: [("type", type)]).increment()
    }

    /// Authorizations by result (`allowed` or a deny reason).
    func authorization(_ result: String) {
        (authorizations[result]
            ?? registry.makeCounter(name: "sipmeter_collector_authorizations_total", labels: [("result", result)]))
            .increment()
    }

    /// Webhook deliveries by outcome.
    func webhook(_ outcome: String) {
        registry.makeCounter(name: "sipmeter_collector_webhook_deliveries_total", labels: [("outcome", outcome)]).increment()
    }

    /// Responses by status class (2xx, 4xx, 5xx).
    func response(status: HTTPResponse.Status) {
        let k = status.code / 100
        if (1...5).contains(k) {
            responses[k - 1].increment()
        } else {
            registry.makeCounter(name: "sipmeter_collector_http_responses_total", labels: [("class", "\(k)xx")]).increment()
        }
    }
}
