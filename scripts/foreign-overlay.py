#!/usr/bin/env python3
"""Overlay crtsim's analysis on a foreign-phantom case (PIL only).
Rows: ED cine with the pipeline's ED endocardium (red) / epicardium (green) mesh vertices per
slice; ES cine (truth ES phase); LGE with the pipeline's myocardium (segment map, blue tint) and
scar mask (red).   foreign-overlay.py CASE [OUT.png] [--crop MM] [--name ANALYSIS_FOLDER]"""
import json, os, sys
import numpy as np, nibabel as nib
from PIL import Image, ImageDraw

case = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else os.path.join(case, "overlay.png")
crop = float(sys.argv[sys.argv.index("--crop") + 1]) if "--crop" in sys.argv else 150.0
an = os.path.join(case, sys.argv[sys.argv.index("--name") + 1] if "--name" in sys.argv else "analysis")


def read_ply(path):
    raw = open(path, "rb").read()
    end = raw.index(b"end_header\n") + len(b"end_header\n")
    hdr = raw[:end].decode().splitlines()
    nv = int([l for l in hdr if l.startswith("element vertex")][0].split()[-1])
    props = [l.split() for l in hdr if l.startswith("property") and "list" not in l]
    props = props[:[i for i, l in enumerate(hdr) if l.startswith("element face")][0]]
    dt = np.dtype([(p[2], "<f4" if p[1] == "float" else "<i4") for p in props])
    return np.frombuffer(raw[end:end + nv * dt.itemsize], dtype=dt)


cine = nib.load(os.path.join(case, "cmr/cine.nii.gz")).get_fdata(dtype=np.float32)
lge = nib.load(os.path.join(case, "cmr/lge.nii.gz")).get_fdata(dtype=np.float32)
acq = json.load(open(os.path.join(case, "cmr/acquisition.json")))["cine"]
tr = json.load(open(os.path.join(case, "foreign-truth.json")))
a = json.load(open(os.path.join(an, "analysis.json")))
ed, es_m, es_t = a["edFrame"], a["esFrame"], tr["esPhaseIndex"]
ps = acq["PixelSpacing"][1]
row = np.array(acq["ImageOrientationPatient"][:3]); col = np.array(acq["ImageOrientationPatient"][3:])
ipp = np.array(acq["ImagePositionPatient"])
nc, nr, ns, nph = cine.shape
mid = 0.5 * (np.array(tr["geometry"]["annulusCentreEdMm"]) + np.array(tr["geometry"]["apexEndocardiumEdMm"]))
d = mid - ipp[0]
ci, cj = d.dot(row) / ps, d.dot(col) / ps
h = int(crop / ps / 2)
i0, j0 = int(max(ci - h, 0)), int(max(cj - h, 0))
W = 200
sc = W / (2 * h)
scar = seg = None
if os.path.exists(os.path.join(an, "labels/lge-scar.nii.gz")):
    scar = nib.load(os.path.join(an, "labels/lge-scar.nii.gz")).get_fdata() > 0
    seg = nib.load(os.path.join(an, "labels/lge-segments.nii.gz")).get_fdata() > 0
meshes = {}
for nm, colr in (("endocardium", (255, 60, 60)), ("epicardium", (60, 255, 60))):
    p = os.path.join(an, f"mesh/lv-{nm}-ed.ply")
    if os.path.exists(p):
        meshes[nm] = (read_ply(p), colr)
heights = {s["sliceIndex"]: s["heightMm"] for s in a.get("slices", [])}


def tile(a2, vmax):
    a2 = a2[i0:i0 + 2 * h, j0:j0 + 2 * h].T
    a2 = np.clip(a2 / vmax * 255, 0, 255).astype(np.uint8)
    return Image.fromarray(a2).resize((W, W), Image.NEAREST).convert("RGB")


vm = np.percentile(cine, 99.5); vl = np.percentile(lge, 99.5)
img = Image.new("RGB", (W * ns, W * 3), 0)
for k in range(ns):
    t = tile(cine[:, :, k, ed], vm)
    dr = ImageDraw.Draw(t)
    for nm, (v, colr) in meshes.items():
        sel = v["slice"] == k
        P = np.stack([v["x"][sel], v["y"][sel], v["z"][sel]], -1) - ipp[k]
        ii = (P @ row / ps - i0) * sc
        jj = (P @ col / ps - j0) * sc
        for x, y in zip(ii, jj):
            dr.point((x, y), fill=colr)
            dr.point((x + 1, y), fill=colr)
    dr.text((3, 3), f"s{k} ED{ed}" + (f" h{heights[k]:.0f}" if k in heights else " (not LV)"), fill=(255, 255, 0))
    img.paste(t, (k * W, 0))
    t = tile(cine[:, :, k, es_t], vm)
    ImageDraw.Draw(t).text((3, 3), f"ES truth p{es_t} (meas p{es_m})", fill=(255, 255, 0))
    img.paste(t, (k * W, W))
    t = np.array(tile(lge[:, :, k], vl))
    if seg is not None:
        for mask, colr, alpha in ((seg[:, :, k], (80, 80, 255), 0.35), (scar[:, :, k], (255, 0, 0), 0.6)):
            mm = mask[i0:i0 + 2 * h, j0:j0 + 2 * h].T
            mm = np.array(Image.fromarray(mm.astype(np.uint8) * 255).resize((W, W), Image.NEAREST)) > 0
            t[mm] = (1 - alpha) * t[mm] + alpha * np.array(colr)
    t = Image.fromarray(t.astype(np.uint8))
    ImageDraw.Draw(t).text((3, 3), "LGE", fill=(255, 255, 0))
    img.paste(t, (k * W, 2 * W))
ncol = 6
nb = (ns + ncol - 1) // ncol
final = Image.new("RGB", (W * ncol, 3 * W * nb), 0)
for b in range(nb):
    final.paste(img.crop((b * W * ncol, 0, min((b + 1) * W * ncol, W * ns), 3 * W)), (0, 3 * W * b))
final.save(out)
print(out)
