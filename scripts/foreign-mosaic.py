#!/usr/bin/env python3
"""PNG mosaics of a foreign-phantom case (PIL only): rows = ED, ES, LGE; columns = slices.
    foreign-mosaic.py CASE [OUT.png] [--crop MM]"""
import json, sys, os
import numpy as np, nibabel as nib
from PIL import Image, ImageDraw

case = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else os.path.join(case, "mosaic.png")
crop = float(sys.argv[sys.argv.index("--crop") + 1]) if "--crop" in sys.argv else 150.0
cine = nib.load(os.path.join(case, "cmr/cine.nii.gz")).get_fdata(dtype=np.float32)
lge = nib.load(os.path.join(case, "cmr/lge.nii.gz")).get_fdata(dtype=np.float32)
tr = json.load(open(os.path.join(case, "foreign-truth.json")))
es = tr["esPhaseIndex"]
ps = tr["geometry"]["pixelMm"]
nc, nr, ns, nph = cine.shape
# crop around the LV centre: brightest-blood centroid of the ED mid slices
acq = json.load(open(os.path.join(case, "cmr/acquisition.json")))["cine"]
row = np.array(acq["ImageOrientationPatient"][:3]); col = np.array(acq["ImageOrientationPatient"][3:])
ax = np.array(tr["geometry"]["annulusCentreEdMm"]); ap = np.array(tr["geometry"]["apexEndocardiumEdMm"])
mid = 0.5 * (ax + ap)
d = mid - np.array(acq["ImagePositionPatient"][0])
ci, cj = d.dot(row) / ps, d.dot(col) / ps
h = int(crop / ps / 2)
i0, j0 = int(max(ci - h, 0)), int(max(cj - h, 0))
def tile(a, vmax):
    a = a[i0:i0 + 2 * h, j0:j0 + 2 * h].T  # rows = j
    a = np.clip(a / vmax * 255, 0, 255).astype(np.uint8)
    return Image.fromarray(a).resize((160, 160), Image.NEAREST)
vm = np.percentile(cine, 99.5); vl = np.percentile(lge, 99.5)
W = 160
img = Image.new("L", (W * ns, W * 3 + 0), 0)
for k in range(ns):
    img.paste(tile(cine[:, :, k, 0], vm), (k * W, 0))
    img.paste(tile(cine[:, :, k, es], vm), (k * W, W))
    img.paste(tile(lge[:, :, k], vl), (k * W, 2 * W))
dr = ImageDraw.Draw(img)
for k in range(ns):
    dr.text((k * W + 3, 3), f"s{k}", fill=255)
dr.text((3, W + 3), f"ES p{es}", fill=255)
dr.text((3, 2 * W + 3), "LGE", fill=255)
# split to <= 8 columns per row block
ncol = 8
blocks = [img.crop((b * W * ncol, 0, min((b + 1) * W * ncol, W * ns), 3 * W)) for b in range((ns + ncol - 1) // ncol)]
final = Image.new("L", (W * ncol, 3 * W * len(blocks)), 0)
for b, bl in enumerate(blocks):
    final.paste(bl, (0, 3 * W * b))
final.save(out)
print(out)
