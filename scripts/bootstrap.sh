#!/usr/bin/env bash
# Installs what crtsim needs on Debian/Ubuntu (apt, when missing; chromium only for the teaching-page test) and checks the Swift toolchain.
# On other systems it prints what to install and stops.
set -euo pipefail
packages=(libfftw3-dev libcairo2-dev libniftiio-dev libnifti2-dev libznz-dev libpng-dev zlib1g-dev fonts-dejavu-core pkg-config chromium)
if ! command -v swift >/dev/null 2>&1; then
    echo "crtsim needs Swift 6 (swift.org toolchain, 6.0 or newer) on PATH." >&2
    exit 1
fi
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "crtsim: installing ${missing[*]} with apt"
        sudo_cmd=""
        [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
else
    echo "crtsim: not a Debian/Ubuntu system. Install: FFTW 3 (double and float), cairo, niftilib (niftiio, znz), libpng, zlib," >&2
    echo "the DejaVu fonts, pkg-config and Chromium (headless test of the teaching page) with your package manager, then run this again with SKIP_APT=1." >&2
    [ "${SKIP_APT:-0}" = 1 ] || exit 1
fi
