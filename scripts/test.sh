#!/usr/bin/env bash
# The whole test suite: builds in release mode (the image simulation is 30x slower in debug), runs every
# Swift test, then cross-checks a generated case's NIfTI files with nibabel and SimpleITK and the scenario files
# with a JSON Schema validator.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --build-tests
swift test -c release --skip-build
# Independent readers: nibabel and SimpleITK in a local virtual environment.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv .venv; }
fi
.venv/bin/python -c "import nibabel, SimpleITK, jsonschema, referencing, yaml" 2>/dev/null || .venv/bin/pip install -q nibabel SimpleITK numpy jsonschema referencing pyyaml
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
rm -rf "$schema_dir"
# The scenario files against their JSON Schema (an independent validator).
.venv/bin/python scripts/check_scenarios_schema.py
