#!/usr/bin/env python3
"""An independent CRT guidance pipeline for crtsim cases, in Python.

    python3 pipeline.py CASE_DIR OUT_DIR

Reads only CASE_DIR/cmr/ (cine.nii.gz, lge.nii.gz, acquisition.json) and writes OUT_DIR/analysis.json and
OUT_DIR/labels/lge-scar.nii.gz, the two files crtsim's scorer reads (`crtsim score CASE_DIR OUT_DIR`).
On any error it prints one line to stderr and exits with code 1 (2 for unreadable or inconsistent input).

It shares no code with crtsim; it follows the contract of crtsim's docs/schemas.md and Schemas/analysis.schema.json
and textbook methods. The steps (numbered as in the code):

1. Geometry from acquisition.json (DICOM attribute names, LPS mm), checked against the NIfTI affine (RAS).
2. Tissue levels per slice by k-means (OpenCV; 3 clusters of the log intensity: dark lung/air, grey myocardium,
   bright blood) within 50 mm of the stack's centre line, median of 3 along the stack: local because surface-coil
   shading makes the fat near the coils brighter than the blood in the middle of the body. Every edge below is
   placed at the half level between two classes (50 % partial volume).
3. LV blood pool: per slice, bright connected components scored by roundness, systolic shrinkage, a grey ring
   around them and nearness to the centre line; the chain of overlapping pools along the stack from the best one,
   each pool cut to 5 mm beyond its neighbour's (continuity: a basal pool leaking through the valve plane is cut).
   Cavity = convex hull of the blood pool (papillary muscles and trabeculae count as cavity, as the SCMR
   post-processing recommendations allow, Schulz-Menger et al. JCMR 2020).
4. Myocardium: 180 rays from the cavity centre (polar unwrapping); the epicardium is where the grey wall gives way
   to bright (fat, RV blood) or dark (lung) tissue; a cyclic median over 30 degrees stops leaks into grey
   neighbours (liver, chest wall). Rays without a wall (outflow tract, atrium) get the endocardium interpolated
   between the wall's ends: the contour is closed across the gap.
5. Volumes by Simpson's rule (cavity areas x SpacingBetweenSlices). The two end slices of the stack and a basal
   slice the valve plane moves through (its ED pool turns grey) count their blood by signal (the LV blood
   fraction of the slab). ED = the trigger phase unless another phase is clearly larger, ES = the smallest volume.
6. 36-segment model (crtsim docs/schemas.md "36 segments"): rings by the slice centre's height between the base
   plane and the endocardial apex (extrapolated from the apical cavity areas); 12 sectors of 30 degrees from the
   anterior RV insertion, placed 60 degrees before the middle of the RV blood crescent that borders the septum
   (the septum spans two AHA sectors). Angles are right-handed about base-to-apex, so the patient's orientation is
   not assumed.
7. Wall motion: dense optical flow (OpenCV DIS, Kroeger et al. ECCV 2016; Farneback, SCIA 2003, as an option) on
   4x upsampled images from ED to every phase, tracking the ED endocardial and epicardial point of every ray;
   radial strain = radial wall thickness (epicardial minus endocardial distance from the tracked cavity centre)
   / ED thickness - 1, averaged per segment, low-pass filtered over the cycle (6 harmonics). No strain on the
   apical tip slice, on slices the valve plane moves through, nor on the next slice when its thickening is far
   above the others' (partial volume of the descending base).
8. Activation time: first time a segment's strain curve reaches 50 % of its own peak (the contract's definition of
   `activationTimeMs`), linear between phases; then (step 10a) averaged half and half with the mean of its reliable
   neighbours (not scarred, moving), a spatial regularisation of the activation map.
9. Scar: full width at half maximum (FWHM; Amado et al. JACC 2004; Flett et al. JACC Imaging 2011): threshold at
   half the maximum myocardial LGE signal, in the cine myocardium (phase nearest the LGE trigger time) carried
   onto the LGE grid through patient coordinates, each LGE slice shifted in-plane onto the cine by normalised
   cross-correlation (the LGE's breath-holds are not the cine's). Clusters are sought in the "pure" wall (cine
   signal not raised by partial volume with blood or fat) and kept when large enough, clearly brighter than remote
   myocardium (contrast-to-noise) and near the blood pool's LGE signal (partial volume cannot do that); the border
   layer joins a kept cluster where it is above the threshold.
10. Target: the decision rule of crtsim's docs (DOMAIN.md section 1 item 5, TARGET trial): eligible = not scarred
    (scar fraction >= 10 %), moving (peak radial strain >= 10 %) and activation measurable; the latest activated
    eligible segments are the LMA sites (3, latest first; ties to the lower id), the latest the primary target.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

SOFTWARE = "crtsim examples/python-pipeline 0.1"

# Definitions of the contract (not tuning): crtsim's 36-segment model and decision model, as documented in
# docs/schemas.md ("36 segments"), Schemas/common.schema.json (segments36) and Phantoms/README.md (segmentModel).
RING_NAMES = ["basal", "mid", "apical"]
AHA_SECTOR_NAMES = ["anterior", "anteroseptal", "inferoseptal", "inferior", "inferolateral", "anterolateral"]
# Ring boundaries as fractions of the ED cavity length from the base plane to the endocardial apex. crtsim's truth
# uses 0.42 / 0.70 unless a phantom sets `segmentModel` (Phantoms/README.md); the AHA's equal thirds are 1/3, 2/3.
# The case folder does not say which, so this is a command-line option (--rings).
DEFAULT_RINGS = (0.42, 0.70)
SCARRED_FRACTION = 0.10   # a segment is scarred with scar fraction >= 10 % (decision model)
MIN_PEAK_STRAIN = 0.10    # eligible only with peak radial strain >= 10 % (TARGET trial)
LMA_COUNT = 3             # number of late mechanical activation sites reported

# This pipeline's own settings.
N_RAYS = 180              # rays per slice (2 degrees apart)
MAX_WALL_MM = 20.0        # no LV wall is thicker than this
RV_SEARCH_MM = 15.0       # RV blood looked for this far beyond the epicardium
LOCAL_RADIUS_MM = 50.0    # tissue levels from this disc round the stack's centre line (the heart), per slice
CHAIN_MARGIN_MM = 5.0     # an LV pool reaches at most this far beyond the next one towards the best slice
CENTRE_SCALE_MM = 40.0    # an LV pool candidate this far from the centre line scores half
FLOW_UPSAMPLE = 4         # images are upsampled before optical flow (sub-pixel wall motion)
FLOW_METHOD = "dis"       # OpenCV DIS optical flow (Kroeger et al. ECCV 2016); or "farneback" (--flow)
TEMPORAL_HARMONICS = 6    # strain curves keep this many harmonics of the heart rate (0: no smoothing)
ACTIVATION_BLEND = 0.5    # weight of a segment's neighbours in its activation time (0: none)
DIS = dict()              # DIS settings beyond its MEDIUM preset, e.g. dict(PatchSize=12) (setPatchSize)
# Farneback settings (flags 256: OPTFLOW_FARNEBACK_GAUSSIAN); a 21-pixel window did best on crtsim's cases
FARNEBACK = dict(pyr_scale=0.5, levels=3, winsize=21, iterations=5, poly_n=7, poly_sigma=1.5, flags=256)
LGE_SHIFT_MM = 6.0        # an LGE slice is aligned to the cine within this shift (separate breath-holds)
SCAR_CNR_MIN = 6.0        # a scar cluster's mean must exceed the remote median by this many robust SDs
SCAR_MIN_ML = 0.2         # and its volume must be at least this
SCAR_BLOOD_LEVEL = 0.75   # and its mean at least this far from the remote level to the blood pool's


class InputError(Exception):
    """Unreadable or inconsistent input (exit code 2)."""


# ---------------------------------------------------------------------------------------------------------------
# 1. Reading the case and its geometry
# ---------------------------------------------------------------------------------------------------------------

class Series:
    """Geometry of one series from acquisition.json. Voxel (i, j, k) (column, row, slice) lies at
    ImagePositionPatient[k] + i * PixelSpacing[1] * rowCosines + j * PixelSpacing[0] * columnCosines (LPS mm)."""

    def __init__(self, name: str, d: dict, shape: tuple):
        try:
            iop = np.asarray(d["ImageOrientationPatient"], float)
            self.positions = np.asarray(d["ImagePositionPatient"], float)
            self.row_spacing, self.col_spacing = (float(v) for v in d["PixelSpacing"])
            self.slice_spacing = float(d["SpacingBetweenSlices"])
            self.trigger_times = np.asarray(d["TriggerTime"], float)
            rows, cols = int(d["Rows"]), int(d["Columns"])
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"acquisition.json {name}: missing or malformed key {e}")
        if iop.shape != (6,) or self.positions.ndim != 2 or self.positions.shape[1] != 3:
            raise InputError(f"acquisition.json {name}: ImageOrientationPatient or ImagePositionPatient malformed")
        self.row_cos, self.col_cos = iop[:3], iop[3:]
        self.normal = np.cross(self.row_cos, self.col_cos)
        self.sx = self.col_spacing   # mm per column step (index i)
        self.sy = self.row_spacing   # mm per row step (index j)
        if (cols, rows, len(self.positions)) != tuple(shape[:3]):
            raise InputError(f"acquisition.json {name}: Columns x Rows x slices {cols} x {rows} x "
                             f"{len(self.positions)} differ from the NIfTI's {shape[:3]}")

    def affine_lps(self) -> np.ndarray:
        """4x4 voxel (i, j, k) -> LPS mm, with the slice step taken from the positions."""
        if len(self.positions) > 1:
            step = self.positions[1] - self.positions[0]
        else:
            step = self.normal * self.slice_spacing
        a = np.eye(4)
        a[:3, 0] = self.row_cos * self.sx
        a[:3, 1] = self.col_cos * self.sy
        a[:3, 2] = step
        a[:3, 3] = self.positions[0]
        return a

    def point(self, i: float, j: float, k: int) -> np.ndarray:
        return self.positions[k] + i * self.sx * self.row_cos + j * self.sy * self.col_cos


def load_case(case_dir: Path):
    """Reads cmr/cine.nii.gz (column, row, slice, phase), cmr/lge.nii.gz and cmr/acquisition.json."""
    import nibabel as nib
    cmr = case_dir / "cmr"
    for f in ("cine.nii.gz", "lge.nii.gz", "acquisition.json"):
        if not (cmr / f).is_file():
            raise InputError(f"{cmr / f} not found")
    try:
        acq = json.loads((cmr / "acquisition.json").read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"{cmr / 'acquisition.json'}: not JSON ({e})")
    cine_img = nib.load(str(cmr / "cine.nii.gz"))
    lge_img = nib.load(str(cmr / "lge.nii.gz"))
    cine = np.asarray(cine_img.dataobj, dtype=np.float32)
    lge = np.asarray(lge_img.dataobj, dtype=np.float32)
    if cine.ndim != 4 or lge.ndim != 3:
        raise InputError(f"cine must be 4D and LGE 3D (got {cine.shape}, {lge.shape})")
    if not (np.isfinite(cine).all() and np.isfinite(lge).all()):
        raise InputError("NaN or infinite voxels in the images")
    if "cine" not in acq or "lge" not in acq:
        raise InputError("acquisition.json needs `cine` and `lge`")
    cs = Series("cine", acq["cine"], cine.shape)
    ls = Series("lge", acq["lge"], lge.shape)
    if len(cs.trigger_times) != cine.shape[3]:
        raise InputError(f"cine has {cine.shape[3]} phases but {len(cs.trigger_times)} TriggerTime values")
    if cine.shape[2] < 3 or cine.shape[3] < 4:
        raise InputError(f"too few slices or phases ({cine.shape[2]}, {cine.shape[3]})")
    # The NIfTI affine is RAS (nibabel); acquisition.json is LPS: they must agree after flipping x and y.
    ras_to_lps = np.diag([-1.0, -1.0, 1.0, 1.0])
    for name, img, ser in (("cine", cine_img, cs), ("lge", lge_img, ls)):
        if np.abs(ras_to_lps @ img.affine - ser.affine_lps())[:3].max() > 0.5:
            raise InputError(f"{name}.nii.gz affine disagrees with acquisition.json")
    return cine, lge, cs, ls, lge_img


# ---------------------------------------------------------------------------------------------------------------
# 2. Tissue classes
# ---------------------------------------------------------------------------------------------------------------

def kmeans_levels(values: np.ndarray, k: int = 3) -> np.ndarray:
    """Sorted k-means (OpenCV) cluster centres of the intensities."""
    import cv2
    v = values.astype(np.float32).reshape(-1, 1)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 1e-6)
    init = np.percentile(v, np.linspace(10, 90, k)).astype(np.float32).reshape(-1, 1)
    labels = np.argmin(np.abs(v - init.T), axis=1).astype(np.int32).reshape(-1, 1)
    _, _, centres = cv2.kmeans(v, k, labels, crit, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    return np.sort(centres.ravel())


def slice_levels(cine: np.ndarray, ser: Series) -> list:
    """Tissue levels (dark, grey, blood) of every slice, by k-means on the pixels within LOCAL_RADIUS_MM of the
    stack's centre line, all phases. Local and per slice because of surface-coil shading: a sum-of-squares image
    is brightest near the coil elements on the chest and back, so the fat under the skin can be brighter than the
    LV blood in the middle of the body, and global levels put the blood/myocardium edge above the blood pool.
    Within a few cm of the heart the shading is smooth enough for one set of levels per slice. The clusters are
    found on log intensities: shading multiplies, and in the log the three classes are about evenly spaced, so the
    bright blood (largest at the base) is not split into two classes by its own shading."""
    from scipy import ndimage as ndi
    ni, nj, nk, _ = cine.shape
    yy, xx = np.mgrid[0:nj, 0:ni]
    near = np.hypot((xx - (ni - 1) / 2.0) * ser.sx, (yy - (nj - 1) / 2.0) * ser.sy) <= LOCAL_RADIUS_MM
    out = []
    for k in range(nk):
        v = cine[:, :, k, :].transpose(1, 0, 2)[near].ravel()[::3]
        if v.size < 100 or np.ptp(v) <= 0:
            raise InputError(f"slice {k} of the cine has no contrast")
        out.append(np.exp(kmeans_levels(np.log(np.maximum(v, 1e-6 * v.max())), 3)))
    # a slice with little blood (the apex) has no blood class of its own: median of 3 neighbours along the stack
    lv = ndi.median_filter(np.array(out), size=(3, 1), mode="mirror")
    return [dict(dark=float(d), grey=float(g), blood=float(b)) for d, g, b in lv]


# ---------------------------------------------------------------------------------------------------------------
# 3. LV blood pool
# ---------------------------------------------------------------------------------------------------------------

def disk(radius_px: float) -> np.ndarray:
    r = max(1, int(round(radius_px)))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return (x * x + y * y <= r * r + 0.5).astype(np.uint8)


def convex_hull_mask(mask: np.ndarray) -> np.ndarray:
    import cv2
    pts = cv2.findNonZero(mask.astype(np.uint8))
    out = np.zeros(mask.shape, np.uint8)
    if pts is None:
        return out.astype(bool)
    cv2.fillConvexPoly(out, cv2.convexHull(pts), 1)
    return out.astype(bool)


def roundness(mask: np.ndarray) -> float:
    """4 pi A / P^2 of the mask's outer contour (1 for a disc)."""
    import cv2
    cs, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not cs:
        return 0.0
    c = max(cs, key=cv2.contourArea)
    p = cv2.arcLength(c, True)
    return float(4 * math.pi * cv2.contourArea(c) / (p * p)) if p > 0 else 0.0


def find_lv(cine: np.ndarray, ser: Series, levels: list):
    """LV blood pool per slice (mask, rows x columns) at phase 0, or None where the slice does not cut the LV.
    Candidates are bright components of 1-150 cm2 (above the slice's own blood/grey half level); score = roundness x
    systolic shrinkage x the fraction of a 4-mm ring around them that is grey (myocardium) x nearness to the stack's
    centre line (the image centre: the stack is planned on the LV). The best candidate of the stack seeds a chain
    that follows the overlapping candidates towards both ends of the stack."""
    from scipy import ndimage as ndi
    nk = cine.shape[2]
    px_area = ser.sx * ser.sy
    ring_px = 4.0 / min(ser.sx, ser.sy)
    yc, xc = (cine.shape[1] - 1) / 2.0, (cine.shape[0] - 1) / 2.0
    cands = []   # per slice: list of (score, mask)
    for k in range(nk):
        img0 = cine[:, :, k, 0].T
        bright_thr = 0.5 * (levels[k]["blood"] + levels[k]["grey"])
        mid_thr = 0.5 * (levels[k]["grey"] + levels[k]["dark"])
        bright = ndi.binary_opening(img0 > bright_thr, structure=disk(1))
        lab, n = ndi.label(bright)
        out = []
        if n:
            areas = ndi.sum(np.ones_like(lab), lab, index=np.arange(1, n + 1)) * px_area
            for c in range(1, n + 1):
                if not (100 <= areas[c - 1] <= 15000):
                    continue
                m = lab == c
                sl = ndi.find_objects(m.astype(np.uint8))[0]
                pad = int(ring_px) + 3
                ys = slice(max(sl[0].start - pad, 0), sl[0].stop + pad)
                xs = slice(max(sl[1].start - pad, 0), sl[1].stop + pad)
                mc = m[ys, xs]
                ring = ndi.binary_dilation(mc, structure=disk(ring_px)) & ~mc
                grey = (img0[ys, xs] > mid_thr) & (img0[ys, xs] <= bright_thr)
                ring_grey = float(grey[ring].mean()) if ring.any() else 0.0
                # area of bright pixels inside the ED component at every phase: systolic shrinkage
                sub = cine[xs, ys, k, :].transpose(1, 0, 2)
                a_t = ((sub > bright_thr) & mc[:, :, None]).sum(axis=(0, 1))
                shrink = 1.0 - a_t.min() / max(a_t.max(), 1)
                cy, cx = ndi.center_of_mass(m)
                dist_mm = math.hypot((cx - xc) * ser.sx, (cy - yc) * ser.sy)
                near = 1.0 / (1.0 + (dist_mm / CENTRE_SCALE_MM) ** 2)
                score = roundness(mc) * ring_grey * (shrink + 0.02) * near
                out.append((score, m))
        cands.append(out)
    best = max(((s, k, m) for k, o in enumerate(cands) for s, m in o), key=lambda t: t[0], default=None)
    if best is None or best[0] <= 0:
        raise InputError("no LV blood pool found in the cine")
    _, kbest, mbest = best
    masks = [None] * nk
    masks[kbest] = mbest
    for direction in (-1, 1):
        prev = mbest
        k = kbest + direction
        while 0 <= k < nk:
            # the candidate overlapping the neighbour's pool most, with a reasonable score
            choice = None
            for s, m in cands[k]:
                ov = (m & prev).sum() / max(min(m.sum(), prev.sum()), 1)
                if ov > 0.5 and s > 0.05 * best[0] and (choice is None or s > choice[0]):
                    choice = (s, m)
            if choice is None:
                break
            # continuity: a pool reaches at most CHAIN_MARGIN_MM beyond its neighbour's (breath-hold shifts,
            # the cavity's taper). At the base this cuts a pool that leaks through the valve plane (a tilted or
            # saddle-shaped annulus leaves part of the slice in the outflow tract or the atrium).
            m = choice[1] & ndi.binary_dilation(prev, structure=disk(CHAIN_MARGIN_MM / min(ser.sx, ser.sy)))
            lab, n = ndi.label(ndi.binary_opening(m, structure=disk(1)))
            if n == 0:
                break
            m = lab == 1 + int(np.argmax(ndi.sum(m, lab, index=np.arange(1, n + 1))))
            masks[k] = m
            prev = m
            k += direction
    return masks


# ---------------------------------------------------------------------------------------------------------------
# 4. Cavity and myocardium per slice and phase
# ---------------------------------------------------------------------------------------------------------------

def bilinear(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy import ndimage as ndi
    return ndi.map_coordinates(img, [y, x], order=1, mode="nearest")


def segment_slice(img: np.ndarray, ed_cavity: np.ndarray, levels: dict, ser: Series):
    """Cavity and wall of one slice at one phase. `ed_cavity` is the LV pool at ED (bounds where the cavity can be).
    Returns dict(cavity mask, centre (x, y) px, endo radius per ray (px), epi radius per ray (px), valid) or None."""
    from scipy import ndimage as ndi
    blood, grey, dark = levels["blood"], levels["grey"], levels["dark"]
    half_bg = 0.5 * (blood + grey)           # blood / myocardium edge (half level: partial volume 50 %)
    half_gd = 0.5 * (grey + dark)            # myocardium / lung edge
    allowed = ndi.binary_dilation(ed_cavity, structure=disk(3.0 / min(ser.sx, ser.sy)))
    bright = (img > half_bg) & allowed
    lab, n = ndi.label(bright)
    if n == 0:
        return None
    overlap = ndi.sum(ed_cavity, lab, index=np.arange(1, n + 1))
    c = int(np.argmax(overlap)) + 1
    if overlap[c - 1] < 4:
        return None
    cavity = convex_hull_mask(lab == c)
    ys, xs = np.nonzero(cavity)
    cx, cy = xs.mean(), ys.mean()
    # rays: endocardium = edge of the cavity hull, epicardium = first exit from the grey class
    ang = np.arange(N_RAYS) * 2 * np.pi / N_RAYS
    step = 0.25
    max_r = (math.sqrt(cavity.sum() / math.pi) + MAX_WALL_MM / min(ser.sx, ser.sy)) * 1.6 + 4
    radii = np.arange(0, max_r, step)
    # sample in mm-isotropic directions: x (columns) in px = r cos / sx ..., with r in mm
    rr_mm = radii * min(ser.sx, ser.sy)
    X = cx + np.outer(np.cos(ang), rr_mm) / ser.sx
    Y = cy + np.outer(np.sin(ang), rr_mm) / ser.sy
    inside = bilinear(cavity.astype(np.float32), X, Y) >= 0.5
    prof = bilinear(img.astype(np.float32), X, Y)
    endo = np.empty(N_RAYS)
    epi = np.empty(N_RAYS)
    for a in range(N_RAYS):
        out_idx = np.nonzero(~inside[a])[0]
        i0 = out_idx[0] if len(out_idx) else len(radii) - 1
        endo[a] = radii[i0]
        p = prof[a, i0:]
        # skip the partial-volume layer (1 px) next to the cavity, then find where the wall ends
        skip = int(round(1.0 / step))
        exits = np.nonzero((p[skip:] > half_bg) | (p[skip:] < half_gd))[0]
        epi[a] = radii[min(i0 + skip + exits[0], len(radii) - 1)] if len(exits) else radii[-1]
    thick = epi - endo
    # cyclic median over 15 rays (30 degrees): a wall touching grey liver or muscle on a few rays does not leak
    med = ndi.median_filter(thick, size=15, mode="wrap")
    limit = MAX_WALL_MM / min(ser.sx, ser.sy) / 1.0
    thick = np.clip(np.where(thick > 1.5 * med, med, thick), 0.5, limit)
    # valid LV section: a grey wall of at least 3 mm on most rays (an atrium's wall is thinner)
    wall = thick * min(ser.sx, ser.sy) >= 3.0
    valid = np.mean(wall) >= 0.6
    if valid and not wall.all():
        # rays without a wall: at the base (tilted, saddle-shaped annulus) the pool runs on into the outflow tract
        # or the atrium there. The contour is closed across the gap between the wall's ends, as a reader does
        # (endocardial radius interpolated over the angle), and the cavity cut to it; no myocardium on those rays.
        endo_new = np.interp(ang, ang[wall], endo[wall], period=2 * np.pi)
        gap = ~wall & (endo_new < endo)
        if gap.any():
            endo = np.where(gap, endo_new, endo)
            thick = np.where(gap, 0.5, thick)
            cavity &= polygon_mask(cavity.shape, *ray_points(dict(centre=(cx, cy), angles=ang), endo, ser))
    epi = endo + thick
    return dict(cavity=cavity, centre=(cx, cy), endo=endo, epi=epi, angles=ang, valid=bool(valid))


def ray_points(seg: dict, radius: np.ndarray, ser: Series):
    """Pixel coordinates (x, y) of the points at `radius` (mm-isotropic px units) on each ray."""
    cx, cy = seg["centre"]
    s = min(ser.sx, ser.sy)
    return (cx + np.cos(seg["angles"]) * radius * s / ser.sx, cy + np.sin(seg["angles"]) * radius * s / ser.sy)


def polygon_mask(shape, xs, ys) -> np.ndarray:
    import cv2
    out = np.zeros(shape, np.uint8)
    pts = np.round(np.stack([xs, ys], axis=1) * 16).astype(np.int32)   # sub-pixel polygon (4 fractional bits)
    cv2.fillPoly(out, [pts], 1, lineType=cv2.LINE_8, shift=4)
    return out.astype(bool)


def myocardium_mask(seg: dict, shape, ser: Series) -> np.ndarray:
    ex, ey = ray_points(seg, seg["epi"], ser)
    return polygon_mask(shape, ex, ey) & ~seg["cavity"]


# ---------------------------------------------------------------------------------------------------------------
# 7. Optical-flow radial strain
# ---------------------------------------------------------------------------------------------------------------

def track_wall(frames: np.ndarray, ed: int, seg: dict, ser: Series, vmax: float):
    """Tracks the ED endocardial and epicardial point of every ray through all phases with Farneback optical flow
    from the ED frame (OpenCV calcOpticalFlowFarneback) on an upsampled crop. Returns thickness[ray, phase] (mm)."""
    import cv2
    nt = frames.shape[2]
    s = min(ser.sx, ser.sy)
    ex, ey = ray_points(seg, seg["endo"], ser)
    px, py = ray_points(seg, seg["epi"], ser)
    cx, cy = seg["centre"]
    half = int(math.ceil(seg["epi"].max() * s / min(ser.sx, ser.sy))) + 8
    x0, y0 = int(cx) - half, int(cy) - half
    h, w = frames.shape[0], frames.shape[1]
    x0c, y0c = max(x0, 0), max(y0, 0)
    x1c, y1c = min(int(cx) + half, w), min(int(cy) + half, h)
    crop = frames[y0c:y1c, x0c:x1c, :]
    # isotropic pixels of size s / FLOW_UPSAMPLE
    fx, fy = FLOW_UPSAMPLE * ser.sx / s, FLOW_UPSAMPLE * ser.sy / s

    def prep(im):
        im = cv2.resize(im, None, fx=fx, fy=fy, interpolation=cv2.INTER_CUBIC)
        return np.clip(im / vmax * 255.0, 0, 255).astype(np.uint8)

    ref = prep(crop[:, :, ed])
    # point positions in the upsampled crop: pixel centres map as (x + 0.5) * f - 0.5
    def to_up(x, y):
        return (x - x0c + 0.5) * fx - 0.5, (y - y0c + 0.5) * fy - 0.5
    uex, uey = to_up(ex, ey)
    upx, upy = to_up(px, py)
    thick = np.zeros((N_RAYS, nt))
    dis = None
    if FLOW_METHOD == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        for key, v in DIS.items():
            getattr(dis, "set" + key)(v)
    for t in range(nt):
        if t == ed:
            fl = np.zeros(ref.shape + (2,), np.float32)
        elif dis is not None:
            fl = dis.calc(ref, prep(crop[:, :, t]), None)
        else:
            fl = cv2.calcOpticalFlowFarneback(ref, prep(crop[:, :, t]), None, **FARNEBACK)
        dxe, dye = bilinear(fl[:, :, 0], uex, uey), bilinear(fl[:, :, 1], uex, uey)
        dxp, dyp = bilinear(fl[:, :, 0], upx, upy), bilinear(fl[:, :, 1], upx, upy)
        # tracked points in mm (one upsampled pixel is s / FLOW_UPSAMPLE mm in both directions)
        u = s / FLOW_UPSAMPLE
        ex_t, ey_t = (uex + dxe) * u, (uey + dye) * u
        px_t, py_t = (upx + dxp) * u, (upy + dyp) * u
        # radial thickness: distance of the epicardial point minus that of the endocardial point from the tracked
        # cavity centre. (The plain distance between the two points would also grow with shear and twist, which
        # move them apart tangentially without thickening the wall.)
        c_x, c_y = ex_t.mean(), ey_t.mean()
        thick[:, t] = np.hypot(px_t - c_x, py_t - c_y) - np.hypot(ex_t - c_x, ey_t - c_y)
    return thick


def fourier_smooth(curve: np.ndarray, harmonics: int) -> np.ndarray:
    """Low-pass filter of a periodic curve: keeps the mean and the first `harmonics` Fourier harmonics of the
    cardiac cycle (the cine's phases are evenly spaced over one R-R interval)."""
    n = len(curve)
    if harmonics <= 0 or harmonics >= n // 2:
        return curve
    spectrum = np.fft.rfft(curve)
    spectrum[harmonics + 1:] = 0
    return np.fft.irfft(spectrum, n)


# ---------------------------------------------------------------------------------------------------------------
# 6. Segment model
# ---------------------------------------------------------------------------------------------------------------

def segment_id(ring: int, angle_deg: np.ndarray) -> np.ndarray:
    """id = 12 r + ((floor(angle / 30) + 2) mod 12) + 1, angle from the anterior RV insertion through the septum."""
    sector = np.floor(np.mod(angle_deg, 360.0) / 30.0).astype(int)
    return 12 * ring + (sector + 2) % 12 + 1


def aha17_of(seg_id: int) -> int:
    ring, idx = (seg_id - 1) // 12, (seg_id - 1) % 12
    aha = idx // 2 + 1
    if ring < 2:
        return 6 * ring + aha
    # apical: 4 sectors (anterior 285-15, septal 15-105, inferior 105-195, lateral 195-285 degrees); the segment
    # goes to the sector holding its lower-angle half (probe 7.5 degrees past its start)
    start = (300.0 + 30.0 * idx) % 360.0
    return 13 + int(((start + 7.5 - 285.0) % 360.0) // 90.0)


def segment_name(seg_id: int) -> str:
    ring, idx = (seg_id - 1) // 12, (seg_id - 1) % 12
    return f"{RING_NAMES[ring]}-{AHA_SECTOR_NAMES[idx // 2]} {idx % 2 + 1}"


def circular_arc(occupied: np.ndarray):
    """Largest run of True in a cyclic boolean array: (start index, length)."""
    n = len(occupied)
    if occupied.all():
        return 0, n
    if not occupied.any():
        return None
    shift = int(np.argmin(occupied))       # a False bin: runs do not wrap after rolling
    o = np.roll(occupied, -shift)
    best, cur, start = (0, 0), 0, 0
    for i, v in enumerate(o):
        if v:
            if cur == 0:
                start = i
            cur += 1
            if cur > best[1]:
                best = ((start + shift) % n, cur)
        else:
            cur = 0
    return best


def rv_arc(img: np.ndarray, seg: dict, levels: dict, ser: Series):
    """Angular extent (in the image's atan2(y, x) sense, degrees) of RV blood within RV_SEARCH_MM beyond the
    epicardium: (start, end) of the largest arc, or None."""
    from scipy import ndimage as ndi
    half_bg = 0.5 * (levels["blood"] + levels["grey"])
    s = min(ser.sx, ser.sy)
    radii = np.arange(0, RV_SEARCH_MM / s, 0.5)
    occ = np.zeros(N_RAYS, bool)
    for a in range(N_RAYS):
        r = seg["epi"][a] + radii
        x = seg["centre"][0] + np.cos(seg["angles"][a]) * r * s / ser.sx
        y = seg["centre"][1] + np.sin(seg["angles"][a]) * r * s / ser.sy
        occ[a] = (bilinear(img.astype(np.float32), x, y) > half_bg).mean() > 0.25
    # close gaps of up to 3 rays (6 degrees) and drop specks shorter than 5 rays (fat pads, vessels)
    occ = ndi.binary_closing(np.concatenate([occ, occ, occ]), structure=np.ones(4))[N_RAYS:2 * N_RAYS]
    arc = circular_arc(occ)
    if arc is None or arc[1] < 10 or arc[1] > N_RAYS * 0.6:
        return None
    step = 360.0 / N_RAYS
    return (arc[0] * step) % 360.0, ((arc[0] + arc[1]) * step) % 360.0


def circ_median_deg(a: list) -> float:
    """Circular median: the sample minimising the summed angular distance."""
    a = np.asarray(a)
    d = np.abs((a[:, None] - a[None, :] + 180) % 360 - 180).sum(axis=1)
    return float(a[np.argmin(d)])


# ---------------------------------------------------------------------------------------------------------------
# Main analysis
# ---------------------------------------------------------------------------------------------------------------

def analyse(case_dir: Path, out_dir: Path, rings=DEFAULT_RINGS):
    import nibabel as nib
    from scipy import ndimage as ndi
    notes = []
    cine, lge, cs, ls, lge_img = load_case(case_dir)
    ni, nj, nk, nt = cine.shape
    times = cs.trigger_times
    s_iso = min(cs.sx, cs.sy)

    # --- 2. tissue levels per slice, from the neighbourhood of the heart (surface-coil shading: slice_levels)
    slevels = slice_levels(cine, cs)

    # --- 3. LV pool per slice at phase 0, then per slice and phase
    pools = find_lv(cine, cs, slevels)
    lv_slices = [k for k in range(nk) if pools[k] is not None]
    # refine the levels per slice from the found pool and its wall
    segs = {}   # (k, t) -> segmentation
    for k in lv_slices:
        img0 = cine[:, :, k, 0].T
        pool = pools[k]
        inner = ndi.binary_erosion(pool, structure=disk(1))
        ring = ndi.binary_dilation(pool, structure=disk(4.0 / s_iso)) & ~ndi.binary_dilation(pool, structure=disk(1))
        lev = dict(slevels[k])
        bright_thr = 0.5 * (lev["blood"] + lev["grey"])
        mid_thr = 0.5 * (lev["grey"] + lev["dark"])
        ring_vals = img0[ring]
        ring_vals = ring_vals[(ring_vals > mid_thr) & (ring_vals < bright_thr)]
        if inner.sum() > 10:
            lev["blood"] = float(np.median(img0[inner]))
        if ring_vals.size > 10:
            lev["grey"] = float(np.median(ring_vals))
        for t in range(nt):
            seg = segment_slice(cine[:, :, k, t].T, pool, lev, cs)
            if seg is not None:
                seg["levels"] = lev
            segs[(k, t)] = seg

    # --- 5a. through-plane motion: the base descends in systole, so a basal slice may show the valve plane and
    # the atrium instead of the LV for part of the cycle (the slab is thick: often only part of it). Such a
    # slice's ED blood pool turns mostly grey at some phase: below 3/4 of the way from myocardium to blood, i.e.
    # no longer clearly blood (partial volume with the valve plane counts).
    crossed = set()
    for k in lv_slices:
        lev = next((segs[(k, t)]["levels"] for t in range(nt) if segs[(k, t)] is not None), slevels[k])
        bright_thr = lev["grey"] + 0.75 * (lev["blood"] - lev["grey"])
        grey_frac = max(float((cine[:, :, k, t].T[pools[k]] < bright_thr).mean()) for t in range(nt))
        if grey_frac > 0.5:
            crossed.add(k)
    # Both end slices of the LV stack at the trigger phase are counted by signal too (5b): the slab of the basal
    # one is cut obliquely by a tilted, saddle-shaped annulus (part of it outflow tract, valve or atrium), that of
    # the apical one by the tapering cap; the convex hull of the pool would count their partial volume as cavity.
    v0 = [k for k in lv_slices if segs[(k, 0)] is not None and segs[(k, 0)]["valid"]]
    by_signal = crossed | ({min(v0), max(v0)} if len(v0) >= 2 else set())

    # --- 5b. volumes (Simpson's rule): cavity area x SpacingBetweenSlices, summed over the slices whose LV
    # section is valid at that phase. On a slice the valve plane moves through, the blood is counted by its
    # signal (partial volume: the fraction of the slab that is LV blood) within the ED pool.
    areas = np.zeros((nk, nt))
    for (k, t), seg in segs.items():
        if seg is None or not seg["valid"]:
            continue
        if k in by_signal:
            lev = seg["levels"]
            contrast = max(lev["blood"] - lev["grey"], 1e-9)
            frac = np.clip((cine[:, :, k, t].T[pools[k]] - lev["grey"]) / contrast, 0, 1)
            areas[k, t] = frac.sum() * cs.sx * cs.sy
        else:
            areas[k, t] = seg["cavity"].sum() * cs.sx * cs.sy
    vol = areas.sum(axis=0) * cs.slice_spacing / 1000.0
    # ED: the trigger phase (R wave) unless a later phase is clearly larger; ES: the smallest volume
    ed = 0 if vol[0] >= 0.985 * vol.max() else int(np.argmax(vol))
    es = int(np.argmin(vol))
    edv, esv = float(vol[ed]), float(vol[es])
    ef = (edv - esv) / edv if edv > 0 else 0.0

    # --- 6a. long axis: base = the end of the LV stack with the larger ED cavity
    ed_slices = [k for k in lv_slices if segs[(k, ed)] is not None and segs[(k, ed)]["valid"]]
    if len(ed_slices) < 2:
        raise InputError("the LV was found on fewer than 2 slices")
    k_first, k_last = min(ed_slices), max(ed_slices)
    if areas[k_first, ed] < areas[k_last, ed]:
        k_base, k_apex, kdir = k_last, k_first, -1
    else:
        k_base, k_apex, kdir = k_first, k_last, 1
    step_vec = (cs.positions[-1] - cs.positions[0]) / max(nk - 1, 1)
    base_to_apex = step_vec * kdir
    base_to_apex /= np.linalg.norm(base_to_apex)
    handed = 1.0 if np.dot(base_to_apex, cs.normal) > 0 else -1.0   # image atan2 angle -> right-handed angle
    # heights along base-to-apex (mm) of each slice centre from the base plane (basal face of the basal slice)
    height = {k: (k - k_base) * kdir * cs.slice_spacing + 0.5 * cs.slice_spacing for k in range(nk)}
    # endocardial apex: extrapolate the ED cavity area of the two most apical slices linearly to zero (a cone)
    a1, a2 = areas[k_apex - kdir, ed], areas[k_apex, ed]
    beyond = cs.slice_spacing * (a2 / (a1 - a2) if a1 > a2 > 0 else 0.5)
    cavity_len = height[k_apex] + min(beyond, cs.slice_spacing)
    slice_ring = {}
    for k in lv_slices:
        f = height[k] / cavity_len
        slice_ring[k] = 0 if f < rings[0] else (1 if f < rings[1] else 2)

    # --- 6b. angular reference: anterior RV insertion from the RV pool on the basal and mid slices at ED
    starts = []
    ins_pts = []
    for k in ed_slices:
        if slice_ring[k] == 2:
            continue
        seg = segs[(k, ed)]
        arc = rv_arc(cine[:, :, k, ed].T, seg, seg["levels"], cs)
        if arc is None:
            continue
        # in right-handed angles the arc runs from the anterior insertion through the septum to the inferior one
        a0, a1_ = arc
        if handed < 0:
            a0, a1_ = (-a1_) % 360.0, (-a0) % 360.0
        # The blood crescent reaches some degrees past the insertion points on both sides (it wraps round the
        # wall junction), so its ends are not the insertions; its middle is the septal centre. Simple rule: the
        # anterior insertion is 60 degrees before the middle (the septum spans two AHA sectors, 120 degrees).
        width = (a1_ - a0) % 360.0
        starts.append((a0 + 0.5 * width - 60.0) % 360.0)
        ins_pts.append((k, starts[-1], (starts[-1] + 120.0) % 360.0))
    if starts:
        ref_deg = circ_median_deg(starts)
    else:
        ref_deg = 0.0
        notes.append("RV insertion not found: angles measured from the image's column axis")

    def seg_angle(angle_img_deg):
        """Image atan2 angle (degrees) -> degrees from the anterior RV insertion, right-handed about base-apex."""
        return np.mod(handed * angle_img_deg - ref_deg, 360.0)

    # --- 7. strain per ray by optical flow, on slices whose LV section is valid at every phase. No strain on
    # the slices the valve plane moves through, nor on the apical tip (the wall is cut obliquely there).
    vmax = float(np.percentile(cine[:, :, lv_slices, :], 99.5))
    per_slice = {}   # k -> (ray thickness [rays, phases], ray strain)
    for k in ed_slices:
        if k == k_apex or k in crossed:
            continue
        if not all(segs[(k, t)] is not None and segs[(k, t)]["valid"] for t in range(nt)):
            continue
        thick = track_wall(cine[:, :, k, :].transpose(1, 0, 2), ed, segs[(k, ed)], cs, vmax)
        per_slice[k] = (thick, thick / np.maximum(thick[:, [ed]], 1e-3) - 1.0)
    # The slice next to the valve plane's path holds part of the moving base in its slab (partial volume): its
    # apparent thickening is then far above the other slices'. Such a slice is left out.
    peaks = {k: float(v[1].mean(axis=0).max()) for k, v in per_slice.items()}
    for k in sorted({k + kdir for k in crossed} & set(per_slice)):
        others = [p for j, p in peaks.items() if j != k]
        if others and peaks[k] > 1.3 * float(np.median(others)):
            del per_slice[k]
            notes.append(f"slice {k}: thickening {peaks[k]:.2f} next to the valve plane's path, left out of strain")
    if crossed:
        notes.append(f"the valve plane moves through slice(s) {sorted(crossed)}: no strain there")
    seg_curves = {i: [] for i in range(1, 37)}   # id -> list of (weight, curve)
    wall_mm = {i: [] for i in range(1, 37)}
    for k, (thick, strain) in sorted(per_slice.items()):
        seg = segs[(k, ed)]
        ids = segment_id(slice_ring[k], seg_angle(np.degrees(seg["angles"])))
        for sid in np.unique(ids):
            sel = ids == sid
            seg_curves[int(sid)].append((sel.sum(), strain[sel].mean(axis=0)))
            wall_mm[int(sid)].append(float(thick[sel, ed].mean()))

    curves = [None] * 36
    peak = np.zeros(36)
    act = [None] * 36
    ttp = [None] * 36
    for sid in range(1, 37):
        if not seg_curves[sid]:
            continue
        w = np.array([c[0] for c in seg_curves[sid]], float)
        cur = (np.array([c[1] for c in seg_curves[sid]]) * w[:, None]).sum(axis=0) / w.sum()
        cur = fourier_smooth(cur, TEMPORAL_HARMONICS)
        curves[sid - 1] = cur
        ip = int(np.argmax(cur))
        peak[sid - 1] = float(cur[ip])
        ttp[sid - 1] = float(times[ip])
        # --- 8. activation: first crossing of 50 % of the segment's own peak, linear between phases
        if cur[ip] > 0.005:
            half = 0.5 * cur[ip]
            i = next(i for i in range(nt) if cur[i] >= half)
            if i == 0:
                act[sid - 1] = float(times[0])
            else:
                f = (half - cur[i - 1]) / (cur[i] - cur[i - 1])
                act[sid - 1] = float(times[i - 1] + f * (times[i] - times[i - 1]))

    # --- 9. scar: the cine myocardium at the phase nearest the LGE trigger time, carried onto the LGE grid
    t_lge = int(np.argmin(np.abs(times - ls.trigger_times[0])))
    cine_aff = cs.affine_lps()
    lge_aff = ls.affine_lps()
    vox = np.linalg.inv(cine_aff) @ lge_aff   # LGE voxel -> cine voxel
    myo_cine = np.zeros((nk, nj, ni), bool)   # [k, row, col]
    pure_cine = np.zeros((nk, nj, ni), bool)
    pool_cine = np.zeros((nk, nj, ni), bool)
    segid_cine = np.zeros((nk, nj, ni), np.int16)
    yy, xx = np.mgrid[0:nj, 0:ni]
    for k in lv_slices:
        seg = segs[(k, t_lge)]
        if seg is None or not seg["valid"]:
            continue
        m = myocardium_mask(seg, (nj, ni), cs)
        myo_cine[k] = m
        pool_cine[k] = ndi.binary_erosion(seg["cavity"], structure=disk(2))
        # "pure" myocardium: cine signal near the wall's own level, not raised by partial volume with the blood
        # pool, trabeculae or epicardial fat (the same partial volume raises the LGE signal there)
        img, lev = cine[:, :, k, t_lge].T, seg["levels"]
        pure_cine[k] = m & (img <= lev["grey"] + 0.25 * (lev["blood"] - lev["grey"])) \
            & (img >= lev["grey"] - 0.5 * (lev["grey"] - lev["dark"]))
        ang = np.degrees(np.arctan2((yy - seg["centre"][1]) * cs.sy, (xx - seg["centre"][0]) * cs.sx))
        segid_cine[k][m] = segment_id(slice_ring[k], seg_angle(ang[m]))
    li, lj, lk = lge.shape
    gi, gj, gk = np.meshgrid(np.arange(li), np.arange(lj), np.arange(lk), indexing="ij")
    pts = np.stack([gi.ravel(), gj.ravel(), gk.ravel(), np.ones(gi.size)])
    cv = (vox @ pts)[:3]
    ci, cj, ck = (np.round(v).astype(int) for v in cv)
    ok = (ci >= 0) & (ci < ni) & (cj >= 0) & (cj < nj) & (ck >= 0) & (ck < nk) & (np.abs(cv[2] - ck) < 0.5)
    myo = np.zeros(lge.size, bool)
    pure = np.zeros(lge.size, bool)
    pool = np.zeros(lge.size, bool)
    sid_l = np.zeros(lge.size, np.int16)
    myo[ok] = myo_cine[ck[ok], cj[ok], ci[ok]]
    pure[ok] = pure_cine[ck[ok], cj[ok], ci[ok]]
    pool[ok] = pool_cine[ck[ok], cj[ok], ci[ok]]
    sid_l[ok] = segid_cine[ck[ok], cj[ok], ci[ok]]
    cine_l = np.zeros(lge.size, np.float32)
    cine_l[ok] = cine[ci[ok], cj[ok], ck[ok], t_lge]
    myo, pure, pool, sid_l, cine_l = (a.reshape(lge.shape) for a in (myo, pure, pool, sid_l, cine_l))
    # --- 9a. the LGE's breath-holds are not the cine's: each LGE slice is aligned in-plane to the cine by the
    # integer shift within LGE_SHIFT_MM that maximises the normalised cross-correlation of the two images round
    # the LV (bright blood, dark lung in both); the cine's masks are moved by it. Without this the blood pool, as
    # bright as scar after contrast, slides into the carried myocardium and is counted as scar.
    r = int(round(LGE_SHIFT_MM / min(ls.sx, ls.sy)))
    for k in range(lk):
        if not myo[:, :, k].any():
            continue
        win = ndi.binary_dilation(myo[:, :, k], structure=disk(10.0 / min(ls.sx, ls.sy)))
        shifts = [(di, dj) for di in range(-r, r + 1) for dj in range(-r, r + 1)]
        ncc = [np.corrcoef(cine_l[:, :, k][win], np.roll(lge[:, :, k], (-di, -dj), axis=(0, 1))[win])[0, 1]
               for di, dj in shifts]
        di, dj = shifts[int(np.argmax(ncc))]
        for a in (myo, pure, pool, sid_l):
            a[:, :, k] = np.roll(a[:, :, k], (di, dj), axis=(0, 1))
    if not myo.any():
        raise InputError("no LV myocardium on the LGE slices")

    # the core wall: pure myocardium (above), for the reference signals and for finding scar clusters
    core = pure if pure.sum() >= 20 else myo
    smooth = np.stack([ndi.median_filter(lge[:, :, k], size=3) for k in range(lk)], axis=2)
    remote_median = float(np.median(lge[core]))
    remote_sd = float(1.4826 * np.median(np.abs(lge[core] - remote_median)))
    blood_lge = float(np.median(lge[pool])) if pool.sum() >= 20 else float(np.percentile(lge[myo], 99))
    max_signal = float(smooth[core].max())
    threshold = 0.5 * max_signal                 # FWHM: half the maximum myocardial signal
    # Clusters are found in the core wall only: the layer next to the blood pool or epicardial fat is bright in
    # LGE by partial volume alone. A core cluster is scar when it is large enough and clearly brighter than the
    # remote myocardium (mean >= remote median + SCAR_CNR_MIN robust SDs); the border layer then joins the scar
    # where it is above the threshold and touches accepted core scar in-plane.
    cand = core & (lge >= threshold)
    # connectivity: 8 neighbours in-plane, the same voxel on the next slice
    conn = np.zeros((3, 3, 3), bool)
    conn[:, :, 1] = True
    conn[1, 1, :] = True
    lab, n = ndi.label(cand, structure=conn)
    voxel_ml = ls.sx * ls.sy * ls.slice_spacing / 1000.0
    scar = np.zeros_like(myo)
    kept = 0
    for c in range(1, n + 1):
        m = lab == c
        vol_ml = m.sum() * voxel_ml
        cnr = (lge[m].mean() - remote_median) / max(remote_sd, 1e-9)
        # enhanced beyond what partial volume with the blood pool makes (thick slices cut the apex and the
        # trabeculae obliquely): at least SCAR_BLOOD_LEVEL of the way from remote myocardium to blood. Infarct
        # LGE is typically about as bright as the blood pool or brighter.
        above_pv = lge[m].mean() >= remote_median + SCAR_BLOOD_LEVEL * (blood_lge - remote_median)
        if vol_ml >= SCAR_MIN_ML and cnr >= SCAR_CNR_MIN and above_pv:
            scar |= m
            kept += 1
    if kept:
        border = myo & ~core & (lge >= threshold)
        grown = np.stack([ndi.binary_dilation(scar[:, :, k], structure=np.ones((3, 3))) for k in range(lk)], axis=2)
        scar |= border & grown
    present = bool(scar.any())
    burden = 100.0 * scar.sum() / myo.sum()
    status = (f"{kept} cluster(s) above half the maximum myocardial signal, {SCAR_CNR_MIN:g} SD above remote and "
              f"near the blood pool's signal" if present
              else "no cluster of the core wall passes the size, contrast-to-noise and blood-level gates")

    scar_frac = np.zeros(36)
    transmural = np.zeros(36)
    for sid in range(1, 37):
        m = sid_l == sid
        if m.any():
            scar_frac[sid - 1] = scar[m].sum() / m.sum()
            transmural[sid - 1] = scar_frac[sid - 1]   # area fraction as a simple stand-in for transmural extent

    # --- 10a. spatial regularisation of the activation map (after the scar, which decides what is reliable): each
    # reliable segment's time becomes the mean of its own and of the mean of its reliable neighbours (the two
    # angular neighbours in its ring, the same sector in the rings above and below). Reliable: measured, not
    # scarred, moving (a scarred segment's curve is passive motion).
    # One or two slices sample a segment that spans a third of the ventricle, and the wall's local geometry (apex,
    # papillary muscles, the thin RV apex) biases single slices by 10-30 ms; the activation front propagates
    # smoothly, so the neighbours carry information.
    measured = [sid for sid in range(1, 37) if curves[sid - 1] is not None]
    reliable = {sid for sid in measured if act[sid - 1] is not None and scar_frac[sid - 1] < SCARRED_FRACTION
                and peak[sid - 1] >= MIN_PEAK_STRAIN}
    blended = list(act)
    for sid in reliable:
        r, i = (sid - 1) // 12, (sid - 1) % 12
        nbrs = [12 * r + (i + d) % 12 + 1 for d in (-1, 1)]
        nbrs += [12 * rr + i + 1 for rr in (r - 1, r + 1) if 0 <= rr < 3]
        nbrs = [n for n in nbrs if n in reliable]
        if nbrs:
            mean_nbrs = float(np.mean([act[n - 1] for n in nbrs]))
            blended[sid - 1] = (1 - ACTIVATION_BLEND) * act[sid - 1] + ACTIVATION_BLEND * mean_nbrs
    act = blended

    # --- 10b. decision rule
    eligible = [sid for sid in measured
                if scar_frac[sid - 1] < SCARRED_FRACTION and peak[sid - 1] >= MIN_PEAK_STRAIN
                and act[sid - 1] is not None]
    eligible.sort(key=lambda sid: (-act[sid - 1], sid))
    lma = eligible[:LMA_COUNT]
    primary = lma[0] if lma else None
    target_status = "target found" if lma else "no eligible segment"

    # --- RV insertion points for the record (slice nearest mid-cavity, ED epicardium)
    rv_points = None
    if ins_pts:
        kmid = min(ins_pts, key=lambda p: abs(height[p[0]] - 0.5 * cavity_len))[0]
        seg = segs[(kmid, ed)]
        pts_out = {}
        for key, a in (("anterior", ref_deg), ("inferior", ref_deg + 120.0)):
            a_img = math.radians(handed * a)
            ray = int(round((a_img % (2 * math.pi)) / (2 * math.pi) * N_RAYS)) % N_RAYS
            x = seg["centre"][0] + math.cos(a_img) * seg["epi"][ray] * s_iso / cs.sx
            y = seg["centre"][1] + math.sin(a_img) * seg["epi"][ray] * s_iso / cs.sy
            pts_out[key] = [float(v) for v in cs.point(x, y, kmid)]
        rv_points = pts_out

    # --- outputs
    segments = []
    for sid in range(1, 37):
        rec = dict(id=sid, name=segment_name(sid), ring=(sid - 1) // 12,
                   aha18=6 * ((sid - 1) // 12) + ((sid - 1) % 12) // 2 + 1,
                   aha17=aha17_of(sid), scarFraction=float(scar_frac[sid - 1]),
                   scarred=bool(scar_frac[sid - 1] >= SCARRED_FRACTION),
                   transmurality=float(transmural[sid - 1]), peakRadialStrain=float(peak[sid - 1]),
                   activationTimeMs=act[sid - 1])
        if wall_mm[sid]:
            rec["wallThicknessMm"] = float(np.mean(wall_mm[sid]))
        segments.append(rec)
    unmeasured = [sid for sid in range(1, 37) if curves[sid - 1] is None]
    if unmeasured:
        notes.append(f"{len(unmeasured)} segments without a strain measurement (no slice of their ring valid at "
                     "every phase)")
    analysis = dict(
        schemaVersion=1, software=SOFTWARE,
        edvMl=edv, esvMl=esv, ef=ef, edFrame=ed, esFrame=es, edTimeMs=float(times[ed]), esTimeMs=float(times[es]),
        curveTimesMs=[float(t) for t in times], volumeCurveMl=[float(v) for v in vol],
        scarBurdenPercent=float(burden), lvMyocardialVolumeMl=float(myo.sum() * voxel_ml),
        segments=segments,
        lmaTargets=lma, primaryTarget=primary, targetStatus=target_status,
        radialStrainCurves=[None if c is None else [float(v) for v in c] for c in curves],
        timeToPeakMs=ttp, unmeasuredSegments=unmeasured,
        scar=dict(method="fwhm", present=present, status=status, thresholdSignal=threshold,
                  remoteMedian=remote_median, remoteSD=remote_sd, myocardialVolumeMl=float(myo.sum() * voxel_ml)),
        notes=notes,
        # this pipeline's settings (not under `configuration`: crtsim's scorer reads that key as its own settings)
        pipelineSettings=dict(rings=list(rings), rays=N_RAYS, flow=FLOW_METHOD, flowUpsample=FLOW_UPSAMPLE,
                              temporalHarmonics=TEMPORAL_HARMONICS, activationBlend=ACTIVATION_BLEND,
                              scarCnrMin=SCAR_CNR_MIN,
                              scarMinMl=SCAR_MIN_ML, scarBloodLevel=SCAR_BLOOD_LEVEL),
    )
    if rv_points:
        analysis["rvInsertionPointsMm"] = rv_points
    (out_dir / "labels").mkdir(parents=True, exist_ok=True)
    out = nib.Nifti1Image(scar.astype(np.uint8), lge_img.affine, header=lge_img.header)
    out.set_data_dtype(np.uint8)
    out.header["scl_slope"], out.header["scl_inter"] = 1, 0
    nib.save(out, str(out_dir / "labels" / "lge-scar.nii.gz"))
    tmp = out_dir / "analysis.json.tmp"
    tmp.write_text(json.dumps(analysis, indent=1, sort_keys=True))
    os.replace(tmp, out_dir / "analysis.json")
    return analysis


def main(argv):
    global FLOW_METHOD
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case_dir", type=Path, help="a crtsim case folder (only its cmr/ is read)")
    p.add_argument("out_dir", type=Path, help="the analysis folder to write")
    p.add_argument("--flow", choices=["dis", "farneback"], default=FLOW_METHOD, help="optical flow (default dis)")
    p.add_argument("--rings", type=float, nargs=2, default=DEFAULT_RINGS, metavar=("BASAL_MID", "MID_APICAL"),
                   help="ring boundaries as fractions of the cavity length (default 0.42 0.70; AHA: 0.333 0.667)")
    a = p.parse_args(argv)
    t0 = time.time()
    FLOW_METHOD = a.flow
    try:
        a.out_dir.mkdir(parents=True, exist_ok=True)
        res = analyse(a.case_dir, a.out_dir, tuple(a.rings))
    except InputError as e:
        print(f"pipeline.py: input error: {e}", file=sys.stderr)
        return 2
    except Exception as e:   # one line, whatever went wrong
        print(f"pipeline.py: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"EDV {res['edvMl']:.1f} mL, ESV {res['esvMl']:.1f} mL, EF {100 * res['ef']:.1f} %, "
          f"scar {res['scarBurdenPercent']:.1f} %, target {res['primaryTarget']} ({time.time() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
