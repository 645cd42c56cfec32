#!/usr/bin/env python3
"""Recomputes an A/B run's paired tests (results.json `comparison`) from its case records with statsmodels
(McNemar, exact) and SciPy (Wilcoxon signed-rank, default method), and its disagreements; exits 1 on any mismatch.
Usage: check_ab_stats.py RESULTS_JSON"""
import json, math, sys, warnings
from scipy.stats import wilcoxon
from statsmodels.stats.contingency_tables import mcnemar

warnings.simplefilter("ignore", RuntimeWarning)  # SciPy warns on all-zero differences (p NaN), handled below

r = json.load(open(sys.argv[1]))
comparison = r["comparison"]
judged = comparison["judged"]
records = [(c["index"], c["score"], c.get("registration"), c.get("compared") or []) for c in r["cases"]]

def binary(q, s, g):
    if q == "target.exact":
        return s["primaryTargetCategory"] in ("within", "agree-none")
    if q == "target.within_or_adjacent":
        return s["primaryTargetCategory"] in ("within", "adjacent", "agree-none")
    if q == "lead.category36_correct":
        if not g or g.get("leadCategory36Truth") is None:
            return None
        return not g.get("leadNotFound", False) and g.get("leadCategory36Analysis") == g["leadCategory36Truth"]

def continuous(q, s, g):
    g = g or {}
    table = {"volume.edv_abs_rel_error": lambda: abs(s["edvRelativeError"]),
             "volume.esv_abs_rel_error": lambda: abs(s["esvRelativeError"]),
             "volume.ef_abs_error": lambda: abs(s["efErrorPoints"]),
             "scar.burden_abs_error": lambda: abs(s["scarBurdenErrorPoints"]),
             "scar.kappa": lambda: s["scarKappa"], "scar.dice": lambda: s.get("scarDice"),
             "activation.mae": lambda: s.get("activationMedianAbsErrorMs"),
             "strain.radial_rmse": lambda: s.get("strainRMSEPercent"), "target.distance": lambda: s.get("targetDistanceMm"),
             "registration.mtre": lambda: g.get("mTREMm"),
             "lead.electrode_localisation_error": lambda: g.get("electrodeLocalisationErrorMm")}
    v = table[q]()
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None

problems, checked = 0, 0
def close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b)))

for t in comparison["tests"]:
    pairs = []
    for index, s, g, compared in records:
        other = next((o for o in compared if o["pipeline"] == t["pipeline"] and o.get("score")), None)
        if other is None:
            continue
        f = binary if t["test"] == "mcnemar" else continuous
        x, y = f(t["quantity"], s, g), f(t["quantity"], other["score"], other.get("registration"))
        if x is not None and y is not None:
            pairs.append((x, y))
    if t["test"] == "mcnemar":
        b = sum(1 for x, y in pairs if x and not y); c = sum(1 for x, y in pairs if y and not x)
        p = float(mcnemar([[0, b], [c, 0]], exact=True).pvalue) if pairs else None
        ok = len(pairs) == t["pairs"] and b == t["onlyJudged"] and c == t["onlyOther"] and close(t.get("pValue"), p)
    else:
        p = float(wilcoxon([x - y for x, y in pairs]).pvalue) if pairs else None
        if p is not None and math.isnan(p):
            p = 1.0  # SciPy gives NaN when every difference is zero; crtsim reports 1 (no evidence of a difference)
        ok = len(pairs) == t["pairs"] and close(t.get("pValue"), p)
    checked += 1
    if not ok:
        problems += 1
        print(f"mismatch: {t['pipeline']} {t['quantity']} ({t['test']}): crtsim pairs {t['pairs']} p {t.get('pValue')}, "
              f"reference pairs {len(pairs)} p {p}")

expected = []
for index, s, g, compared in records:
    for o in compared:
        if not o.get("score"):
            continue
        so, go = o["score"], o.get("registration")
        ta, tb = s.get("primaryTargetAnalysis"), so.get("primaryTargetAnalysis")
        if ta != tb:
            expected.append((index, o["pipeline"], "primary target"))
        la, lb = (g or {}).get("leadCategory36Analysis"), (go or {}).get("leadCategory36Analysis")
        if (g or go) and la != lb:
            expected.append((index, o["pipeline"], "lead category"))
        if s["analysisFoundScar"] != so["analysisFoundScar"]:
            expected.append((index, o["pipeline"], "scar found"))
found = [(d["index"], d["pipeline"], d["what"]) for d in comparison["disagreements"]]
if sorted(found) != sorted(expected):
    problems += 1
    print(f"disagreements differ: crtsim {found}, reference {expected}")
print(f"ab-stats: {checked} paired tests and {len(expected)} disagreements recomputed with SciPy / statsmodels; "
      f"{checked + 1 - problems} passed, {problems} failed")
sys.exit(1 if problems else 0)
