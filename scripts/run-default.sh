#!/usr/bin/env bash
# The main job on built-in defaults: builds crtsim (release) and generates the default phantom
# (advise-typical, seed 1) with its CMR images, truth and previews, runs the guidance pipeline on its cmr/
# folder (analysis.json, figures, mesh), and prints where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product crtsim
.build/release/crtsim phantom --preset advise-typical --seed 1 --out Results/advise-typical-seed1 --force
.build/release/crtsim analyze Results/advise-typical-seed1 --out Results/advise-typical-seed1-analysis --force
