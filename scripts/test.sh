#!/usr/bin/env bash
# The whole test suite: builds in release mode (the image simulation is 30x slower in debug), runs every
# Swift test, then cross-checks a generated case's NIfTI files with nibabel and SimpleITK, the analysis meshes with
# meshio, and the scenario files with a JSON Schema validator.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --build-tests
swift test -c release --skip-build
# Independent readers: nibabel and SimpleITK in a local virtual environment.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv .venv; }
fi
.venv/bin/python -c "import nibabel, SimpleITK, jsonschema, referencing, yaml, meshio" 2>/dev/null || .venv/bin/pip install -q nibabel SimpleITK numpy jsonschema referencing pyyaml meshio
case_dir=$(mktemp -d)/nifti-check
.build/release/crtsim phantom --preset normal-conduction --seed 3 --out "$case_dir" --no-previews >/dev/null
.venv/bin/python scripts/check_case_nifti.py "$case_dir"
rm -rf "$(dirname "$case_dir")"
echo "nifti-check: 1 passed, 0 failed"
# crtsim's own files against the analysis contract, Schemas/ (docs/schemas.md): a case with X-ray and its analysis.
schema_dir=$(mktemp -d)
.build/release/crtsim phantom --preset advise-typical --seed 1 --out "$schema_dir/case" --no-previews --no-xray-volume >/dev/null
.build/release/crtsim analyze "$schema_dir/case" --out "$schema_dir/analysis" >/dev/null
.venv/bin/python scripts/check_schemas.py "$schema_dir/case" "$schema_dir/analysis" --doctored
# Its LV meshes: .ply (meshio), .vtp and .vtk carry the same points, triangles and per-vertex arrays.
.venv/bin/python scripts/check_meshes.py "$schema_dir/analysis"
rm -rf "$schema_dir"
# The scenario files against their JSON Schema (an independent validator).
.venv/bin/python scripts/check_scenarios_schema.py
# An external pipeline through the contract (README "Bring your own pipeline"): examples/python-pipeline run by
# pipeline.command on the smoke cases; it must not fail (its accuracy is reported, not required).
.venv/bin/python -c "import nibabel, numpy, scipy, cv2" 2>/dev/null || .venv/bin/pip install -q -r examples/python-pipeline/requirements.txt
tmp=$(mktemp -d)
PATH="$PWD/.venv/bin:$PATH" .build/release/crtsim run examples/python-pipeline/smoke-python.yaml --out "$tmp/py-smoke" >/dev/null
.venv/bin/python - "$tmp/py-smoke/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = {x["id"]: x.get("value") for x in r["metrics"]}
keys = ["scar.kappa", "scar.false_positive_cases", "volume.edv_abs_rel_error_max", "volume.ef_abs_error_max_points",
        "activation.mae_median_ms", "strain.radial_rmse_mean_pct", "target.within_or_adjacent_rate"]
print("  " + ", ".join(f"{k} {'n/a' if m[k] is None else format(m[k], '.3g')}" for k in keys))
n = len(r["cases"])
print(f"python-pipeline: {n} cases, failure rate {m['pipeline.failure_rate']:.2f}")
PY
# A/B (Scenarios/README.md "Comparing pipelines"): the built-in pipeline against itself at a 30 % scar threshold;
# the paired tests and disagreements recomputed from the case records with SciPy and statsmodels.
.venv/bin/python -c "import scipy, statsmodels" 2>/dev/null || .venv/bin/pip install -q scipy statsmodels
.build/release/crtsim run Scenarios/ab-scar-threshold.yaml --out "$tmp/ab" >/dev/null
.venv/bin/python scripts/check_ab_stats.py "$tmp/ab/results.json"
.venv/bin/python scripts/check_results_schema.py "$tmp/ab/results.json"
rm -rf "$tmp"
