// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sipmeter",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sipmeter-agent", targets: ["sipmeter-agent"]),
        .library(name: "SIPCapture", targets: ["SIPCapture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "COSIP", path: "Sources/COSIP"),
        .systemLibrary(name: "CPcap", path: "Sources/CPcap"),
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
            dependencies: ["MeteringCore", "SIPParsing", "SIPCapture", "CallCorrelation"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sipmeter-agent",
            dependencies: [
                "MeteringCore", "SIPCapture", "CallCorrelation", "MeteringAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sipmeter-bench",
            dependencies: ["MeteringCore", "SIPParsing", "SIPCapture", "CSIPSupport"],
            path: "Benchmarks/sipmeter-bench",
            swiftSettings: strict
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
    ],
    swiftLanguageModes: [.v6]
)
