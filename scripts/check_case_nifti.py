#!/usr/bin/env python3
"""Cross-check a crtsim case folder's NIfTI files with nibabel and SimpleITK.

Usage: check_case_nifti.py CASE_DIR

The expected voxel -> patient (LPS mm) mapping is built from CASE_DIR/cmr/acquisition.json alone (DICOM
ImagePositionPatient, ImageOrientationPatient and PixelSpacing, independent of the NIfTI header), then
check_nifti.py verifies that nibabel and SimpleITK map the same voxels to the same points in cine.nii.gz,
lge.nii.gz and, when acquisition.json records them, the long-axis views cine-2ch.nii.gz, cine-3ch.nii.gz and
cine-4ch.nii.gz (keys cine2ch, cine3ch, cine4ch). Exit status: 0 pass, 1 a check fails, 2 bad usage.
"""
import json
import os
import subprocess
import sys
import tempfile


def expected_points(series):
    iop, ipp, ps = series["ImageOrientationPatient"], series["ImagePositionPatient"], series["PixelSpacing"]
    row_cos, col_cos = iop[:3], iop[3:]
    cols, rows = series["Columns"], series["Rows"]
    points = []
    for k in sorted({0, len(ipp) // 2, len(ipp) - 1}):
        for i, j in [(0, 0), (cols - 1, 0), (0, rows - 1), (cols // 3, rows // 2)]:
            lps = [ipp[k][a] + i * ps[1] * row_cos[a] + j * ps[0] * col_cos[a] for a in range(3)]
            points.append({"voxel": [i, j, k], "lps": lps})
    return points


def main():
    if len(sys.argv) != 2:
        print("usage: check_case_nifti.py CASE_DIR", file=sys.stderr)
        return 2
    case = sys.argv[1]
    with open(os.path.join(case, "cmr", "acquisition.json")) as f:
        acq = json.load(f)
    here = os.path.dirname(os.path.abspath(__file__))
    status = 0
    # acquisition.json key -> NIfTI file under cmr/ (long-axis views only when recorded).
    series = {"cine": "cine.nii.gz", "lge": "lge.nii.gz"}
    series.update({f"cine{v}": f"cine-{v}.nii.gz" for v in ["2ch", "3ch", "4ch"] if f"cine{v}" in acq})
    for key, file in series.items():
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as t:
            json.dump({"points": expected_points(acq[key])}, t)
        r = subprocess.run([sys.executable, os.path.join(here, "check_nifti.py"),
                            os.path.join(case, "cmr", file), t.name])
        os.unlink(t.name)
        status = max(status, r.returncode)
    return status


if __name__ == "__main__":
    sys.exit(main())
