#!/usr/bin/env bash
# The main job on built-in defaults: builds crtsim (release) and generates the default phantom
# (advise-typical, seed 1) with its CMR images, truth and previews, runs the guidance pipeline on its cmr/
# folder (analysis.json, figures, mesh), runs the smoke scenario (report in Results/smoke), and prints where
# everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product crtsim
.build/release/crtsim phantom --preset advise-typical --seed 1 --out Results/advise-typical-seed1 --force
.build/release/crtsim analyze Results/advise-typical-seed1 --out Results/advise-typical-seed1-analysis --force
# The smoke scenario: two cases through generator, pipeline and scoring, with a report.
.build/release/crtsim run Scenarios/smoke.yaml --out Results/smoke --force
echo "crtsim: the default phantom is in Results/advise-typical-seed1, its analysis in Results/advise-typical-seed1-analysis,"
echo "        the smoke scenario report in Results/smoke/report.html"
