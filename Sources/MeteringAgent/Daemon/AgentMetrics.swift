public import Prometheus

/// The agent's Prometheus metrics. Labels are source names and closed sets,
/// never a number or a Call-ID.
public final class AgentMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let recordsSpooled: Counter
    let recordsShipped: Counter
    let recordsDuplicate: Counter
    let recordsRejected: Counter
    let collectorErrors: Counter
    let spoolDepth: Gauge
    let spoolOldestAge: Gauge
    let spoolFull: Gauge
    let deadLetters: Gauge
    let shipLatency: DurationHistogram

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        recordsSpooled = registry.makeCounter(name: "sipmeter_agent_records_spooled_total")
        recordsShipped = registry.makeCounter(name: "sipmeter_agent_records_shipped_total", labels: [("result", "accepted")])
        recordsDuplicate = registry.makeCounter(name: "sipmeter_agent_records_shipped_total", labels: [("result", "duplicate")])
        recordsRejected = registry.makeCounter(name: "sipmeter_agent_records_rejected_total")
        collectorErrors = registry.makeCounter(name: "sipmeter_agent_collector_errors_total")
        spoolDepth = registry.makeGauge(name: "sipmeter_agent_spool_records")
        spoolOldestAge = registry.makeGauge(name: "sipmeter_agent_spool_oldest_age_seconds")
        spoolFull = registry.makeGauge(name: "sipmeter_agent_spool_fill_ratio")
        deadLetters = registry.makeGauge(name: "sipmeter_agent_dead_letters")
        shipLatency = registry.makeDurationHistogram(
            name: "sipmeter_agent_ship_seconds",
            buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(200), .seconds(1), .seconds(5), .seconds(30)])
    }

    /// Per-source counters (messages read, malformed, open dialogs).
    func source(_ name: String, messages: Int, malformed: Int, bytes: Int64) {
        registry.makeGauge(name: "sipmeter_agent_messages_read", labels: [("source", name)]).set(Double(messages))
        registry.makeGauge(name: "sipmeter_agent_messages_malformed", labels: [("source", name)]).set(Double(malformed))
        registry.makeGauge(name: "sipmeter_agent_bytes_read", labels: [("source", name)]).set(Double(bytes))
    }
}
