internal import CallCorrelation
public import Logging
public import MeteringCore
public import ServiceLifecycle
internal import Synchronization

/// Set once, read from anywhere: "the agent is stopping".
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// Follows every source and commits what they produce, with their
/// checkpoints, to the spool. Pauses reading while the spool is full.
public final class SourcesService: Service, Sendable {
    let config: AgentConfig
    let spool: Spool
    let metrics: AgentMetrics
    let logger: Logger
    let events: CallEventQueue
    private let stop = StopFlag()

    public init(config: AgentConfig, spool: Spool, metrics: AgentMetrics, logger: Logger, events: CallEventQueue) {
        self.config = config
        self.spool = spool
        self.metrics = metrics
        self.logger = logger
        self.events = events
    }

    public func run() async throws {
        var followers: [any SourceFollower] = []
        var settings = CorrelationSettings()
        settings.reorderWindowMs = Int64(config.reorderWindowMs)
        for source in config.sources {
            let checkpoints = try spool.checkpoints(source: source.name)
            switch source.kind {
            case .text:
                followers.append(
                    TextFollower(
                        source: source, profiles: config.profiles, settings: settings, checkpoints: checkpoints,
                        idleFlushMs: config.idleFlushMs))
            case .pcapDirectory:
                followers.append(
                    PcapDirectoryFollower(
                        source: source, profiles: config.profiles, settings: settings, checkpoints: checkpoints))
            case .hep:
                followers.append(try HEPListener(source: source, profiles: config.profiles, settings: settings))
                followers.last?.restore(journal: try spool.journal(source: source.name))
            case .capture:
                followers.append(try LiveCaptureFollower(source: source, profiles: config.profiles, settings: settings))
                followers.last?.restore(journal: try spool.journal(source: source.name))
            }
        }
        var warnedFull = false
        // The spool's depth is counted (a table scan) at most once a second;
        // in between, what this loop added is counted on top, so the limit
        // holds however fast the sources are read.
        var depth = 0
        var countedAt = ContinuousClock.now - .seconds(10)
        try await withGracefulShutdownHandler {
            while !stop.isSet, !Task.isCancelled {
                if ContinuousClock.now - countedAt >= .seconds(1) || depth >= config.spoolMaxRecords {
                    depth = try spool.depth().count
                    countedAt = ContinuousClock.now
                }
                let fill = Double(depth) / Double(config.spoolMaxRecords)
                if fill >= 0.8, !warnedFull {
                    logger.warning("spool is 80% full", metadata: ["records": "\(depth)", "max": "\(config.spoolMaxRecords)"])
                    warnedFull = true
                } else if fill < 0.7 {
                    warnedFull = false
                }
                if depth < config.spoolMaxRecords {
                    depth += try pollAll(followers)
                } else {
                    // Full: keep the logs where they are rather than drop records.
                    logger.debug("spool full; reading paused")
                }
                // A source with more to read goes on at once.
                if depth < config.spoolMaxRecords, followers.contains(where: \.moreWaiting) { continue }
                try? await Task.sleep(for: .milliseconds(config.pollIntervalMs))
            }
            // Last round: what was written before the signal is checkpointed.
            try pollAll(followers)
            logger.info("sources stopped; checkpoints committed")
        } onGracefulShutdown: {
            self.stop.set()
        }
    }

    /// Returns how many records were spooled.
    @discardableResult
    private func pollAll(_ followers: [any SourceFollower]) throws -> Int {
        var spooled = 0
        for follower in followers {
            let (records, checkpoints) = follower.poll(now: .now())
            events.add(follower.takeEvents())
            let added = try spool.commit(
                source: follower.name, records: records, checkpoints: checkpoints, journal: follower.takeJournal(),
                now: .now())
            metrics.recordsSpooled.increment(by: Int64(added))
            spooled += added
            metrics.source(follower.name, messages: follower.messages, malformed: follower.malformed, bytes: follower.bytesRead)
            if added > 0 {
                logger.debug("records spooled", metadata: ["source": "\(follower.name)", "count": "\(added)"])
            }
        }
        return spooled
    }
}

/// Runs the shipper; on shutdown it ships what waits for a few seconds more.
public final class ShipperService: Service, Sendable {
    let shipper: Shipper
    private let stop = StopFlag()

    public init(shipper: Shipper) {
        self.shipper = shipper
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await shipper.run(isDraining: { self.stop.isSet })
        } onGracefulShutdown: {
            self.stop.set()
        }
        // Drain with a deadline: SIGTERM must end within 10 s.
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let (count, _) = (try? shipper.spool.depth()) ?? (0, nil)
            if count == 0 { break }
            var state = Shipper.ShipState(batchSize: shipper.config.collector.batchSize)
            if case .retry = await shipper.shipOnce(&state, force: true) { break }
        }
        await shipper.shutdown()
    }
}
