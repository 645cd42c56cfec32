#!/usr/bin/env bash
# The main job on built-in defaults: builds crtsim (release) and generates the default phantom
# (advise-typical, seed 1) with its CMR images, truth and previews, then prints where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product crtsim
.build/release/crtsim phantom --preset advise-typical --seed 1 --out Results/advise-typical-seed1 --force
