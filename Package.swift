// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sipmeter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sipmeter-agent", targets: ["sipmeter-agent"]),
        .executable(name: "sipmeter-collector", targets: ["sipmeter-collector"]),
        .executable(name: "sipmeterctl", targets: ["sipmeterctl"]),
        .library(name: "SIPCapture", targets: ["SIPCapture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "COSIP", path: "Sources/COSIP"),
        .systemLibrary(name: "CPcap", path: "Sources/CPcap"),
        .systemLibrary(name: "CMimalloc", path: "Sources/CMimalloc"),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .target(
            name: "CSIPSupport",
            dependencies: ["COSIP"],
            linkerSettings: [.linkedLibrary("osipparser2"), .linkedLibrary("z")]
        ),
        .target(name: "MeteringCore", dependencies: ["CSIPSupport"], swiftSettings: strict),
        .target(name: "SIPParsing", dependencies: ["MeteringCore", "CSIPSupport"], swiftSettings: strict),
        .target(name: "SIPCapture", dependencies: ["MeteringCore", "SIPParsing", "CPcap", "CSIPSupport"], swiftSettings: strict),
        .target(
            name: "CallCorrelation",
            dependencies: ["MeteringCore", "SIPParsing", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "MeteringAgent",
            dependencies: [
                "MeteringCore", "SIPParsing", "SIPCapture", "CallCorrelation", "SQLiteSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sipmeter-agent",
            dependencies: [
                "MeteringCore", "SIPCapture", "CallCorrelation", "MeteringAgent",
                .target(name: "CMimalloc", condition: .when(platforms: [.linux])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict,
            // mimalloc (Debian libmimalloc-dev) replaces glibc's malloc for
            // the whole process, libosip2 included: the pipeline allocates on
            // one thread and frees on another, where glibc's arenas are slow.
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        .target(name: "RatingEngine", dependencies: ["MeteringCore"], swiftSettings: strict),
        .target(name: "MeteringReports", dependencies: ["MeteringCore", "MeteringStore", "CCairo"], swiftSettings: strict),
        .target(name: "CreditLedger", dependencies: ["MeteringCore", "RatingEngine"], swiftSettings: strict),
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "SQLiteSupport",
            dependencies: [
                "CSQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "MeteringStore",
            dependencies: [
                "MeteringCore", "RatingEngine", "CreditLedger", "SQLiteSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "MeteringCollector",
            dependencies: [
                "MeteringCore", "RatingEngine", "MeteringStore", "CreditLedger", "MeteringReports",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sipmeter-collector",
            dependencies: [
                "MeteringCollector", "MeteringStore", "MeteringCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sipmeterctl",
            dependencies: [
                "MeteringCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sipmeter-collector-bench",
            dependencies: [
                "MeteringCore", "RatingEngine", "MeteringCollector", "MeteringStore", "CreditLedger",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/sipmeter-collector-bench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sipmeter-bench",
            dependencies: ["MeteringCore", "SIPParsing", "SIPCapture", "CSIPSupport"],
            path: "Benchmarks/sipmeter-bench",
            swiftSettings: strict,
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        .testTarget(name: "MeteringCoreTests", dependencies: ["MeteringCore"], swiftSettings: strict),
        .testTarget(name: "SIPParsingTests", dependencies: ["SIPParsing"], swiftSettings: strict),
        .testTarget(
            name: "SIPCaptureTests",
            dependencies: ["SIPCapture", "SIPParsing", "MeteringCore", "MeteringAgent"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CallCorrelationTests",
            dependencies: ["CallCorrelation", "SIPCapture", "SIPParsing", "MeteringCore", "MeteringAgent"],
            swiftSettings: strict
        ),
        .testTarget(name: "AgentCLITests", dependencies: ["sipmeter-agent"], swiftSettings: strict),
        .testTarget(name: "RatingEngineTests", dependencies: ["RatingEngine", "MeteringCore"], swiftSettings: strict),
        .testTarget(name: "MeteringReportsTests", dependencies: ["MeteringReports", "MeteringCore"], swiftSettings: strict),
        .testTarget(
            name: "CreditLedgerTests", dependencies: ["CreditLedger", "RatingEngine", "MeteringCore"], swiftSettings: strict),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "MeteringCollector", "MeteringStore", "RatingEngine", "MeteringCore", "CreditLedger", "sipmeter-collector",
                "sipmeterctl",
                "sipmeter-agent", "SIPCapture",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
