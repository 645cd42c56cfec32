#!/usr/bin/env python3
"""Independent short-axis cardiac MR phantom ("foreign" heart), for testing `crtsim analyze`.

Written without crtsim's generator: its own anatomy (bullet-shaped LV with an elliptical
cross-section, tilted mitral annulus with left atrium above, LV outflow tract / aortic root,
crescent RV, papillary muscles, trabeculae, patchy epicardial fat, chest, lungs, liver),
its own kinematics (radial shrink with volume-conserving wall thickening, base descent
towards a fixed apex, septal-to-lateral delay) and its own imaging (supersampled partial
volume, bias field, optional k-space truncation, Rician noise).

    foreign-phantom.py --seed N --out DIR [--variant NAME]

writes DIR/cmr/{cine.nii.gz,lge.nii.gz,acquisition.json} (the crtsim cmr/ contract,
docs/truth-schema.md "cmr/") and DIR/foreign-truth.json (truth from the model, SCMR
convention: LV blood pool below the mitral annulus plus the LVOT up to the aortic valve;
papillary muscles and trabeculae count as blood pool).

Variants: default (drawn), "normal" (EF 50-60 %), "crt" (EF 20-35 %), "noscar", "scar",
"nofat", "fat".

Heart frame: origin at the ED endocardial apex, e_w from apex to base, e_s towards the
septum (theta = 0), e_a anterior (theta = 90 deg); lateral = 180, inferior = 270.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import nibabel as nib
from scipy.interpolate import PchipInterpolator

# ---------------------------------------------------------------- labels
NONE, LVB, PM, LVM, SCAR, LVOT, AO, VW, LAB, LAW, RVB, RVM, EFAT, PERI, AVG = range(15)
B_AIR, B_TISSUE, B_FAT, B_LUNG, B_LIVER, B_BONE, B_BLOOD, B_STOMACH = range(20, 28)
NLAB = 32
NTH = 720  # angle bins


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def rot_about(axis, ang):
    """Rotation matrix about unit axis by ang (rad)."""
    a = unit(axis)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(ang) * K + (1 - math.cos(ang)) * K @ K


# ---------------------------------------------------------------- model
class Model:
    pass


def draw_model(seed, variant):
    rng = np.random.default_rng(seed)
    m = Model()
    m.seed = seed
    m.variant = variant
    P = {}  # every drawn parameter, for the truth file

    def U(name, lo, hi):
        val = float(rng.uniform(lo, hi))
        P[name] = val
        return val

    def flag(off_variant, on_variant, probability):
        """False or True when the variant forces it, else drawn with `probability` (one draw, in place)."""
        if variant == off_variant:
            return False
        if variant == on_variant:
            return True
        return bool(rng.uniform() < probability)

    # --- function / size class
    crt = flag("normal", "crt", 0.72)
    P["crtLike"] = crt
    m.ef_target = U("efTargetPercent", 20, 35) if crt else U("efTargetPercent", 48, 60)
    if crt:
        m.R = U("radiusMm", 25.0, 30.0)
        m.L = U("lengthMm", 82.0, 95.0)
    else:
        m.R = U("radiusMm", 21.5, 26.0)
        m.L = U("lengthMm", 75.0, 88.0)
    m.p = U("profileP", 2.5, 4.0)
    m.q = U("profileQ", 1.7, 2.5)
    m.base_taper = U("baseTaper", 0.0, 0.10)
    m.ell_ratio = U("ellipseRatio", 0.85, 1.0)
    m.ell_orient = math.radians(U("ellipseOrientationDeg", 0, 180))
    m.T_lat = U("lateralWallMm", 7.0, 10.0)
    m.T_sept_extra = U("septalExtraMm", 1.0, 2.0)
    m.Ta = U("apexWallMm", 4.0, 6.0)
    m.tilt = math.radians(U("annulusTiltDeg", 5, 15))
    m.theta_a = math.radians(U("aorticSideDeg", 30, 60))  # direction of the higher (aortic) side
    # contraction
    m.descent = U("baseDescentMm", 5, 10) if crt else U("baseDescentMm", 9, 15)
    m.RR = float(rng.integers(800, 1001))
    P["rrMs"] = m.RR
    m.es_frac = U("esFraction", 0.30, 0.40)
    m.delay_lat = U("lateralDelayMs", 60, 120) if crt else U("lateralDelayMs", 0, 30)
    m.rv_contract = U("rvContraction", 0.30, 0.50)
    # LA / LVOT
    m.R_la = U("laRadiusMm", 19, 27)
    m.H_la = U("laHalfHeightMm", 22, 30)
    m.la_dir = math.radians(U("laDirectionDeg", 190, 240))
    m.la_tilt = math.radians(U("laTiltDeg", 15, 35))
    m.r_ao = U("lvotDiameterMm", 20, 25) / 2
    m.ao_dir = math.radians(U("aortaDirectionDeg", 10, 40))
    m.ao_tilt = math.radians(U("aortaTiltDeg", 25, 45))
    m.av_above = U("aorticValveAboveAnnulusMm", 8, 15)
    # RV
    m.rv_width = U("rvWidthMm", 14, 24)
    m.rv_alpha = math.radians(U("rvInsertionHalfAngleDeg", 55, 72))
    m.rv_rot = math.radians(U("rvCentreDeg", -15, 5))
    m.rv_bexp = U("rvTangentialExtraMm", 6, 14)
    m.rv_apex_frac = U("rvApexFraction", 0.18, 0.35)
    m.rv_wall = U("rvWallMm", 3, 4)
    # papillary muscles / trabeculae
    m.pm = []
    for name, lo, hi in (("anterolateral", 125, 150), ("posteromedial", 220, 250)):
        th = math.radians(U("pm_" + name + "_deg", lo, hi))
        d = U("pm_" + name + "_diameterMm", 8, 12)
        m.pm.append((th, d))
    m.pm_lo = U("pmLowFraction", 0.18, 0.30)
    m.pm_hi = U("pmHighFraction", 0.55, 0.68)
    m.trab_depth = U("trabeculaDepthMm", 0.0, 2.0)
    m.trab_n = int(rng.integers(9, 16))
    P["trabeculaCount"] = m.trab_n
    m.trab_phase = U("trabeculaPhase", 0, 2 * math.pi)
    # fat
    fat_on = flag("nofat", "fat", 0.6)
    P["epicardialFat"] = fat_on
    m.fat_amp = U("fatMaxMm", 1.5, 4.0) if fat_on else 0.0
    harm = rng.normal(size=(4, 2))
    th = np.linspace(0, 2 * np.pi, NTH, endpoint=False)
    pat = np.zeros(NTH)
    for n, (a, b) in enumerate(harm, start=1):
        pat += a * np.cos((n + 1) * th) + b * np.sin((n + 1) * th)
    # grooves at the RV insertions get fat too
    for sgn in (1, -1):
        dth = np.angle(np.exp(1j * (th - (m.rv_rot + sgn * m.rv_alpha))))
        pat += 2.0 * np.exp(-(dth / 0.25) ** 2)
    pat = np.maximum(pat - 0.3, 0)
    m.fat_tab = (m.fat_amp * pat / max(pat.max(), 1e-6)).astype(np.float32)
    # scar
    scar_on = flag("noscar", "scar", 2 / 3)
    P["scarPresent"] = scar_on
    m.scar_on = scar_on
    m.scar_rng = np.random.default_rng(seed + 100000)
    # orientation in the patient (LPS)
    az = math.radians(U("axisAzimuthDeg", 40, 60))
    el = math.radians(U("axisElevationDeg", 20, 40))
    a = np.array([math.cos(el) * math.sin(az), -math.cos(el) * math.cos(az), -math.sin(el)])  # base->apex
    m.e_w = -a
    xr = np.array([-1.0, 0, 0])
    es = unit(xr - xr.dot(m.e_w) * m.e_w)
    es = rot_about(m.e_w, math.radians(U("septalRotationDeg", -12, 12))) @ es
    ea = np.cross(m.e_w, es)
    if ea[2] - ea[1] < 0:
        ea = -ea
    m.e_s, m.e_a = es, ea
    centre = np.array([U("heartXMm", 22, 38), U("heartYMm", -35, -18), 0.0])
    m.heart_y = centre[1]
    m.O = centre + a * (0.5 * m.L)  # ED endocardial apex
    # chest
    m.chest_ax = U("chestHalfWidthMm", 145, 175)
    m.chest_ay = U("chestHalfDepthMm", 100, 125)
    m.chest_y0 = U("chestCentreYMm", 5, 20)
    m.subcut = U("subcutaneousFatMm", 5, 20)
    m.params = P
    m.rng = rng
    m.crt = crt
    return m


def build_tables(m):
    """1-D profiles along w and angular tables; also the kinematics."""
    th = (np.arange(NTH) + 0.5) * 2 * np.pi / NTH
    m.th = th
    A, B = 1.0, m.ell_ratio
    d = th - m.ell_orient
    E = A * B / np.sqrt((B * np.cos(d)) ** 2 + (A * np.sin(d)) ** 2)
    E = E / np.sqrt(A * B)  # keep the area of the mean circle
    m.Etab = E.astype(np.float32)
    m.Ttab = (m.T_lat + m.T_sept_extra * np.maximum(np.cos(th), 0) ** 2).astype(np.float32)
    m.cosA = np.cos(th - m.theta_a).astype(np.float32)
    m.tant = math.tan(m.tilt)
    m.Lb = m.L + m.tant * m.R * 1.2 + 2
    m.dw = 0.05
    m.wmin = -m.Ta - 8
    wg = np.arange(m.wmin, m.L + 120, m.dw)
    m.wg = wg
    t = np.clip((m.Lb - wg) / m.Lb, 0, 1)
    prof = (1 - t ** m.p) ** (1 / m.q)
    taper = 1 - m.base_taper * smoothstep((wg - (m.L - 25)) / 25)
    pe = m.R * prof * taper
    pe[wg <= 0] = 0
    te = np.clip((m.Lb - wg) / (m.Lb + m.Ta), 0, 1)
    pp = (1 - te ** m.p) ** (1 / m.q) * taper
    pp[wg <= -m.Ta] = 0
    m.prof_endo = pe.astype(np.float32)
    m.prof_epi = pp.astype(np.float32)
    # timing curve c(t): 0 at ED, 1 at ES
    RR = m.RR
    tes = m.es_frac * RR
    m.tes = tes
    kt = np.array([tes, tes + 0.12 * RR, tes + 0.26 * RR, 0.80 * RR, 0.88 * RR, RR])
    kc = np.array([1.0, 0.55, 0.22, 0.15, 0.12, 0.0])
    m._dia = PchipInterpolator(kt, kc)
    # RV: W taper along w
    m.w_rvap = m.rv_apex_frac * m.L


def cfun(m, t):
    t = np.asarray(t, dtype=float)
    out = np.where(t < m.tes, 0.5 * (1 - np.cos(np.pi * np.clip(t, 0, m.tes) / m.tes)),
                   m._dia(np.clip(t, m.tes, m.RR)))
    return np.clip(out, 0, 1)


def state_at(m, t, kk):
    """Deformation state at time t (ms after R)."""
    s = Model()
    s.t = t
    s.cg = float(cfun(m, t))
    s.lam = 1 - m.descent * s.cg / m.L
    # septum first, lateral wall later; the delay fades out in diastole
    D = m.delay_lat * (1 - np.cos(m.th)) / 2
    fade = np.clip((0.75 * m.RR - t) / (0.25 * m.RR), 0, 1)
    s.ctab = cfun(m, np.maximum(0, t - D * fade)).astype(np.float32)
    s.kk = kk
    s.valve_closed = not (0.04 * m.RR < t < m.tes)
    return s


def setup_geometry(m):
    """Points of the LVOT/aorta and LA in the heart frame (material, ED)."""
    L = m.L
    # LVOT tube: starts inside the cavity at the antero-septal base, rises up and rightward
    ang = m.theta_a
    m.P0 = np.array([0.45 * m.R * math.cos(ang), 0.45 * m.R * math.sin(ang), L - 12.0])
    d = np.array([math.sin(m.ao_tilt) * math.cos(m.ao_dir), math.sin(m.ao_tilt) * math.sin(m.ao_dir),
                  math.cos(m.ao_tilt)])
    m.dao = d / np.linalg.norm(d)
    # aortic valve where the tube axis is av_above over the local annulus height
    s = np.linspace(0, 80, 801)
    pts = m.P0[None, :] + s[:, None] * m.dao[None, :]
    rho = np.hypot(pts[:, 0], pts[:, 1])
    thp = np.arctan2(pts[:, 1], pts[:, 0])
    wann = L + m.tant * rho * np.cos(thp - m.theta_a)
    i = np.argmax(pts[:, 2] - wann > m.av_above)
    m.s_av = float(s[i])
    m.s_end = m.s_av + 70
    # LA: axis from the mitral centre, tilted towards la_dir
    mc = 0.22 * m.R
    m.M = np.array([mc * math.cos(m.la_dir), mc * math.sin(m.la_dir), L])
    dl = np.array([math.sin(m.la_tilt) * math.cos(m.la_dir), math.sin(m.la_tilt) * math.sin(m.la_dir),
                   math.cos(m.la_tilt)])
    m.dla = dl / np.linalg.norm(dl)
    r_mo = 0.75 * m.R
    r_mo = min(r_mo, 0.95 * m.R_la)
    m.s_c = m.H_la * math.sqrt(1 - (r_mo / m.R_la) ** 2)


# ---------------------------------------------------------------- heart labels
def heart_labels(m, s, u, v, w, rho, thb, scar=None):
    """Label of each point (heart frame coordinates at time state s). NONE = background."""
    lam = s.lam
    L = m.L
    w0 = np.where(w < lam * L, w / lam, w + L * (1 - lam)).astype(np.float32)
    idx = np.clip(((w0 - m.wmin) / m.dw).astype(np.int32), 0, len(m.wg) - 1)
    pe = m.prof_endo[idx]
    pp = m.prof_epi[idx]
    E = m.Etab[thb]
    T = m.Ttab[thb]
    r_en0 = pe * E
    r_ep0 = (m.R * E + T) * pp
    shrink = 1 - s.kk * s.ctab[thb]
    r_en = r_en0 * shrink
    r_ep = np.sqrt(r_en * r_en + (r_ep0 * r_ep0 - r_en0 * r_en0) / lam)
    w_ann = L + m.tant * rho * m.cosA[thb]
    below = w0 <= w_ann
    lab = np.zeros(u.shape, np.uint8)
    in_endo = below & (rho < r_en)
    in_epi = below & (rho < r_ep)
    lab[in_epi] = LVM
    lab[in_endo] = LVB
    # trabeculae
    if m.trab_depth > 0.2:
        th = m.th[thb].astype(np.float32)
        tr = in_endo & (rho > r_en - m.trab_depth) & (w0 < 0.75 * L) & \
            (np.sin(m.trab_n * th + 0.3 * w0 + m.trab_phase) > 0.55)
        lab[tr] = PM
    # papillary muscles
    for thp, dpm in m.pm:
        b = int(thp / (2 * np.pi) * NTH) % NTH
        r_w = pe * m.Etab[b] * (1 - s.kk * s.ctab[b])
        rp = 0.5 * dpm / math.sqrt(lam)
        top = m.pm_hi * L
        tip = np.clip((top - w0) / 10.0, 0.35, 1.0)
        rr = rp * tip
        rc = r_w - 0.8 * rp
        dx = u - rc * math.cos(thp)
        dy = v - rc * math.sin(thp)
        inpm = in_endo & (w0 > m.pm_lo * L) & (w0 < top) & (dx * dx + dy * dy < rr * rr)
        lab[inpm] = PM
    if scar is not None:
        sc = scar_mask(m, s, lab == LVM, rho, thb, w0, r_en, r_ep)
        lab[sc] = SCAR
    free = ~in_epi
    # LVOT / aortic root (material coordinates)
    qx, qy, qz = u - m.P0[0], v - m.P0[1], w0 - m.P0[2]
    sa = qx * m.dao[0] + qy * m.dao[1] + qz * m.dao[2]
    perp2 = qx * qx + qy * qy + qz * qz - sa * sa
    rt = np.where((sa > m.s_av) & (sa < m.s_av + 20), m.r_ao * 1.15, m.r_ao).astype(np.float32)
    intube = (sa > 0) & (sa < m.s_end)
    tube = intube & (perp2 < rt * rt) & free
    twall = intube & (perp2 < (rt + 2) ** 2) & free & ~tube
    lab[tube & (sa < m.s_av)] = LVOT
    lab[tube & (sa >= m.s_av)] = AO
    if s.valve_closed:
        lab[tube & (np.abs(sa - m.s_av) < 0.8)] = VW
    lab[twall] = VW
    free &= ~(tube | twall)
    # LA
    above = ~below
    qx, qy, qz = u - m.M[0], v - m.M[1], w0 - m.M[2]
    sl = qx * m.dla[0] + qy * m.dla[1] + qz * m.dla[2]
    pl2 = qx * qx + qy * qy + qz * qz - sl * sl
    Rla = m.R_la * (1 + 0.08 * s.cg)
    e1 = ((sl - m.s_c) / m.H_la) ** 2 + pl2 / Rla ** 2
    e2 = ((sl - m.s_c) / (m.H_la + 2)) ** 2 + pl2 / (Rla + 2) ** 2
    la = above & free & (e1 < 1)
    law = above & free & (e2 < 1) & ~la
    lab[la] = LAB
    lab[law] = LAW
    free &= ~(la | law)
    # RV: ellipse around the septum, outside the (extended) LV epicardium
    b0 = 0
    pe_s = pe * m.Etab[b0] * (1 - s.kk * s.ctab[b0])
    pe0_s = pe * m.Etab[b0]
    pp_s = (m.R * m.Etab[b0] + m.Ttab[b0]) * pp
    Re = np.sqrt(pe_s ** 2 + (pp_s ** 2 - pe0_s ** 2) / lam)
    W = m.rv_width * smoothstep((w0 - m.w_rvap) / 25.0) * (1 - smoothstep((w0 - (L + 3)) / 15.0)) \
        * (1 - m.rv_contract * s.cg)
    sa_ = math.sin(m.rv_alpha)
    ca_ = math.cos(m.rv_alpha)
    bb = Re * sa_ + m.rv_bexp
    aa = (Re + W - Re * ca_) / (1 + np.sqrt(np.clip(1 - (Re * sa_ / bb) ** 2, 0, 1)))
    aa = np.maximum(aa, 0.5)
    dC = Re + W - aa
    cr, sr = math.cos(m.rv_rot), math.sin(m.rv_rot)
    ur = u * cr + v * sr
    vr = -u * sr + v * cr
    outside_lv = rho > r_ep
    hasrv = (W > 0.3) & outside_lv
    e_in = ((ur - dC) / aa) ** 2 + (vr / bb) ** 2
    tr = m.rv_wall
    e_out = ((ur - dC) / (aa + tr)) ** 2 + (vr / (bb + tr)) ** 2
    rvb = hasrv & free & (e_in < 1)
    rvm = hasrv & free & (e_out < 1) & ~rvb
    lab[rvb] = RVB
    lab[rvm] = RVM
    free &= ~(rvb | rvm)
    # epicardial fat, pericardium, AV groove
    fat = m.fat_tab[thb] * (0.6 + 0.4 * np.clip(w0 / L, 0, 1))
    lvband = (rho >= r_ep) & (w0 < w_ann + 2) & (w0 > -m.Ta - 3)
    ef = free & lvband & (rho < r_ep + fat)
    lab[ef] = EFAT
    free &= ~ef
    e_per = ((ur - dC) / (aa + tr + 1.3)) ** 2 + (vr / (bb + tr + 1.3)) ** 2
    per = free & ((lvband & (rho < r_ep + fat + 1.3)) | ((W > 0.3) & outside_lv & (e_per < 1)))
    lab[per] = PERI
    free &= ~per
    avg = free & above & (w0 < w_ann + 14) & (rho < r_ep + 3)
    lab[avg] = AVG
    return lab


def scar_mask(m, s, myo, rho, thb, w0, r_en, r_ep):
    if not m.scar_on:
        return np.zeros(rho.shape, bool)
    th = m.th[thb]
    dth = np.abs(np.angle(np.exp(1j * (th - m.scar_theta))))
    half = m.scar_extent / 2
    inang = dth < half
    inw = (w0 > m.scar_wlo) & (w0 < m.scar_whi)
    edge = 0.6 + 0.4 * np.cos(np.pi * np.clip(dth / half, 0, 1) / 2)
    tr = m.scar_trans * edge
    frac = (rho - r_en) / np.maximum(r_ep - r_en, 1e-3)
    return myo & inang & inw & (frac < tr)


# ---------------------------------------------------------------- truth integration
def heart_grid(m, step, wtop_extra=40.0):
    rmax = m.R + m.T_lat + m.T_sept_extra + 4
    x = np.arange(-rmax, rmax + 1e-6, step, dtype=np.float32)
    z = np.arange(-m.Ta - 2, m.L + wtop_extra, step, dtype=np.float32)
    return x, z


def integrate(m, s, step, scar=False, chunk=1_500_000):
    """Volumes (ml) in the heart frame: LV blood (SCMR), LV compact myocardium, scar."""
    x, z = heart_grid(m, step)
    uu, vv = np.meshgrid(x, x, indexing="ij")
    uu = uu.ravel()
    vv = vv.ravel()
    rho2 = np.hypot(uu, vv).astype(np.float32)
    th2 = np.arctan2(vv, uu)
    thb2 = (np.mod(th2, 2 * np.pi) / (2 * np.pi) * NTH).astype(np.int32) % NTH
    counts = np.zeros(NLAB, np.int64)
    nz_per = max(1, chunk // len(uu))
    for i0 in range(0, len(z), nz_per):
        zz = z[i0:i0 + nz_per]
        n = len(zz)
        w = np.repeat(zz, len(uu))
        lab = heart_labels(m, s, np.tile(uu, n), np.tile(vv, n), w, np.tile(rho2, n), np.tile(thb2, n),
                           scar=True if scar else None)
        counts += np.bincount(lab, minlength=NLAB)
    dv = step ** 3 / 1000.0
    blood = (counts[LVB] + counts[PM] + counts[LVOT]) * dv
    myo = (counts[LVM] + counts[SCAR]) * dv
    return dict(blood=blood, myo=myo, scar=counts[SCAR] * dv, lvot=counts[LVOT] * dv,
                cavity=(counts[LVB] + counts[PM]) * dv, pm=counts[PM] * dv)


def calibrate(m):
    """Radial shrink kk so that EF at ES time meets the target; full volume curve."""
    s0 = state_at(m, 0.0, 0.0)
    ed = integrate(m, s0, 1.0)
    target_esv = ed["blood"] * (1 - m.ef_target / 100)
    lam = 1 - m.descent / m.L
    # first guess from cavity ~ lam (1-k)^2
    ratio = max(0.05, (target_esv - ed["lvot"]) / (lam * ed["cavity"]))
    kk = 1 - math.sqrt(min(ratio, 1.0))
    for _ in range(3):
        es = integrate(m, state_at(m, m.tes, kk), 1.0)
        # local derivative of V wrt kk ~ -2 V_cav/(1-kk)
        dv = -2 * es["cavity"] / max(1 - kk, 0.2)
        kk = float(np.clip(kk + (target_esv - es["blood"]) / dv, 0.0, 0.6))
    m.kk = kk
    return kk


# ---------------------------------------------------------------- scanner
def plan_stack(m):
    rng = m.rng
    P = m.params
    a = -m.e_w
    perr = math.radians(U_(rng, P, "planningErrorDeg", 0, 10))
    pax = unit(np.cross(a, rng.normal(size=3)))
    n = rot_about(pax, perr) @ a  # slice direction, base -> apex
    r0 = -m.e_s
    r0 = unit(r0 - r0.dot(n) * n)
    c0 = np.cross(n, r0)
    if c0.dot(-m.e_a) < 0:
        c0 = -c0
    inpl = math.radians(U_(rng, P, "inPlaneRotationDeg", -20, 20))
    R = rot_about(n, inpl)
    rowc, colc = R @ r0, R @ c0
    ps = round(U_(rng, P, "pixelMm", 1.4, 2.0), 2)
    thick = float(rng.choice([6.0, 7.0, 8.0]))
    gap = float(rng.choice([0.0, 1.0, 2.0, 2.0, 3.0, 4.0]))
    P["sliceThicknessMm"] = thick
    P["sliceGapMm"] = gap
    spacing = thick + gap
    nmin = max(160, int(math.ceil(300 / ps / 8) * 8))
    ncol = int(rng.integers(nmin // 8, 256 // 8 + 1)) * 8
    ncol = max(ncol, nmin)
    nrow = ncol
    off = U_(rng, P, "firstSliceAboveAnnulusMm", -2, 15)
    cover = off + m.L + m.Ta + 6
    nsl = int(np.clip(math.ceil(cover / spacing) + 1, 10, 16))
    ann = m.O + m.L * m.e_w
    sh = rng.uniform(-15, 15, size=2)
    P["fovShiftMm"] = sh.tolist()
    centres = []
    mid_axis_pt = m.O + 0.5 * m.L * m.e_w
    for k in range(nsl):
        pc = ann + (-off + k * spacing) * n
        # where the LV long axis (mid point) projects into this plane, plus a shift
        q = mid_axis_pt + ((pc - mid_axis_pt).dot(n)) * n
        q = q + sh[0] * rowc + sh[1] * colc
        centres.append(q)
    # a scanner stack: one in-plane centre for all slices (shift along n only)
    base_c = centres[0]
    ipp = []
    for k in range(nsl):
        c = base_c + k * spacing * n
        ipp.append(c - (ncol - 1) / 2 * ps * rowc - (nrow - 1) / 2 * ps * colc)
    g = Model()
    g.n, g.row, g.col, g.ps, g.thick, g.spacing = n, rowc, colc, ps, thick, spacing
    g.ncol, g.nrow, g.nsl, g.ipp = ncol, nrow, nsl, np.array(ipp)
    g.off = off
    return g


def U_(rng, P, name, lo, hi):
    val = float(rng.uniform(lo, hi))
    P[name] = val
    return val


def sample_points(m, g, shifts=None, nsub_ip=3, nsub_z=5):
    """Patient coordinates of all subsamples: (nsl, nsub, ncol*nrow, 3) generator per slice."""
    o = (np.arange(nsub_ip) + 0.5) / nsub_ip - 0.5
    oz = ((np.arange(nsub_z) + 0.5) / nsub_z - 0.5) * g.thick
    di, dj, dz = np.meshgrid(o, o, oz, indexing="ij")
    di, dj, dz = di.ravel(), dj.ravel(), dz.ravel()
    ii, jj = np.meshgrid(np.arange(g.ncol), np.arange(g.nrow), indexing="ij")  # data[i, j]
    ii = ii.ravel().astype(np.float32)
    jj = jj.ravel().astype(np.float32)
    for k in range(g.nsl):
        base = g.ipp[k]
        if shifts is not None:
            base = base - shifts[k][0] * g.row - shifts[k][1] * g.col  # anatomy moves by +shift
        I = ii[None, :] + di[:, None]
        J = jj[None, :] + dj[:, None]
        Z = np.broadcast_to(dz[:, None], I.shape)
        pts = (base[None, None, :] + (I * g.ps)[..., None] * g.row + (J * g.ps)[..., None] * g.col
               + Z[..., None] * g.n).astype(np.float32)
        yield k, pts  # (nsub, npix, 3)


def background_labels(m, p):
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    lab = np.full(x.shape, B_AIR, np.uint8)
    ax, ay, y0 = m.chest_ax, m.chest_ay, m.chest_y0
    yy = y - y0
    r_out = (x / ax) ** 2 + (yy / ay) ** 2
    inch = r_out < 1
    lab[inch] = B_FAT
    inner = (x / (ax - m.subcut)) ** 2 + (yy / (ay - m.subcut)) ** 2 < 1
    lab[inner] = B_TISSUE
    deep = (x / (ax - m.subcut - 12)) ** 2 + (yy / (ay - m.subcut - 12)) ** 2 < 1
    # diaphragm
    zdia = m.z_dia - 0.0012 * (x - 10) ** 2 + np.where(x < 0, 12 * smoothstep(-x / 80), 0)
    above = z > zdia
    # lungs: everything deep and above the diaphragm, except the posterior mediastinum
    # (behind the heart, around spine / aorta / oesophagus) and the retrosternal band;
    # the heart (drawn on top) then borders lung laterally and anteriorly
    front = y0 - ay + m.subcut + 12
    post_med = (np.abs(x - 8) < 24) & (y > m.heart_y + 35)
    retro = (np.abs(x + 5) < 22) & (y < front + 22)
    lab[deep & above & ~post_med & ~retro] = B_LUNG
    # spine and descending aorta
    sy = y0 + ay - m.subcut - 45
    lab[deep & ((x ** 2 + (y - sy) ** 2) < 20 ** 2)] = B_BONE
    lab[deep & (((x - 22) ** 2 + (y - (sy - 32)) ** 2) < 11 ** 2)] = B_BLOOD
    # liver (right) and stomach (left) below the diaphragm
    below = deep & ~above
    lab[below & (x < 30)] = B_LIVER
    lab[below & (x >= 30)] = B_STOMACH
    return lab


def to_heart(m, p):
    d = p - m.O.astype(np.float32)
    u = d @ m.e_s.astype(np.float32)
    v = d @ m.e_a.astype(np.float32)
    w = d @ m.e_w.astype(np.float32)
    return u, v, w


def render(m, g, phases_t, intens_cine, lge_t, intens_lge, lge_shifts):
    """Return cine (ncol, nrow, nsl, nph) and lge (ncol, nrow, nsl), plus label fractions."""
    nph = len(phases_t)
    cine = np.zeros((g.ncol, g.nrow, g.nsl, nph), np.float32)
    lge = np.zeros((g.ncol, g.nrow, g.nsl), np.float32)
    lvfrac = np.zeros((g.nsl, nph), np.float64)
    myofrac = np.zeros((g.nsl, nph), np.float64)
    scar_slices = np.zeros(g.nsl)
    lge_myo = np.zeros(g.nsl)
    states = [state_at(m, t, m.kk) for t in phases_t]
    slge = state_at(m, lge_t, m.kk)
    rmax = m.R + m.T_lat + m.T_sept_extra + m.rv_width + m.rv_wall + 12
    for which in ("cine", "lge"):
        gen = sample_points(m, g, shifts=lge_shifts if which == "lge" else None)
        for k, pts in gen:
            bg = background_labels(m, pts)  # (nsub, npix)
            u, v, w = to_heart(m, pts)
            rho = np.hypot(u, v)
            # ROI: near the LV axis, or near LA / aortic tube
            roi = (rho < rmax) & (w > -m.Ta - 4) & (w < m.L + 25)
            dq = np.stack([u, v, w], -1) - m.P0.astype(np.float32)
            sa = dq @ m.dao.astype(np.float32)
            roi |= (sa > -5) & (sa < m.s_end + 5) & ((dq * dq).sum(-1) - sa * sa < (m.r_ao * 1.2 + 8) ** 2)
            dq = np.stack([u, v, w], -1) - m.M.astype(np.float32)
            sl = dq @ m.dla.astype(np.float32)
            roi |= ((sl - m.s_c) / (m.H_la + 12)) ** 2 + ((dq * dq).sum(-1) - sl * sl) / (m.R_la * 1.1 + 10) ** 2 < 1
            idx = np.nonzero(roi)
            uu, vv, ww, rr = u[idx], v[idx], w[idx], rho[idx]
            thb = (np.mod(np.arctan2(vv, uu), 2 * np.pi) / (2 * np.pi) * NTH).astype(np.int32) % NTH
            nsub = pts.shape[0]
            if which == "cine":
                bgint = intens_cine[bg]
                for ip, s in enumerate(states):
                    lab = heart_labels(m, s, uu, vv, ww, rr, thb)
                    full = bg.copy()
                    hl = lab != NONE
                    sub = full[idx]
                    sub[hl] = lab[hl]
                    full[idx] = sub
                    img = intens_cine[full].mean(0)
                    cine[:, :, k, ip] = img.reshape(g.ncol, g.nrow)
                    isb = np.isin(full, (LVB, PM, LVOT))
                    lvfrac[k, ip] = isb.mean(0).sum()
                    myofrac[k, ip] = np.isin(full, (LVM, SCAR)).mean(0).sum()
            else:
                lab = heart_labels(m, slge, uu, vv, ww, rr, thb, scar=True)
                full = bg.copy()
                hl = lab != NONE
                sub = full[idx]
                sub[hl] = lab[hl]
                full[idx] = sub
                lge[:, :, k] = intens_lge[full].mean(0).reshape(g.ncol, g.nrow)
                scar_slices[k] = (full == SCAR).mean(0).sum()
                lge_myo[k] = np.isin(full, (LVM, SCAR)).mean(0).sum()
    return cine, lge, lvfrac, scar_slices, myofrac, lge_myo


def intensities(m):
    rng = m.rng
    P = m.params
    blood = U_(rng, P, "cineBlood", 0.9, 1.1)
    myo = U_(rng, P, "cineMyocardium", 0.25, 0.35)
    c = np.zeros(NLAB, np.float32)
    for l in (LVB, LVOT, AO, LAB, RVB, B_BLOOD):
        c[l] = blood
    for l in (PM, LVM, SCAR, RVM):
        c[l] = myo
    c[VW] = 0.3
    c[LAW] = myo
    c[EFAT] = 0.9
    c[PERI] = 0.12
    c[AVG] = 0.9 if m.fat_amp > 0 else 0.45
    c[B_AIR] = 0.0
    c[B_TISSUE] = 0.4
    c[B_FAT] = 0.9
    c[B_LUNG] = 0.05
    c[B_LIVER] = 0.35
    c[B_BONE] = 0.5
    c[B_STOMACH] = 0.3
    l = np.zeros(NLAB, np.float32)
    lblood = U_(rng, P, "lgeBlood", 0.35, 0.55)
    lmyo = U_(rng, P, "lgeMyocardium", 0.02, 0.08)
    lscar = U_(rng, P, "lgeScar", 0.8, 1.0)
    lfat = U_(rng, P, "lgeFat", 0.6, 0.8)
    for lb in (LVB, LVOT, AO, LAB, RVB, B_BLOOD):
        l[lb] = lblood
    for lb in (PM, LVM, RVM, LAW):
        l[lb] = lmyo
    l[SCAR] = lscar
    l[VW] = 0.2
    l[EFAT] = lfat
    l[B_FAT] = lfat
    l[AVG] = lfat if m.fat_amp > 0 else 0.2
    l[PERI] = 0.1
    for lb in (B_TISSUE, B_LIVER, B_BONE, B_STOMACH):
        l[lb] = 0.2
    l[B_LUNG] = 0.03
    l[B_AIR] = 0.0
    return c, l, blood, lscar


def bias_field(m, g):
    rng = m.rng
    coef = rng.normal(size=6)
    ii, jj = np.meshgrid(np.linspace(-1, 1, g.ncol), np.linspace(-1, 1, g.nrow), indexing="ij")
    out = np.zeros((g.ncol, g.nrow, g.nsl), np.float32)
    for k in range(g.nsl):
        kz = 2 * k / max(g.nsl - 1, 1) - 1
        f = coef[0] * ii + coef[1] * jj + coef[2] * ii * jj + coef[3] * ii ** 2 + coef[4] * jj ** 2 + coef[5] * kz * 0.5
        out[..., k] = f
    out = out / max(np.abs(out).max(), 1e-6) * 0.2
    return 1 + out


def gibbs(img, keep):
    F = np.fft.fftshift(np.fft.fft2(img, axes=(0, 1)), axes=(0, 1))
    n0, n1 = img.shape[:2]
    k0 = int(n0 * keep / 2)
    k1 = int(n1 * keep / 2)
    mask = np.zeros((n0, n1), bool)
    mask[n0 // 2 - k0:n0 // 2 + k0, n1 // 2 - k1:n1 // 2 + k1] = True
    F[~mask] = 0
    return np.abs(np.fft.ifft2(np.fft.ifftshift(F, axes=(0, 1)), axes=(0, 1))).astype(np.float32)


def rician(rng, img, sigma):
    a = img + rng.normal(scale=sigma, size=img.shape).astype(np.float32)
    b = rng.normal(scale=sigma, size=img.shape).astype(np.float32)
    return np.sqrt(a * a + b * b).astype(np.float32)


def write_nifti(path, data, g, dt=None):
    M = np.eye(4)
    M[:3, 0] = g.row * g.ps
    M[:3, 1] = g.col * g.ps
    M[:3, 2] = g.n * g.spacing
    M[:3, 3] = g.ipp[0]
    ras = np.diag([-1, -1, 1, 1]) @ M
    img = nib.Nifti1Image(data.astype(np.float32), ras)
    h = img.header
    h.set_sform(ras, code=1)
    h.set_qform(ras, code=1)
    if dt is not None:
        h.set_zooms((g.ps, g.ps, g.spacing, dt))
        h.set_xyzt_units("mm", "msec")
    else:
        h.set_zooms((g.ps, g.ps, g.spacing))
        h.set_xyzt_units("mm", "msec")
    nib.save(img, path)


def choose_scar(m, kk):
    """Draw an ischemic scar; reject until burden 5-30 %."""
    rng = m.scar_rng
    P = m.params
    s = state_at(m, 0.7 * m.RR, kk)
    # myocardium points at 1 mm for burden estimates
    x, z = heart_grid(m, 1.0)
    uu, vv, ww = np.meshgrid(x, x, z, indexing="ij")
    uu, vv, ww = uu.ravel(), vv.ravel(), ww.ravel()
    rho = np.hypot(uu, vv).astype(np.float32)
    thb = (np.mod(np.arctan2(vv, uu), 2 * np.pi) / (2 * np.pi) * NTH).astype(np.int32) % NTH
    m.scar_on = False
    lab = heart_labels(m, s, uu, vv, ww, rho, thb)
    myo = lab == LVM
    uu, vv, ww, rho, thb = uu[myo], vv[myo], ww[myo], rho[myo], thb[myo]
    m.scar_on = True
    terr = {"anterior": (45, 95), "inferolateral": (195, 235), "inferior": (255, 290)}
    for attempt in range(200):
        name = ["anterior", "inferolateral", "inferior"][int(rng.integers(0, 3))]
        lo, hi = terr[name]
        m.scar_territory = name
        m.scar_theta = math.radians(rng.uniform(lo, hi))
        m.scar_extent = math.radians(rng.uniform(60, 120))
        m.scar_trans = rng.uniform(0.3, 1.0)
        cov = rng.uniform(0.3, 0.7)
        if name == "anterior":  # LAD: apical and mid
            m.scar_wlo = 0.04 * m.L
            m.scar_whi = m.scar_wlo + cov * m.L
        else:  # LCx / RCA: basal and mid
            m.scar_whi = 1.05 * m.L
            m.scar_wlo = m.L - cov * m.L
        m.scar_cov = cov
        lab = heart_labels(m, s, uu, vv, ww, rho, thb, scar=True)
        burden = 100 * np.mean(lab == SCAR)
        if 5 <= burden <= 30:
            break
    P["scarTerritory"] = m.scar_territory
    P["scarCentreDeg"] = math.degrees(m.scar_theta)
    P["scarExtentDeg"] = math.degrees(m.scar_extent)
    P["scarTransmurality"] = m.scar_trans
    P["scarLongAxisFraction"] = m.scar_cov
    P["scarHeightRangeMm"] = [m.scar_wlo, m.scar_whi]


def place_diaphragm(m):
    # lowest point of the LV epicardium at ED (apex region) -> diaphragm just below
    th = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    zs = []
    for w in np.linspace(-m.Ta, 0.6 * m.L, 40):
        idx = int(np.clip((w - m.wmin) / m.dw, 0, len(m.wg) - 1))
        r = (m.R + m.T_lat + 2) * m.prof_epi[idx]
        for t in th:
            p = m.O + w * m.e_w + r * (math.cos(t) * m.e_s + math.sin(t) * m.e_a)
            zs.append(p[2])
    m.z_dia = float(min(zs)) - 3.0


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--variant", default="default",
                    choices=["default", "normal", "crt", "noscar", "scar", "nofat", "fat"])
    args = ap.parse_args()
    t0 = time.time()
    m = draw_model(args.seed, args.variant)
    build_tables(m)
    setup_geometry(m)
    place_diaphragm(m)
    # keep EDV in 100-250 ml: rescale R if needed
    for _ in range(3):
        ed = integrate(m, state_at(m, 0.0, 0.0), 1.0)
        if 100 <= ed["blood"] <= 250:
            break
        tgt = 110.0 if ed["blood"] < 100 else 240.0
        m.R *= math.sqrt(tgt / ed["blood"])
        m.params["radiusMmRescaled"] = m.R
        build_tables(m)
        setup_geometry(m)
        place_diaphragm(m)
    kk = calibrate(m)
    m.params["radialShrinkAtES"] = kk
    if m.scar_on:
        choose_scar(m, kk)
    g = plan_stack(m)
    nph = 25
    dt = m.RR / nph
    tt = [i * dt for i in range(nph)]
    ic, il, blood, lscar = intensities(m)
    lge_t = 0.7 * m.RR
    P = m.params
    lge_shift = m.rng.uniform(0, 3)
    P["lgeMisregistrationMaxMm"] = lge_shift
    ang = m.rng.uniform(0, 2 * np.pi, size=g.nsl)
    mag = m.rng.uniform(0, lge_shift, size=g.nsl)
    shifts = np.stack([mag * np.cos(ang), mag * np.sin(ang)], -1)
    cine, lge, lvfrac, scar_sl, myofrac, lge_myo = render(m, g, tt, ic, lge_t, il, shifts)
    t_render = time.time() - t0
    # imaging chain
    rng = m.rng
    bias = bias_field(m, g)
    do_gibbs = bool(rng.uniform() < 0.5)
    keep = U_(rng, P, "kspaceKeepFraction", 0.8, 0.92) if do_gibbs else 1.0
    P["gibbs"] = do_gibbs
    snr = U_(rng, P, "cineBloodSNR", 20, 40)
    snr_l = U_(rng, P, "lgeScarSNR", 15, 30)
    for ip in range(nph):
        img = cine[..., ip] * bias
        if do_gibbs:
            img = gibbs(img, keep)
        cine[..., ip] = rician(rng, img, blood / snr)
    img = lge * bias
    if do_gibbs:
        img = gibbs(img, keep)
    lge = rician(rng, img, lscar / snr_l)
    # ---------------- truth (0.5 mm grid in the heart frame)
    curve = []
    for t in tt:
        curve.append(integrate(m, state_at(m, t, kk), 1.0)["blood"])
    es_i = int(np.argmin(curve))
    cand = sorted({max(es_i - 1, 1), es_i, min(es_i + 1, nph - 1)})
    fine = {i: integrate(m, state_at(m, tt[i], kk), 0.5)["blood"] for i in cand}
    es_i = min(fine, key=fine.get)
    ed = integrate(m, state_at(m, 0.0, kk), 0.5)
    edv, esv = ed["blood"], fine[es_i]
    lg = integrate(m, state_at(m, lge_t, kk), 0.5, scar=True)
    scar_burden = 100 * lg["scar"] / lg["myo"] if lg["myo"] > 0 else 0.0
    # voxel check from the rendered label fractions (Simpson over slices)
    vox_ml = g.ps * g.ps * g.spacing / 1000
    vcurve = (lvfrac.sum(0) * vox_ml).tolist()
    vox_scar_slices = [int(k) for k in range(g.nsl) if scar_sl[k] > 1.0]
    # slices that cut LV (cavity) at ED and at ES
    lv_sl_ed = [int(k) for k in range(g.nsl) if lvfrac[k, 0] > 5]
    lv_sl_es = [int(k) for k in range(g.nsl) if lvfrac[k, es_i] > 5]
    # annulus position w.r.t. the slices
    ann_c = m.O + m.L * m.e_w
    truth = {
        "generator": "foreign-phantom.py (independent of crtsim)",
        "seed": args.seed,
        "variant": args.variant,
        "edvMl": edv,
        "esvMl": esv,
        "ef": 100 * (edv - esv) / edv,
        "efUnit": "percent",
        "edPhaseIndex": 0,
        "esPhaseIndex": es_i,
        "esTimeMs": tt[es_i],
        "volumeCurveMl": curve,
        "volumeCurveStepMm": 1.0,
        "lvotVolumeEdMl": ed["lvot"],
        "papillaryTrabeculaVolumeEdMl": ed["pm"],
        "lvMyocardialVolumeMl": ed["myo"],
        "lvMyocardialVolumeLgePhaseMl": lg["myo"],
        "scarPresent": bool(m.scar_on),
        "scarVolumeMl": lg["scar"],
        "scarBurdenPercent": scar_burden,
        "scarCentreAngleDeg": math.degrees(m.scar_theta) if m.scar_on else None,
        "scarExtentDeg": math.degrees(m.scar_extent) if m.scar_on else None,
        "scarTerritory": m.scar_territory if m.scar_on else None,
        "scarSliceIndices": vox_scar_slices,
        "scarVoxelsPerSlice": [float(x) for x in scar_sl],
        "angleConvention": "heart frame: 0 = septum (towards RV), 90 = anterior, 180 = lateral, 270 = inferior",
        "lvSlicesEd": lv_sl_ed,
        "perSliceMm2": {"note": "partial-volume areas (fraction x pixel^2) per cine slice",
                        "lvBloodEd": (lvfrac[:, 0] * g.ps ** 2).tolist(),
                        "lvBloodEs": (lvfrac[:, es_i] * g.ps ** 2).tolist(),
                        "lvMyoEd": (myofrac[:, 0] * g.ps ** 2).tolist(),
                        "lvMyoLge": (lge_myo * g.ps ** 2).tolist(),
                        "scarLge": (scar_sl * g.ps ** 2).tolist()},
        "lvSlicesEs": lv_sl_es,
        "voxelCheck": {"volumeCurveMl": vcurve, "edvMl": vcurve[0], "esvMl": vcurve[es_i],
                       "ef": 100 * (vcurve[0] - vcurve[es_i]) / vcurve[0],
                       "note": "sum of LV blood-pool (SCMR) partial-volume fractions x pixel^2 x slice spacing"},
        "geometry": {
            "apexEndocardiumEdMm": m.O.tolist(),
            "annulusCentreEdMm": ann_c.tolist(),
            "baseToApex": (-m.e_w).tolist(),
            "septalDirection": m.e_s.tolist(),
            "anteriorDirection": m.e_a.tolist(),
            "sliceNormal": g.n.tolist(),
            "firstSliceCentreAboveEdAnnulusMm": g.off,
            "esAnnulusDescentMm": m.descent * float(cfun(m, tt[es_i])),
            "aorticValveAlongTubeMm": m.s_av,
            "nSlices": g.nsl, "pixelMm": g.ps, "matrix": g.ncol,
            "sliceThicknessMm": g.thick, "spacingMm": g.spacing,
        },
        "lgeTimeMs": lge_t,
        "lgeShiftsMm": shifts.tolist(),
        "parameters": P,
        "generationSeconds": None,
    }
    os.makedirs(os.path.join(args.out, "cmr"), exist_ok=True)
    write_nifti(os.path.join(args.out, "cmr", "cine.nii.gz"), cine, g, dt=dt)
    write_nifti(os.path.join(args.out, "cmr", "lge.nii.gz"), lge, g)
    iop = g.row.tolist() + g.col.tolist()
    common = {"Columns": g.ncol, "Rows": g.nrow, "ImageOrientationPatient": iop,
              "ImagePositionPatient": g.ipp.tolist(), "PixelSpacing": [g.ps, g.ps],
              "SliceThickness": g.thick, "SpacingBetweenSlices": g.spacing, "NominalInterval": m.RR}
    acq = {"cine": dict(common, TriggerTime=tt),
           "lge": dict(common, TriggerTime=[lge_t], InversionTime=float(m.rng.uniform(250, 320)))}
    with open(os.path.join(args.out, "cmr", "acquisition.json"), "w") as f:
        json.dump(acq, f, indent=2, sort_keys=True)
        f.write("\n")
    truth["generationSeconds"] = time.time() - t0
    truth["renderSeconds"] = t_render
    with open(os.path.join(args.out, "foreign-truth.json"), "w") as f:
        json.dump(truth, f, indent=2, sort_keys=True, default=float)
        f.write("\n")
    print(f"seed {args.seed}: EDV {edv:.1f} ESV {esv:.1f} EF {truth['ef']:.1f}% scar {scar_burden:.1f}% "
          f"slices {g.nsl} ({time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
