#!/usr/bin/env python3
"""Writes the small NIfTI-1 seed files of Fuzz/corpus/nifti (each well under 100 KB).

Usage: make_nifti_seeds.py OUT_DIR [CASE_DIR]
  CASE_DIR: a case written by `crtsim phantom` (optional); its cmr/*.nii.gz are cropped to a few voxels with the
  header (sform, qform, units, descrip) kept, so the seeds include files written by crtsim's own writer settings.
Requires nibabel and numpy (python3 -m venv /tmp/fz-venv && /tmp/fz-venv/bin/pip install nibabel numpy).
"""
import glob
import os
import sys

import nibabel as nib
import numpy as np


def affine(spacing=(1.5, 1.5, 8.0), origin=(-60.0, 40.0, -20.0)):
    a = np.diag(list(spacing) + [1.0])
    a[:3, 3] = origin
    # a rotated short-axis-like orientation, as crtsim writes
    c, s = np.cos(0.4), np.sin(0.4)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    a[:3, :3] = rot @ a[:3, :3]
    return a


def save(img, out, name):
    path = os.path.join(out, name)
    nib.save(img, path)
    size = os.path.getsize(path)
    assert size < 100_000, f"{path}: {size} bytes"
    print(f"{name}: {size} bytes")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(3)

    # float32 3D with sform and qform (crtsim's own layout), plain and gzip
    data = rng.normal(100, 10, (8, 8, 3)).astype(np.float32)
    img = nib.Nifti1Image(data, affine())
    img.header.set_xyzt_units("mm")
    img.set_qform(affine(), code=1)
    img.set_sform(affine(), code=1)
    save(img, out, "float32-3d.nii")
    save(img, out, "float32-3d.nii.gz")

    # float32 4D cine-like: 4 phases, pixdim[4] in ms
    data = rng.normal(100, 10, (6, 6, 2, 4)).astype(np.float32)
    img = nib.Nifti1Image(data, affine())
    img.header.set_xyzt_units("mm", "msec")
    img.header["pixdim"][4] = 40.0
    save(img, out, "float32-4d.nii")
    save(img, out, "float32-4d.nii.gz")

    # uint8 labels, gzip
    data = rng.integers(0, 4, (6, 6, 2)).astype(np.uint8)
    save(nib.Nifti1Image(data, affine()), out, "uint8-labels.nii.gz")

    # each other supported datatype once, small
    for dt in (np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.float64):
        data = rng.integers(0, 100, (4, 4, 2)).astype(dt)
        save(nib.Nifti1Image(data, affine(), dtype=dt), out, f"{np.dtype(dt).name}.nii")

    # int16 with scl_slope/scl_inter, qform only (sform_code 0), seconds and metres
    data = rng.integers(-50, 50, (5, 5, 2, 3)).astype(np.int16)
    img = nib.Nifti1Image(data, None)
    img.set_qform(affine(spacing=(0.0015, 0.0015, 0.008), origin=(-0.06, 0.04, -0.02)), code=1)
    img.set_sform(None, code=0)
    img.header.set_xyzt_units("meter", "sec")
    img.header["pixdim"][4] = 0.04
    img.header.set_slope_inter(2.0, -1.0)
    save(img, out, "int16-qform-scaled.nii")

    # 2D image (one slice), microns
    data = rng.normal(0, 1, (7, 5)).astype(np.float32)
    img = nib.Nifti1Image(data, affine(spacing=(1500.0, 1500.0, 8000.0)))
    img.header.set_xyzt_units("micron")
    save(img, out, "float32-2d.nii")

    # big-endian int16
    data = rng.integers(0, 1000, (4, 4, 2)).astype(">i2")
    img = nib.Nifti1Image(data, affine(), header=nib.Nifti1Header(endianness=">"), dtype=np.dtype(">i2"))
    save(img, out, "int16-bigendian.nii")

    # with a header extension (comment)
    data = rng.normal(0, 1, (4, 4, 2)).astype(np.float32)
    img = nib.Nifti1Image(data, affine())
    img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"crtsim fuzz seed"))
    save(img, out, "float32-extension.nii")

    # crops of a case written by crtsim (header as crtsim wrote it)
    if len(sys.argv) > 2:
        for path in sorted(glob.glob(os.path.join(sys.argv[2], "cmr", "*.nii*"))):
            src = nib.load(path)
            arr = np.asanyarray(src.dataobj)
            crop = arr[:6, :6, :2, :3] if arr.ndim == 4 else arr[:6, :6, :2]
            hdr = src.header.copy()
            img = nib.Nifti1Image(np.ascontiguousarray(crop).astype(src.get_data_dtype()), src.affine, header=hdr)
            img.set_sform(src.get_sform(), code=int(src.header["sform_code"]))
            img.set_qform(src.get_qform(), code=int(src.header["qform_code"]))
            name = "case-" + os.path.basename(path)
            save(img, out, name)


if __name__ == "__main__":
    main()
