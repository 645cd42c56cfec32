#!/usr/bin/env bash
# Rewrites the realism table of Phantoms/README.md from RealismField.all (Sources/HeartPhantom/RealismFields.swift).
# Needs a release build with tests: swift build -c release --build-tests
set -euo pipefail
cd "$(dirname "$0")/.."
CRTSIM_UPDATE_REALISM_TABLE=1 swift test -c release --skip-build --filter "RealismTests/readmeTable" >/dev/null
git diff --stat Phantoms/README.md
