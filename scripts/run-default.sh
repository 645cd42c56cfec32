#!/usr/bin/env bash
# The main job on built-in defaults: builds crtsim (release), generates the default phantom (advise-typical,
# seed 1) with its CMR images, dual-view X-ray, truth and previews, runs the guidance pipeline on it, then runs the
# `smoke` and `standard` scenarios (generator -> pipeline -> scoring against the truth, with reports) and prints
# where everything is. Exit code: 0 when both scenarios meet their expectations, 1 when one does not (the reports
# say which), 2 for bad input.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product crtsim
.build/release/crtsim phantom --preset advise-typical --seed 1 --out Results/advise-typical-seed1 --force
.build/release/crtsim analyze Results/advise-typical-seed1 --out Results/advise-typical-seed1-analysis --force
status=0
# smoke: two cases in about 40 s. standard: every preset, 30 cases with fluoroscopy, about 5-8 minutes on 2 cores.
for scenario in smoke standard; do
    .build/release/crtsim run "Scenarios/$scenario.yaml" --out "Results/$scenario" --force || status=$?
done
# The standard run against its checked-in baseline (exit code 1 on a regression).
.build/release/crtsim compare Results/baselines/standard Results/standard || status=$?
echo "crtsim: the default phantom is in Results/advise-typical-seed1, its analysis in Results/advise-typical-seed1-analysis"
echo "crtsim: scenario reports: Results/smoke/report.html, Results/standard/report.html (open in a browser)"
exit $status
