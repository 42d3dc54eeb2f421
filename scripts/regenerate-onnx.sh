#!/usr/bin/env bash
# Regenerates Sources/NightjarCore/ONNX/Proto/onnx.pb.swift from proto/onnx.proto.
#
# Needs protoc (Debian/Ubuntu: apt-get install protobuf-compiler) and the swift-protobuf plugin
# protoc-gen-swift of the same swift-protobuf version as Package.resolved, either on PATH or
# given as PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift. To build the plugin:
#   git clone https://github.com/apple/swift-protobuf && cd swift-protobuf
#   git checkout <version from Package.resolved> && swift build -c release --product protoc-gen-swift
# The generated file is committed: building the plugin is slow, and CI never needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
if [ -z "$plugin" ] || [ ! -x "$plugin" ]; then
    echo "error: protoc-gen-swift not found; put it on PATH or set PROTOC_GEN_SWIFT" >&2
    exit 1
fi
command -v protoc >/dev/null || { echo "error: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
protoc --plugin=protoc-gen-swift="$plugin" \
       --proto_path=proto \
       --swift_opt=Visibility=Internal \
       --swift_out=Sources/NightjarCore/ONNX/Proto \
       proto/onnx.proto
echo "wrote Sources/NightjarCore/ONNX/Proto/onnx.pb.swift"
