#!/usr/bin/env bash
# Generate N foreign phantoms (seeds 1..N), run `crtsim analyze` on each (2 at a time) and
# print truth vs measured EDV/ESV/EF/scar burden.  Usage: scripts/foreign-check.sh [N] [DIR] [extra args]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-12}"; dir="${2:-/tmp/foreign}"; shift $(( $# > 2 ? 2 : $# )) || true
py="${PYTHON:-$here/../.venv/bin/python}"
exec "$py" "$here/foreign-check.py" -n "$n" --dir "$dir" --crtsim "${CRTSIM:-$here/../.build/release/crtsim}" --jobs 2 "$@"
