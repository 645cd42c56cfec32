#!/usr/bin/env python3
"""Run crtsim's analysis on independently generated phantoms (scripts/foreign-phantom.py)
and compare with their truth.

    foreign-check.py [-n 12] [--dir /tmp/foreign] [--crtsim /tmp/crtsim-ref] [--jobs 2]
                     [--regenerate] [--variant default] [--seeds 1,5,7] [--config SETTINGS.json]

For seeds 1..N: generate DIR/case-SEED (skipped when it already has foreign-truth.json, unless
--regenerate), run `CRTSIM analyze CASE --out CASE/analysis --force --no-fluoroscopy` (at most
--jobs at a time), and print truth vs measured EDV, ESV, EF, ES phase, LV myocardial volume and
scar burden, then the median and max absolute errors.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable


def generate(seed, d, variant, regen):
    case = os.path.join(d, f"case-{seed}")
    if not regen and os.path.exists(os.path.join(case, "foreign-truth.json")):
        return case, None
    cmd = [PY, os.path.join(HERE, "foreign-phantom.py"), "--seed", str(seed), "--out", case, "--variant", variant]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return case, (None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["?"])[-1])


def analyze(case, crtsim, name, extra=()):
    out = os.path.join(case, name)
    r = subprocess.run([crtsim, "analyze", case, "--out", out, "--force", "--no-fluoroscopy", *extra],
                       capture_output=True, text=True)
    with open(os.path.join(case, name + ".log"), "w") as f:
        f.write(r.stdout + "\n--- stderr\n" + r.stderr)
    if r.returncode != 0:
        lines = [l for l in r.stderr.strip().splitlines() if l.strip()] or ["(no stderr)"]
        return f"exit {r.returncode}: {lines[-1]}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=12)
    ap.add_argument("--seeds", default=None, help="comma-separated list instead of 1..N")
    ap.add_argument("--dir", default="/tmp/foreign")
    ap.add_argument("--crtsim", default=os.path.join(HERE, "..", ".build", "release", "crtsim"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--variant", default="default")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--json", default=None, help="write the per-case rows as JSON here")
    ap.add_argument("--config", default=None, help="pipeline settings JSON passed to crtsim analyze --config")
    ap.add_argument("--name", default="analysis", help="analysis folder name inside each case (keeps several binaries' results apart)")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")] if a.seeds else list(range(1, a.n + 1))
    os.makedirs(a.dir, exist_ok=True)
    with ThreadPoolExecutor(max_workers=a.jobs) as ex:
        gens = list(ex.map(lambda s: generate(s, a.dir, a.variant, a.regenerate), seeds))
    todo = [(s, c) for s, (c, err) in zip(seeds, gens) if err is None]
    genfail = {s: err for s, (c, err) in zip(seeds, gens) if err is not None}
    with ThreadPoolExecutor(max_workers=a.jobs) as ex:
        errs = dict(zip([s for s, _ in todo], ex.map(lambda sc: analyze(sc[1], a.crtsim, a.name, ["--config", a.config] if a.config else []), todo)))

    hdr = (f"{'seed':>4} {'kind':<16} {'EDV t':>6} {'EDV m':>6} {'ESV t':>6} {'ESV m':>6} {'EF t':>5} {'EF m':>5} "
           f"{'dEF':>6} {'ES t/m':>6} {'Myo t':>6} {'Myo m':>6} {'Scar t':>6} {'Scar m':>6}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for s in seeds:
        if s in genfail:
            print(f"{s:>4} generation failed: {genfail[s]}")
            continue
        case = os.path.join(a.dir, f"case-{s}")
        t = json.load(open(os.path.join(case, "foreign-truth.json")))
        P = t["parameters"]
        kind = ("CRT" if P.get("crtLike") else "norm") + ("/" + t["scarTerritory"][:8] if t["scarPresent"] else "/noscar")
        if errs.get(s):
            print(f"{s:>4} {kind:<16} {t['edvMl']:6.1f} {'-':>6} {t['esvMl']:6.1f} {'-':>6} {t['ef']:5.1f}   ANALYZE FAILED: {errs[s]}")
            rows.append(dict(seed=s, failed=errs[s]))
            continue
        m = json.load(open(os.path.join(case, a.name, "analysis.json")))
        efm = 100 * m["ef"] if m.get("ef") is not None else float("nan")
        scm = m.get("scarBurdenPercent")
        scm = float("nan") if scm is None else scm
        myo = m.get("lvMyocardialVolumeMl") or float("nan")
        r = dict(seed=s, kind=kind, edvT=t["edvMl"], edvM=m.get("edvMl"), esvT=t["esvMl"], esvM=m.get("esvMl"),
                 efT=t["ef"], efM=efm, esT=t["esPhaseIndex"], esM=m.get("esFrame"), myoT=t["lvMyocardialVolumeMl"],
                 myoM=myo, scarT=t["scarBurdenPercent"], scarM=scm)
        rows.append(r)
        print(f"{s:>4} {kind:<16} {r['edvT']:6.1f} {r['edvM']:6.1f} {r['esvT']:6.1f} {r['esvM']:6.1f} {r['efT']:5.1f} "
              f"{r['efM']:5.1f} {r['efM'] - r['efT']:+6.1f} {r['esT']:>2}/{r['esM']:<3} {r['myoT']:6.1f} {r['myoM']:6.1f} "
              f"{r['scarT']:6.1f} {r['scarM']:6.1f}")
    ok = [r for r in rows if "failed" not in r]
    if ok:
        print()
        for name, tk, mk in (("EDV ml", "edvT", "edvM"), ("ESV ml", "esvT", "esvM"), ("EF %-points", "efT", "efM"),
                             ("LV myo ml", "myoT", "myoM"), ("scar %-points", "scarT", "scarM")):
            e = [abs(r[mk] - r[tk]) for r in ok if r[mk] == r[mk]]
            sgn = [r[mk] - r[tk] for r in ok if r[mk] == r[mk]]
            if e:
                print(f"{name:<14} median |err| {statistics.median(e):6.2f}   max |err| {max(e):6.2f}   "
                      f"mean signed {statistics.mean(sgn):+6.2f}   (n={len(e)})")
        rel = [abs(r["edvM"] - r["edvT"]) / r["edvT"] * 100 for r in ok]
        print(f"{'EDV %':<14} median |err| {statistics.median(rel):6.2f}   max |err| {max(rel):6.2f}")
    nf = sum(1 for r in rows if "failed" in r) + len(genfail)
    print(f"\n{len(ok)} analysed, {nf} failed")
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
