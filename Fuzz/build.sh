#!/usr/bin/env bash
# Builds the libFuzzer target .build-fuzz/fuzz-framing from the package's
# sources with swiftc/clang directly (SwiftPM cannot link -sanitize=fuzzer
# executables). Modules are built in dependency order, each with
# -enable-testing so the harness can `@testable import SIPCapture`.
#
#   Fuzz/build.sh            # ASan + libFuzzer, -O (default)
#   SAN=fuzzer Fuzz/build.sh # libFuzzer only (faster, no ASan)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/.build-fuzz
SAN=${SAN:-fuzzer,address}
OPT=${OPT:--O}
mkdir -p "$OUT/obj" "$OUT/modules" "$OUT/cmodules/CSIPSupport"

# C target: clang with coverage (and ASan) instrumentation, no libFuzzer main.
CSAN=${SAN/fuzzer/fuzzer-no-link}
clang -c -O1 -g -fsanitize="$CSAN" -I Sources/CSIPSupport/include \
    Sources/CSIPSupport/sipsupport.c -o "$OUT/obj/sipsupport.o"

# Module map for the C target, generated here (Sources/ stays untouched).
cat > "$OUT/cmodules/CSIPSupport/module.modulemap" <<EOF
module CSIPSupport {
    header "$ROOT/Sources/CSIPSupport/include/sipsupport.h"
    export *
}
EOF

SWIFT_FLAGS=(
    -parse-as-library -swift-version 6 "$OPT" -g -sanitize="$SAN" -enable-testing
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault
    -I "$OUT/modules" -I "$OUT/cmodules/CSIPSupport" -I Sources/COSIP -I Sources/CPcap
    -module-cache-path "$OUT/module-cache"
)

build_module() { # name, sources...
    local name=$1; shift
    swiftc "${SWIFT_FLAGS[@]}" -wmo -module-name "$name" -c "$@" \
        -emit-module -emit-module-path "$OUT/modules/$name.swiftmodule" \
        -o "$OUT/obj/$name.o"
}

build_module MeteringCore Sources/MeteringCore/*.swift
build_module SIPParsing Sources/SIPParsing/*.swift
build_module SIPCapture Sources/SIPCapture/*.swift

swiftc "${SWIFT_FLAGS[@]}" -module-name FuzzFraming Fuzz/FuzzFraming.swift \
    "$OUT/obj/SIPCapture.o" "$OUT/obj/SIPParsing.o" "$OUT/obj/MeteringCore.o" "$OUT/obj/sipsupport.o" \
    -use-ld=lld -lpcap -losipparser2 -lz -o "$OUT/fuzz-framing"
echo "built $OUT/fuzz-framing (sanitizers: $SAN)"
