#!/usr/bin/env python3
"""crtsim against the tools users would otherwise pick, on the files of one crtsim case.

Usage:
    Benchmarks/peers/.venv/bin/python Benchmarks/peers/run.py CASE_DIR [--analysis DIR] [--repeat N]
        [--json OUT.json] [--work DIR] [--bin DIR]

Four comparisons (details and caveats: Benchmarks/peers/README.md):
  1. DRR: crtsim's chest ray casting (crtsim-xray-bench) vs ITK's RayCastInterpolateImageFunction through
     ResampleImageFilter on truth/xray-mu.nii.gz with the source and detector of each view; image agreement
     is the normalised cross-correlation with crtsim's own line-integral image (a companion case rendered
     with 1e7 photons per pixel and no blur, same seed: the same volume and pose, the quantum noise ~100x
     below the case's).
  2. Cine tracking: OpenCV Farneback and DIS optical flow from the first (ED) phase to every phase of each
     short-axis slice, a radial strain per segment and the activation time (50 % of own peak) vs the truth;
     crtsim's wall tracking stage time (crtsim-bench) and its activation error (analysis.json vs truth.json).
  3. Landmark pose: OpenCV solvePnP (SOLVEPNP_ITERATIVE) per view on the model landmarks and the operator's
     clicks crtsim used, vs crtsim's landmark registration (crtsim analyze --no-vessel-refinement).
  4. FFT: scipy.fft (complex64, workers = all cores) on the k-space path sizes vs crtsim's FFTW baseline
     (crtsim-bench; crtsim-xray-bench for the 512 x 512 pair).

Prints one table (task, crtsim s, peer s, peer / crtsim time ratio, agreement) and writes it as JSON.
Every ratio is peer seconds / crtsim seconds measured in this one run (> 1: crtsim is faster).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORES = os.cpu_count() or 1


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def best_of(n, fn):
    """Best wall time (s) of n calls of fn() and the last result."""
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def ncc(a, b, mask=None):
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    if mask is not None:
        a, b = a[mask.ravel()], b[mask.ravel()]
    a = a - a.mean()
    b = b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def run_cmd(args, **kw):
    log("  $ " + " ".join(args))
    p = subprocess.run(args, cwd=REPO, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p.stdout


def grab(pattern, text, what):
    """The smallest match over the runs in `text` (outputs of repeated bench runs joined): best of N."""
    found = [float(x) for x in re.findall(pattern, text)]
    if not found:
        raise RuntimeError(f"could not find {what} in:\n{text}")
    return min(found)


def load_json(path):
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------------------------
# Geometry: rays of a view in the CMR patient frame, from truth.json views[].projectionFromPatient and the
# view's DistanceSourceToDetector (xray/<VIEW>.json).
# ---------------------------------------------------------------------------------------------------------
def view_rays(proj_from_patient, sid_mm):
    """Source, first pixel centre and per-column / per-row steps (patient mm) of a 3x4 projection matrix.

    P = [M | p4]: the source C solves P [C; 1] = 0; the ray of pixel (u, v) runs along M^-1 (u, v, 1); the
    third row of P is the unit beam direction (|m3| = 1, crtsim's convention), so the homogeneous w of a point
    is its depth along the beam in mm and the detector point of pixel (u, v) is C + SID * M^-1 (u, v, 1)."""
    p = np.asarray(proj_from_patient, np.float64)
    m, p4 = p[:, :3], p[:, 3]
    minv = np.linalg.inv(m)
    c = -minv @ p4
    scale = sid_mm * np.linalg.norm(m[2])
    first = c + scale * (minv @ np.array([0.0, 0.0, 1.0]))
    col = scale * (minv @ np.array([1.0, 0.0, 0.0]))
    row = scale * (minv @ np.array([0.0, 1.0, 0.0]))
    return c, first, col, row


# ---------------------------------------------------------------------------------------------------------
# 1. DRR
# ---------------------------------------------------------------------------------------------------------
def companion_case(case, work):
    """The same case rendered with 1e7 photons per pixel and no detector blur (same seed, same phantom spec
    otherwise): its xray images are crtsim's line integrals with a quantum noise SD of about 0.004."""
    out = os.path.join(work, "noise-free")
    meta = load_json(os.path.join(case, "crtsim-case.json"))
    spec = load_json(os.path.join(case, "truth", "phantom.json"))
    spec["xray"]["photonsPerPixel"] = 1e7
    spec["xray"]["blurSigmaPx"] = 0
    # One image per view and state at the reference state, as the attenuation volume's frames are (no venogram
    # run, breathing or patient movement), without scatter and with a mono-energetic beam, so that the log image
    # is the line integral of that volume (docs/fluoroscopy.md, "Motion and time", "Scatter", "Spectrum").
    spec["realism"] = "ideal"          # the drawn fields are written out; the ones removed below stay unset
    for key in ("venogramFrames", "frameRateFps", "respiratorySIMm", "respiratoryAPMm", "respiratoryRotationDeg",
                "respiratoryPeriodS", "patientShiftSDMm", "patientRotationSDDeg", "scatterFraction",
                "scatterKernelSDMm", "tubeVoltageKVp", "copperFilterMm", "washoutTimeConstantS"):
        spec["xray"].pop(key, None)
    yaml = os.path.join(work, "noise-free-phantom.yaml")   # JSON is YAML
    with open(yaml, "w") as f:
        json.dump(spec, f, indent=1)
    if os.path.exists(out):
        shutil.rmtree(out)
    run_cmd([BIN("crtsim"), "phantom", "--phantom", yaml, "--seed", str(meta["seed"]), "--out", out, "--no-previews"])
    return out


def itk_drr(volume_frame, nib_affine, source, first, col, row, rows, cols, step=1):
    """ITK's DRR recipe (Examples/IO/DigitallyReconstructedRadiograph1): ResampleImageFilter with identity
    transform and RayCastInterpolateImageFunction (threshold 0, focal point = source); the output image is
    the detector plane (origin = first pixel centre, direction = column / row / normal).

    step > 1 casts every step-th pixel (the output grid is coarser) and fills the rest bilinearly."""
    import itk
    from scipy.ndimage import map_coordinates

    F3 = itk.Image[itk.F, 3]
    vol = itk.image_view_from_array(np.ascontiguousarray(volume_frame.transpose(2, 1, 0)))
    # NIfTI sform is RAS; ITK's physical space (and crtsim's patient frame) is LPS.
    a = np.diag([-1.0, -1.0, 1.0]) @ nib_affine[:3, :4]
    spacing = np.linalg.norm(a[:, :3], axis=0)
    vol.SetSpacing([float(s) for s in spacing])
    vol.SetOrigin([float(x) for x in a[:, 3]])
    vol.SetDirection(itk.matrix_from_array(np.ascontiguousarray(a[:, :3] / spacing)))

    transform = itk.Euler3DTransform[itk.D].New()
    interp = itk.RayCastInterpolateImageFunction[F3, itk.D].New()
    interp.SetTransform(transform)
    interp.SetThreshold(0.0)
    interp.SetFocalPoint([float(x) for x in source])

    crow = list(range(0, rows, step)); ccol = list(range(0, cols, step))
    if crow[-1] != rows - 1: crow.append(rows - 1)
    if ccol[-1] != cols - 1: ccol.append(cols - 1)
    # ITK needs a uniform output grid: cast at 0, step, 2 step, ... past the last pixel, crop below.
    nr = (rows - 1 + step - 1) // step + 1
    nc = (cols - 1 + step - 1) // step + 1
    cu = col / np.linalg.norm(col); rv = row / np.linalg.norm(row)
    normal = np.cross(cu, rv)
    direction = np.column_stack([cu, rv, normal])
    f = itk.ResampleImageFilter[F3, F3].New()
    f.SetInput(vol)
    f.SetTransform(transform)
    f.SetInterpolator(interp)
    f.SetDefaultPixelValue(0)
    f.SetSize([nc, nr, 1])
    f.SetOutputSpacing([float(np.linalg.norm(col)) * step, float(np.linalg.norm(row)) * step, 1.0])
    f.SetOutputOrigin([float(x) for x in first])
    f.SetOutputDirection(itk.matrix_from_array(np.ascontiguousarray(direction)))

    def render():
        f.Modified()
        f.Update()
        img = itk.array_from_image(f.GetOutput())[0]          # rows x columns (coarse)
        if step == 1:
            return img.astype(np.float32)
        rr, cc = np.meshgrid(np.arange(rows) / step, np.arange(cols) / step, indexing="ij")
        return map_coordinates(img, [rr, cc], order=1, mode="nearest").astype(np.float32)
    return render


def reference_line_integrals(volume_frame, nib_affine, source, first, col, row, rows, cols, every=8, step_vox=0.05):
    """Dense reference on every `every`-th pixel: trilinear samples every `step_vox` voxels (midpoint rule)
    along each ray clipped to the grid box of voxel centres, as crtsim clips (no torso clipping: the volume is
    0 outside the body). Returns (pixel rows, pixel columns, integrals)."""
    from scipy.ndimage import map_coordinates
    a = np.diag([-1.0, -1.0, 1.0]) @ nib_affine[:3, :4]
    ainv = np.linalg.inv(a[:, :3])
    vox = float(np.linalg.norm(a[:, 0]))
    n = np.array(volume_frame.shape[:3], np.float64)
    rr, cc = np.meshgrid(np.arange(0, rows, every), np.arange(0, cols, every), indexing="ij")
    pix = first + cc.ravel()[:, None] * col + rr.ravel()[:, None] * row
    o = ainv @ (source - a[:, 3])                      # source, voxel index space
    d = (ainv @ (pix - source).T).T                    # index-space directions
    d /= np.linalg.norm(d, axis=1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = (0 - o) / d; hi = (n - 1 - o) / d
    t0 = np.nanmax(np.minimum(lo, hi), axis=1); t1 = np.nanmin(np.maximum(lo, hi), axis=1)
    out = np.zeros(len(d))
    for i in np.nonzero(t1 > t0)[0]:
        m = int(np.ceil((t1[i] - t0[i]) / step_vox))
        h = (t1[i] - t0[i]) / m
        t = t0[i] + h * (np.arange(m) + 0.5)
        p = o[:, None] + d[i][:, None] * t[None, :]
        out[i] = map_coordinates(volume_frame, p, order=1, mode="nearest").sum() * h * vox
    return rr.ravel(), cc.ravel(), out


def rel_rms(img, rr, cc, ref):
    return float(np.sqrt(np.mean((img[rr, cc] - ref) ** 2)) / np.sqrt(np.mean(ref ** 2)))


def drr(case, work, repeat, xbench_text, views_truth):
    import nibabel as nib
    import itk
    itk.MultiThreaderBase.SetGlobalDefaultNumberOfThreads(CORES)
    nviews = len(views_truth)
    chest = grab(r"chest ray casting \(once per view\)\s+([0-9.]+) s", xbench_text, "chest ray casting")
    crt_per_view = chest / nviews

    nf = companion_case(case, work)
    mu_img = nib.load(os.path.join(case, "truth", "xray-mu.nii.gz"))
    mu = np.asarray(mu_img.dataobj, np.float32)
    frames = {"venogram": 0, "lead": 1}
    rows_out = []
    detail = {}
    t_full, t_half = [], []
    ncc_full, ncc_half, ncc_noisy = [], [], []
    for v in views_truth:
        name = v["name"]
        geo = load_json(os.path.join(case, "xray", f"{name}.json"))
        rows, cols = geo["Rows"], geo["Columns"]
        src, first, col, row = view_rays(v["projectionFromPatient"], geo["DistanceSourceToDetector"])
        # Sanity: pixel spacing at the detector and source-to-isocentre distance as in the DICOM-like file.
        assert abs(np.linalg.norm(col) - geo["ImagerPixelSpacing"][1]) < 1e-6, "column spacing mismatch"
        for state, fr in frames.items():
            ref = np.asarray(nib.load(os.path.join(nf, "xray", f"{name}-{state}.nii.gz")).dataobj, np.float32)[:, :, 0].T
            noisy = np.asarray(nib.load(os.path.join(case, "xray", f"{name}-{state}.nii.gz")).dataobj, np.float32)
            # A venogram run (fourth axis): the frame the operator clicked; it shows the heart at its own phase and
            # breathing, not the volume's reference state, so this agreement is indicative only.
            noisy = (noisy[:, :, 0, v.get("clickedFrame", 0)] if noisy.ndim == 4 else noisy[:, :, 0]).T
            full = itk_drr(mu[..., fr], mu_img.affine, src, first, col, row, rows, cols, step=1)
            half = itk_drr(mu[..., fr], mu_img.affine, src, first, col, row, rows, cols, step=2)
            full(); half()   # warm-up
            tf, img_f = best_of(repeat, full)
            th, img_h = best_of(repeat, half)
            rr, cc, dense = reference_line_integrals(mu[..., fr], mu_img.affine, src, first, col, row, rows, cols)
            d = {
                "itkSecondsFull": tf, "itkSecondsHalf": th,
                "relativeRmsVsDenseReference": {"crtsim": rel_rms(ref, rr, cc, dense), "itk": rel_rms(img_f, rr, cc, dense),
                                                "itkHalf": rel_rms(img_h, rr, cc, dense), "pixels": int(len(dense))},
                "nccVsDenseReference": {"crtsim": ncc(ref[rr, cc], dense), "itk": ncc(img_f[rr, cc], dense),
                                        "itkHalf": ncc(img_h[rr, cc], dense)},
                "nccItkVsCrtsimLineIntegral": ncc(img_f, ref),
                "nccItkHalfVsCrtsimLineIntegral": ncc(img_h, ref),
                "nccItkVsCaseImage": ncc(img_f, noisy),
                "nccCrtsimLineIntegralVsCaseImage": ncc(ref, noisy),
                "meanAbsDifference": float(np.mean(np.abs(img_f - ref))),
                "meanLineIntegral": float(ref.mean()),
            }
            detail[f"{name}/{state}"] = d
            ncc_full.append(d["nccItkVsCrtsimLineIntegral"]); ncc_half.append(d["nccItkHalfVsCrtsimLineIntegral"])
            ncc_noisy.append(d["nccItkVsCaseImage"])
            if state == "venogram":   # the chest volume is cast once per view in crtsim; time one state per view
                t_full.append(tf); t_half.append(th)
            np.save(os.path.join(work, f"drr-itk-{name}-{state}.npy"), img_f)
            np.save(os.path.join(work, f"drr-crtsim-{name}-{state}.npy"), ref)
            log(f"  DRR {name} {state}: ITK {tf:.3f} s (half {th:.3f} s), NCC {d['nccItkVsCrtsimLineIntegral']:.4f}"
                f" (half {d['nccItkHalfVsCrtsimLineIntegral']:.4f}, vs noisy case image {d['nccItkVsCaseImage']:.4f});"
                f" rel. RMS vs dense reference crtsim {d['relativeRmsVsDenseReference']['crtsim']:.4f},"
                f" ITK {d['relativeRmsVsDenseReference']['itk']:.4f}, ITK half {d['relativeRmsVsDenseReference']['itkHalf']:.4f}")
    itk_full = float(np.mean(t_full)); itk_half = float(np.mean(t_half))
    rows_out.append(row_("DRR 512x512 per view: ITK ray cast, every pixel", crt_per_view, itk_full,
                         f"NCC min {min(ncc_full):.4f} (4 images)", min(ncc_full)))
    rows_out.append(row_("DRR 512x512 per view: ITK every 2nd pixel + bilinear (crtsim's sampling)", crt_per_view, itk_half,
                         f"NCC min {min(ncc_half):.4f}", min(ncc_half)))
    return rows_out, {"crtsimChestSecondsAllViews": chest, "crtsimSecondsPerView": crt_per_view,
                      "itkSecondsPerViewFull": itk_full, "itkSecondsPerViewHalf": itk_half, "images": detail}


# ---------------------------------------------------------------------------------------------------------
# 2. Cine tracking
# ---------------------------------------------------------------------------------------------------------
def activation_ms(curve, times, fraction=0.5, min_peak=0.02):
    """First time the curve reaches fraction x its own peak, linear between phases (crtsim's and the truth's
    rule; SegmentMotion.swift); None when the peak is below min_peak."""
    p = max(curve)
    if not np.isfinite(p) or p < min_peak:
        return None
    level = fraction * p
    for t in range(1, len(curve)):
        if curve[t] >= level:
            f = (level - curve[t - 1]) / (curve[t] - curve[t - 1]) if curve[t] != curve[t - 1] else 1.0
            return times[t - 1] + min(max(f, 0.0), 1.0) * (times[t] - times[t - 1])
    return None


def median_abs_error(est, truth_segments):
    errs = []
    for s in truth_segments:
        a, t = est.get(s["id"]), s.get("activationTimeMs")
        if a is not None and t is not None:
            errs.append(abs(a - t))
    return (float(np.median(errs)) if errs else float("nan")), len(errs)


def cine_tracking(case, repeat, bench_text, analysis, truth, analysis_dir):
    import cv2
    import nibabel as nib
    cv2.setNumThreads(CORES)
    cine = np.asarray(nib.load(os.path.join(case, "cmr", "cine.nii.gz")).dataobj, np.float32)   # x, y, slice, phase
    seg = np.asarray(nib.load(os.path.join(case, "truth", "cine-segments-ed.nii.gz")).dataobj)
    nphase = cine.shape[3]
    times = truth.get("curveTimesMs") or [i * 32.0 for i in range(nphase)]
    slices = [k for k in range(seg.shape[2]) if (seg[:, :, k] > 0).any()]
    # 8-bit per slice (OpenCV's flow takes 8-bit images): scale by the slice's 99.5th percentile over phases.
    u8 = {}
    for k in slices:
        s = cine[:, :, k, :]
        hi = float(np.percentile(s, 99.5))
        u8[k] = [np.clip(s[:, :, t] / hi * 255, 0, 255).astype(np.uint8) for t in range(nphase)]
    # ED frame: phase 0 (the R trigger; crtsim's analysis finds edFrame 0 on these cases).
    ed = 0
    geom = {}
    for k in slices:
        lab = seg[:, :, k]
        ii, jj = np.nonzero(lab)
        ci, cj = ii.mean(), jj.mean()          # LV centre at ED: centroid of the myocardial ring
        di, dj = ii - ci, jj - cj
        r = np.hypot(di, dj)
        geom[k] = (ii, jj, di / r, dj / r, r, lab[ii, jj])

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    methods = {
        "Farneback": lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0),
        "DIS": lambda a, b: dis.calc(a, b, None),
    }

    def track(flow_fn):
        flows = {}
        for k in slices:
            flows[k] = [None if t == ed else flow_fn(u8[k][ed], u8[k][t]) for t in range(nphase)]
        return flows

    def strain(flows):
        # Radial strain of a segment's part of a slice: slope of the radial displacement over radius (least
        # squares over its ED pixels): du_r/dr, the thickening ratio (T(t) - T(ED)) / T(ED) of a thin wall.
        # A segment's curve is the pixel-count-weighted mean over the slices it spans.
        sums = {}
        for k in slices:
            ii, jj, ui, uj, r, lab = geom[k]
            for t in range(nphase):
                if t == ed:
                    ur = np.zeros_like(r)
                else:
                    fl = flows[k][t]
                    ur = fl[ii, jj, 1] * ui + fl[ii, jj, 0] * uj   # flow[..., 0] along axis 1, [..., 1] along axis 0
                for sid in np.unique(lab):
                    m = lab == sid
                    if m.sum() < 6:
                        continue
                    rr, uu = r[m], ur[m]
                    var = ((rr - rr.mean()) ** 2).sum()
                    if var <= 0:
                        continue
                    b = ((rr - rr.mean()) * (uu - uu.mean())).sum() / var
                    acc = sums.setdefault(int(sid), [np.zeros(nphase), 0])
                    acc[0][t] += b * m.sum()
                    if t == 0:
                        acc[1] += m.sum()
        act = {}
        for sid, (s, n) in sums.items():
            act[sid] = activation_ms(list(s / n), times)
        return act

    rows_out, detail = [], {}
    crt_track = grab(r"\n\s+tracking\s+([0-9.]+) s", bench_text, "tracking stage")
    crt_err, crt_n = median_abs_error({s["id"]: s.get("activationTimeMs") for s in analysis["segments"]}, truth["segments"])
    for name, fn in methods.items():
        track(fn)   # warm-up
        t_flow, flows = best_of(repeat, lambda: track(fn))
        t_strain, act = best_of(repeat, lambda: strain(flows))
        err, n = median_abs_error(act, truth["segments"])
        detail[name] = {"flowSeconds": t_flow, "strainActivationSeconds": t_strain, "slices": len(slices),
                        "flowCalls": len(slices) * (nphase - 1), "activationMedianAbsErrorMs": err,
                        "segmentsMeasured": n, "activationMs": act}
        log(f"  cine {name}: flow {t_flow:.3f} s + strain {t_strain:.3f} s, activation median |error| {err:.1f} ms over {n} segments")
        rows_out.append(row_(f"cine tracking: OpenCV {name} ({len(slices)} slices x {nphase - 1} phases)", crt_track, t_flow,
                             f"activation median |err| crtsim {crt_err:.1f} ms ({crt_n} seg), {name} {err:.1f} ms ({n} seg)", err))
    detail["crtsim"] = {"trackingSeconds": crt_track, "activationMedianAbsErrorMs": crt_err, "segmentsMeasured": crt_n,
                        "trackedSlices": int(grab(r"\((\d+) slices per frame\)", bench_text, "tracked slices"))}
    timing = os.path.join(analysis_dir, "timing.json")
    if os.path.exists(timing):   # the analysis run's whole CMR stage (read, localisation, tracking, scar, ...)
        detail["crtsim"]["analysisTiming"] = load_json(timing)
    return rows_out, detail


# ---------------------------------------------------------------------------------------------------------
# 3. Landmark pose
# ---------------------------------------------------------------------------------------------------------
def rot_angle_deg(r):
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1, 1))))


def pose_difference(a, b, points):
    """Rotation angle between two 4x4 poses (deg) and mean distance of the points mapped by each (mm)."""
    a, b = np.asarray(a), np.asarray(b)
    p = np.c_[points, np.ones(len(points))]
    d = np.linalg.norm((p @ a.T)[:, :3] - (p @ b.T)[:, :3], axis=1)
    return rot_angle_deg(a[:3, :3] @ b[:3, :3].T), float(d.mean())


def decompose_projection(p):
    """P = K [R | t] with det R = +1 and points in front of the source at positive depth (crtsim's P: third
    row = unit beam direction, w = depth in mm > 0). crtsim's detector frame (column, row, beam) is
    left-handed (a radiograph is seen from the detector side), so K carries a negative fy: K = [[f, 0, cx],
    [0, -f, cy], [0, 0, 1]] and R's second row is minus the row direction. For OpenCV, whose ITERATIVE solver
    lands behind the camera with a negative fy, mirror the rows instead: v' = 2 cy - v with fy > 0 (exact)."""
    from scipy.linalg import rq
    p = np.asarray(p, np.float64)
    k, r = rq(p[:, :3])
    d = np.diag(np.sign(np.diag(k)))
    k, r = k @ d, d @ r                   # positive diagonal: r's third row = beam direction, p[2, 2] > 0 kept
    if np.linalg.det(r) < 0:
        r[1] *= -1; k[:, 1] *= -1
    t = np.linalg.solve(k, p[:, 3])       # P = K [R | t]; scaling K leaves R and t
    k = k / k[2, 2]
    kp = k @ np.c_[r, t]
    assert np.allclose(kp / kp[2, 3], p / p[2, 3], rtol=1e-6, atol=1e-6), "K [R | t] does not reproduce the projection"
    assert abs(np.linalg.det(r) - 1) < 1e-9
    return k, r, t


def landmark_pose(case, work, repeat, truth):
    import cv2
    # crtsim: landmark registration alone (triangulation, Kabsch, Levenberg-Marquardt over both views) =
    # `crtsim analyze --no-vessel-refinement`, timing.json registrationSeconds (which also builds the model
    # landmarks from the ED contours); best of `repeat` runs.
    crt_times, lm_analysis = [], None
    for i in range(repeat):
        out = os.path.join(work, f"analysis-landmarks-{i}")
        run_cmd([BIN("crtsim"), "analyze", case, "--out", out, "--force", "--no-vessel-refinement"])
        crt_times.append(load_json(os.path.join(out, "timing.json"))["registrationSeconds"])
        lm_analysis = load_json(os.path.join(out, "analysis.json"))
    crt_t = min(crt_times)
    reg = lm_analysis["fluoroscopy"]["registration"]
    model = reg["modelLandmarksMm"]
    crt_pose = np.asarray(reg["landmarkPose"])
    true_pose = np.asarray(truth["heartPose"])
    names_all = sorted(model)
    pts_model = np.array([model[n] for n in names_all], np.float64)
    detail = {"crtsim": {"registrationSeconds": crt_times, "landmarksUsed": reg["landmarksUsed"]}}
    e_rot, e_mm = pose_difference(crt_pose, true_pose, pts_model)
    detail["crtsim"]["vsTruth"] = {"rotationDeg": e_rot, "meanLandmarkMm": e_mm}

    peer_times, errors = {}, {}
    for v in lm_analysis["views"]:
        name = v["name"]
        clicks = load_json(os.path.join(case, "operator", f"clicks-{name}.json"))["landmarks"]
        names = [n for n in names_all if n in clicks]
        obj = np.array([model[n] for n in names], np.float64)
        img = np.array([clicks[n] for n in names], np.float64)
        p = np.asarray(v["projection"], np.float64)
        k, r_cw, t_cw = decompose_projection(p)
        img[:, 1] = 2 * k[1, 2] - img[:, 1]          # mirrored rows (see decompose_projection)
        k = k.copy(); k[1, 1] = -k[1, 1]
        assert k[0, 0] > 0 and k[1, 1] > 0
        cam_from_world = np.eye(4); cam_from_world[:3, :3] = r_cw; cam_from_world[:3, 3] = t_cw

        def refined():
            # The common recipe when ITERATIVE's DLT start fails: a global solver, then LM refinement.
            ok, rv, tv = cv2.solvePnP(obj, img, k, None, flags=cv2.SOLVEPNP_SQPNP)
            return cv2.solvePnP(obj, img, k, None, rv, tv, useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
        variants = {
            "ITERATIVE": lambda: cv2.solvePnP(obj, img, k, None, flags=cv2.SOLVEPNP_ITERATIVE),
            "SQPNP": lambda: cv2.solvePnP(obj, img, k, None, flags=cv2.SOLVEPNP_SQPNP),
            "SQPNP+ITERATIVE": refined,
        }
        # A venogram shows only what is opacified, so a view may have few clicked landmarks (docs/fluoroscopy.md,
        # "Click model"): ITERATIVE's DLT start needs 6 (non-coplanar), SQPNP 3.
        if len(names) < 6:
            variants.pop("ITERATIVE")
            log(f"  solvePnP ITERATIVE {name}: skipped, {len(names)} landmarks (its DLT start needs 6)")
        if len(names) < 3:
            variants.clear()
        detail[name] = {"landmarks": len(names)}
        for method, solve in variants.items():
            solve()
            n_calls = 200
            t, (ok, rvec, tvec) = best_of(repeat, lambda: [solve() for _ in range(n_calls)][-1])
            t /= n_calls
            cam_from_patient = np.eye(4)
            cam_from_patient[:3, :3] = cv2.Rodrigues(rvec)[0]; cam_from_patient[:3, 3] = tvec.ravel()
            world_from_patient = np.linalg.inv(cam_from_world) @ cam_from_patient
            cam = cam_from_patient[:3] @ np.c_[obj, np.ones(len(obj))].T
            proj = k @ cam
            rms = float(np.sqrt(np.mean(np.sum(((proj[:2] / proj[2]).T - img) ** 2, axis=1))))
            vs_crt = pose_difference(world_from_patient, crt_pose, pts_model)
            vs_truth = pose_difference(world_from_patient, true_pose, pts_model)
            peer_times.setdefault(method, []).append(t)
            errors.setdefault(method, []).append(vs_truth[1])
            detail[name][method] = {
                "seconds": t, "reprojectionRmsPx": rms, "inFrontOfSource": bool((cam[2] > 0).all()),
                "vsCrtsim": {"rotationDeg": vs_crt[0], "meanLandmarkMm": vs_crt[1]},
                "vsTruth": {"rotationDeg": vs_truth[0], "meanLandmarkMm": vs_truth[1]},
                "worldFromPatient": world_from_patient.tolist()}
            log(f"  solvePnP {method} {name}: {t * 1e6:.0f} us, {len(names)} landmarks, RMS {rms:.2f} px, "
                f"in front {bool((cam[2] > 0).all())}, vs crtsim {vs_crt[0]:.2f} deg / {vs_crt[1]:.1f} mm, "
                f"vs truth {vs_truth[0]:.2f} deg / {vs_truth[1]:.1f} mm")
    rows = []
    for method in ("ITERATIVE", "SQPNP+ITERATIVE"):
        if len(peer_times.get(method, [])) != len(lm_analysis["views"]):
            continue   # not run in every view (too few clicked landmarks)
        peer = float(sum(peer_times[method]))   # one solvePnP per view; crtsim fits both views at once
        worst = max(errors[method])
        behind = [v["name"] for v in lm_analysis["views"] if not detail[v["name"]][method]["inFrontOfSource"]]
        note = f" (behind the source in {', '.join(behind)})" if behind else ""
        rows.append(row_(f"landmark pose: OpenCV solvePnP {method}, once per view ({len(peer_times[method])} views)",
                         crt_t, peer, f"pose error vs truth (mean landmark displacement): crtsim {e_mm:.1f} mm, "
                         f"solvePnP worst view {worst:.1f} mm{note}", worst))
    return rows, detail


# ---------------------------------------------------------------------------------------------------------
# 4. FFT
# ---------------------------------------------------------------------------------------------------------
def fft_compare(case, repeat, bench_text, xbench_text):
    import scipy.fft as sfft
    acq = load_json(os.path.join(case, "truth", "phantom.json"))["cmr"]
    cine, lge = acq["cine"], acq["lge"]
    n = int(round(cine["fovMm"] / cine["pixelMm"])); os_ = int(cine["oversampling"])
    nf = n * os_
    jobs = cine["slices"] * cine["phases"] + lge["slices"]
    # crtsim-bench's baseline: `jobs` pairs (forward nf x nf, inverse n x n), fresh buffers, serially, FFTW
    # single-threaded plans (FFTW_ESTIMATE, in place, complex64).
    crt_jobs = int(re.search(r"baseline: (\d+) FFTW transform pairs", bench_text).group(1))
    crt_kspace = grab(r"baseline: \d+ FFTW transform pairs serially\s+([0-9.]+) s", bench_text, "FFTW baseline")
    if crt_jobs != jobs:
        log(f"  warning: crtsim-bench timed {crt_jobs} pairs, the case has {jobs}")
    crt_pair512 = grab(r"baseline: one 512x512 complex FFT pair\s+([0-9.]+) s", xbench_text, "FFT pair")

    def kspace(workers):
        def go():
            for _ in range(jobs):
                b = np.zeros((nf, nf), np.complex64)
                sfft.fft2(b, workers=workers, overwrite_x=True)
                s = np.zeros((n, n), np.complex64)
                sfft.ifft2(s, workers=workers, overwrite_x=True)
        return go

    def pair512(workers, pairs=20):
        def go():
            for _ in range(pairs):
                b = np.zeros((512, 512), np.complex64)
                sfft.ifft2(sfft.fft2(b, workers=workers, overwrite_x=True), workers=workers, overwrite_x=True)
        return go
    assert sfft.fft2(np.zeros((4, 4), np.complex64)).dtype == np.complex64
    out, detail = [], {"sizes": {"forward": [nf, nf], "inverse": [n, n], "pairs": jobs}}
    for workers in (CORES, 1):
        kspace(workers)()
        t_k, _ = best_of(repeat, kspace(workers))
        pair512(workers)()
        t_p, _ = best_of(repeat, pair512(workers))
        t_p /= 20
        detail[f"workers{workers}"] = {"kspaceSeconds": t_k, "pair512Seconds": t_p}
        log(f"  scipy.fft workers={workers}: k-space {t_k:.3f} s, 512 pair {t_p * 1e3:.1f} ms")
        out.append(row_(f"k-space FFTs: {jobs} pairs {nf}^2 fwd + {n}^2 inv, scipy.fft workers={workers}",
                        crt_kspace, t_k, "same sizes, complex64", None))
        out.append(row_(f"512^2 complex64 FFT pair, scipy.fft workers={workers}", crt_pair512, t_p,
                        "same size, complex64", None))
    detail["crtsim"] = {"kspaceSeconds": crt_kspace, "pair512Seconds": crt_pair512}
    return out, detail


# ---------------------------------------------------------------------------------------------------------
def row_(task, crt, peer, agreement, figure):
    return {"task": task, "crtsimSeconds": crt, "peerSeconds": peer, "ratio": peer / crt if crt else None,
            "agreement": agreement, "agreementFigure": figure}


def BIN(name):
    return os.path.join(ARGS.bin, name)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", help="crtsim case folder (crtsim phantom --out ...; needs truth/xray-mu.nii.gz)")
    ap.add_argument("--analysis", help="crtsim analyze output for the case (default: run it)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for every timing (default 3)")
    ap.add_argument("--json", help="write the table here (default: CASE_DIR/../peers.json)")
    ap.add_argument("--work", help="scratch folder (default: a temporary folder, removed)")
    ap.add_argument("--bin", default=os.path.join(REPO, ".build", "release"), help="crtsim binaries")
    ap.add_argument("--only", default="drr,cine,pose,fft", help="comma-separated subset of drr,cine,pose,fft")
    ARGS = ap.parse_args()
    case = os.path.abspath(ARGS.case)
    repeat = max(1, ARGS.repeat)
    only = set(ARGS.only.split(","))
    work = ARGS.work or tempfile.mkdtemp(prefix="crtsim-peers-")
    os.makedirs(work, exist_ok=True)
    truth = load_json(os.path.join(case, "truth", "truth.json"))
    meta = load_json(os.path.join(case, "crtsim-case.json"))
    if not os.path.exists(os.path.join(case, "truth", "xray-mu.nii.gz")):
        sys.exit("run.py: the case has no truth/xray-mu.nii.gz (generated with --no-xray-volume?)")
    # crtsim-bench and crtsim-xray-bench generate their own case from the preset with seed 1.
    phantom_yaml = os.path.join(REPO, "Phantoms", f"{meta['phantom']}.yaml")
    if not os.path.exists(phantom_yaml) or str(meta["seed"]) != "1":
        log(f"warning: the crtsim benches time preset {meta['phantom']} with seed 1; this case is seed {meta['seed']}")
    if not os.path.exists(phantom_yaml):
        phantom_yaml = os.path.join(work, "phantom.yaml")
        shutil.copy(os.path.join(case, "truth", "phantom.json"), phantom_yaml)

    t_start = time.time()
    rows, detail = [], {}
    bench_text = xbench_text = ""
    if only & {"cine", "fft"}:
        log(f"crtsim-bench x {repeat} (cine + LGE simulation, analysis stages, FFTW baseline; best of {repeat})")
        bench_text = "".join(run_cmd([BIN("crtsim-bench"), phantom_yaml]) for _ in range(repeat))
    if only & {"drr", "fft"}:
        log(f"crtsim-xray-bench --repeat {repeat}")
        xbench_text = run_cmd([BIN("crtsim-xray-bench"), phantom_yaml, "--repeat", str(repeat)])
    analysis_dir = ARGS.analysis
    if "cine" in only and not analysis_dir:
        analysis_dir = os.path.join(work, "analysis")
        run_cmd([BIN("crtsim"), "analyze", case, "--out", analysis_dir, "--force"])
    if "drr" in only:
        log("1. DRR")
        r, d = drr(case, work, repeat, xbench_text, truth["views"]); rows += r; detail["drr"] = d
    if "cine" in only:
        log("2. cine tracking")
        analysis = load_json(os.path.join(analysis_dir, "analysis.json"))
        r, d = cine_tracking(case, repeat, bench_text, analysis, truth, analysis_dir); rows += r; detail["cine"] = d
    if "pose" in only:
        log("3. landmark pose")
        r, d = landmark_pose(case, work, repeat, truth); rows += r; detail["pose"] = d
    if "fft" in only:
        log("4. FFT")
        r, d = fft_compare(case, repeat, bench_text, xbench_text); rows += r; detail["fft"] = d

    import cv2, itk, scipy
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
        "case": {"phantom": meta["phantom"], "seed": meta["seed"], "path": case},
        "machine": {"cores": CORES, "platform": platform.platform(), "python": platform.python_version()},
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "opencv": cv2.__version__,
                     "itk": itk.Version.GetITKVersion()},
        "repeat": repeat, "wallSeconds": time.time() - t_start,
        "ratio": "peer seconds / crtsim seconds (> 1: crtsim faster)",
        "rows": rows, "detail": detail,
        "crtsimBenchOutput": bench_text, "crtsimXrayBenchOutput": xbench_text,
    }
    out_json = ARGS.json or os.path.join(os.path.dirname(case), "peers.json")
    with open(out_json, "w") as f:
        json.dump(info, f, indent=1, default=lambda o: None if o is None else float(o))

    w = max(len(r["task"]) for r in rows)
    print(f"{'task':<{w}}  {'crtsim s':>9}  {'peer s':>9}  {'ratio':>6}  agreement")
    for r in rows:
        print(f"{r['task']:<{w}}  {r['crtsimSeconds']:9.3g}  {r['peerSeconds']:9.3g}  {r['ratio']:6.2f}  {r['agreement']}")
    print(f"ratio = peer / crtsim seconds (> 1: crtsim faster); {CORES} cores; best of {repeat}; JSON: {out_json}")
    if not ARGS.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
