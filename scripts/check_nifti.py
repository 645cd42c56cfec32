#!/usr/bin/env python3
"""Cross-check a crtsim NIfTI file with two independent readers (nibabel and SimpleITK).

Usage: check_nifti.py IMAGE.nii.gz EXPECTED.json

EXPECTED.json is either a list of {"voxel": [i, j, k], "lps": [x, y, z]} pairs, or an object
{"points": [...such pairs...], "spacing": [dx, dy, dz(, dt_ms)]} (spacing optional). Voxel indices are
(column, row, slice), 0-based, voxel centres at integers; points are DICOM LPS patient coordinates in mm.

Checks, each within a named tolerance:
  - nibabel's affine (RAS, from the sform) maps every voxel to the expected point (after RAS -> LPS);
  - nibabel's qform, when set, does the same (crtsim writes both);
  - SimpleITK's TransformContinuousIndexToPhysicalPoint (LPS) maps every voxel to the expected point;
  - spacing: nibabel zooms, SimpleITK spacing and the affine's column lengths agree with each other and with the
    expected spacing (the 4th value in ms, compared with nibabel's zoom in the header's time unit).
Exit status: 0 all checks pass, 1 a check fails, 2 bad usage or unreadable input.
Requires: pip install nibabel SimpleITK numpy
"""
import json
import sys

POINT_TOLERANCE_MM = 0.01    # largest allowed distance between mapped and expected points
SPACING_TOLERANCE_MM = 1e-3  # largest allowed spacing difference (mm; ms for the 4th axis)
RAS_FROM_LPS = (-1.0, -1.0, 1.0)


def fail_usage(message):
    print(f"check_nifti: {message}", file=sys.stderr)
    sys.exit(2)


def load_expected(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        fail_usage(f"{path}: cannot read expected points: {e}")
    points, spacing = (data, None) if isinstance(data, list) else (data.get("points"), data.get("spacing"))
    if not points or not all(len(p.get("voxel", [])) == 3 and len(p.get("lps", [])) == 3 for p in points):
        fail_usage(f"{path}: expected a non-empty list of {{\"voxel\": [i, j, k], \"lps\": [x, y, z]}} pairs")
    return points, spacing


def main(argv):
    if len(argv) != 3:
        fail_usage("usage: check_nifti.py IMAGE.nii.gz EXPECTED.json")
    image_path, expected_path = argv[1], argv[2]
    try:
        import nibabel as nib
        import numpy as np
        import SimpleITK as sitk
    except ImportError as e:
        fail_usage(f"missing Python package ({e}); pip install nibabel SimpleITK numpy")
    points, expected_spacing = load_expected(expected_path)

    try:
        nimg = nib.load(image_path)
        simg = sitk.ReadImage(image_path)
    except Exception as e:  # noqa: BLE001 - any reader failure is an unreadable input
        fail_usage(f"{image_path}: cannot read: {e}")

    failures = []
    worst = {"nibabel sform": 0.0, "nibabel qform": 0.0, "SimpleITK": 0.0}
    header = nimg.header
    sform, sform_code = header.get_sform(coded=True)
    qform, qform_code = header.get_qform(coded=True)
    affine = nimg.affine
    flip = np.array(RAS_FROM_LPS)
    dim = simg.GetDimension()

    for p in points:
        ijk = np.array(p["voxel"], dtype=float)
        expected = np.array(p["lps"], dtype=float)
        mapped = {"nibabel sform": flip * (affine @ np.append(ijk, 1.0))[:3]}
        if qform is not None and qform_code > 0:
            mapped["nibabel qform"] = flip * (qform @ np.append(ijk, 1.0))[:3]
        index = list(ijk) + [0.0] * (dim - 3)
        mapped["SimpleITK"] = np.array(simg.TransformContinuousIndexToPhysicalPoint(index)[:3])
        for reader, point in mapped.items():
            d = float(np.linalg.norm(point - expected))
            worst[reader] = max(worst[reader], d)
            if d > POINT_TOLERANCE_MM:
                failures.append(f"{reader}: voxel {p['voxel']} -> LPS {np.round(point, 4).tolist()}, expected "
                                f"{expected.tolist()} ({d:.4f} mm > {POINT_TOLERANCE_MM} mm)")
    if sform is None or sform_code <= 0:
        failures.append(f"sform_code is {sform_code}, crtsim writes 1 (scanner anatomical)")
    if qform_code <= 0:
        failures.append(f"qform_code is {qform_code}, crtsim writes 1 (scanner anatomical)")

    zooms = [float(z) for z in header.get_zooms()]
    column_lengths = [float(v) for v in np.linalg.norm(affine[:3, :3], axis=0)]
    sitk_spacing = [float(s) for s in simg.GetSpacing()]
    for axis in range(3):
        values = {"nibabel zoom": zooms[axis], "affine column": column_lengths[axis],
                  "SimpleITK": sitk_spacing[axis]}
        if expected_spacing is not None:
            values["expected"] = float(expected_spacing[axis])
        if max(values.values()) - min(values.values()) > SPACING_TOLERANCE_MM:
            failures.append(f"spacing axis {axis}: {values} differ by more than {SPACING_TOLERANCE_MM} mm")
    if expected_spacing is not None and len(expected_spacing) > 3:
        space_unit, time_unit = header.get_xyzt_units()
        ms_per_unit = {"msec": 1.0, "sec": 1000.0, "usec": 0.001}.get(time_unit)
        if len(zooms) < 4 or ms_per_unit is None:
            failures.append(f"4th axis: expected {expected_spacing[3]} ms, header has zooms {zooms}, "
                            f"time unit {time_unit!r}")
        elif abs(zooms[3] * ms_per_unit - expected_spacing[3]) > SPACING_TOLERANCE_MM:
            failures.append(f"4th axis: {zooms[3]} {time_unit}, expected {expected_spacing[3]} ms")

    summary = (f"{image_path}: shape {list(nimg.shape)}, {len(points)} points, largest error "
               + ", ".join(f"{k} {v:.2e} mm" for k, v in worst.items())
               + f"; spacing nibabel {[round(z, 5) for z in zooms]}, SimpleITK {[round(s, 5) for s in sitk_spacing]}")
    if failures:
        print("FAIL " + summary)
        for f in failures:
            print("  - " + f)
        return 1
    print("OK " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
