#!/usr/bin/env python3
"""Validates a crtsim case folder and an analysis folder against Schemas/*.schema.json (JSON Schema 2020-12), an
independent check of the analysis contract (docs/schemas.md).

    check_schemas.py CASE_DIR ANALYSIS_DIR [CASE_DIR ANALYSIS_DIR ...] [--doctored]
    check_schemas.py --metrics-only

Checks, one line each:
- every schema is a valid 2020-12 schema;
- Schemas/metrics.json names exactly the metric ids of PipelineMetrics.definitions in
  Sources/Validation/ScenarioMetrics.swift (same order, unit and direction), and every key path it lists exists in
  the analysis or truth schema;
- per case: cmr/acquisition.json, xray/<VIEW>.json (and SeriesDescription == VIEW), operator/clicks-<VIEW>.json
  (and view == VIEW, with a matching xray/<VIEW>.json), truth/truth.json, and the files the contract needs
  (cmr/*.nii.gz, each view's venogram);
- per analysis: analysis.json, and labels/lge-scar.nii.gz present with the size and affine of cmr/lge.nii.gz
  (the scar Dice pairs voxels by storage order);
- with --doctored: copies of the case's files with one defect each (a missing required key, a wrong type, a 37th
  segment id, ...) must be rejected.
Ends with `schemas: N passed, M failed`; exit code 1 on any failure, 2 on bad usage.
"""
import copy, glob, gzip, json, os, re, struct, sys

from schema_support import (Draft202012Validator, ROOT, SCHEMAS, Tally, errors_of, id_list_problems, jsonschema,
                            key_path, load_schemas, strict_json)

METRICS_SWIFT = os.path.join(ROOT, "Sources", "Validation", "ScenarioMetrics.swift")
tally = Tally()
report = tally.report


def check_file(validators, name, path, label, extra=None):
    """Validates one JSON file; `extra(doc)` returns more problems (cross-file rules)."""
    try:
        doc = strict_json(path)
    except (OSError, ValueError) as e:
        report(False, label, f"not readable JSON ({e})")
        return None
    problems = errors_of(validators[name], doc)
    if extra and not problems:
        problems += extra(doc)
    if problems:
        shown = problems[:8] + ([f"... and {len(problems) - 8} more"] if len(problems) > 8 else [])
        report(False, f"{label} ({name})", "; ".join(shown))
    else:
        report(True, f"{label} ({name})")
    return doc


def nifti_header(path):
    """(dim[1..dim[0]], sform rows) of a NIfTI-1 file, read with the standard library."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        h = f.read(348)
    if len(h) < 348:
        raise ValueError("shorter than a NIfTI-1 header")
    endian = "<" if struct.unpack("<i", h[0:4])[0] == 348 else ">"
    dims = struct.unpack(endian + "8h", h[40:56])
    srow = struct.unpack(endian + "12f", h[280:328])
    return list(dims[1: 1 + dims[0]]), srow


def check_case(validators, case, analysis):
    rel = lambda p: os.path.join(os.path.basename(os.path.normpath(case)), os.path.relpath(p, case))
    acq = os.path.join(case, "cmr", "acquisition.json")
    check_file(validators, "acquisition", acq, rel(acq))
    # The long-axis cine views are optional; each one acquisition.json records must be there.
    try:
        with open(acq) as f:
            recorded = json.load(f)
    except (OSError, ValueError):
        recorded = {}   # check_file above has reported it
    cmr_files = ["cmr/cine.nii.gz", "cmr/lge.nii.gz"] + [
        f"cmr/cine-{v}.nii.gz" for v in ("2ch", "3ch", "4ch") if isinstance(recorded, dict) and f"cine{v}" in recorded]
    missing = [f for f in cmr_files if not os.path.isfile(os.path.join(case, f))]
    # xray/<VIEW>-ecg.json beside a venogram run is its ECG record, not a view.
    views = sorted(p for p in glob.glob(os.path.join(case, "xray", "*.json")) if not p.endswith("-ecg.json"))
    for path in sorted(glob.glob(os.path.join(case, "xray", "*-ecg.json"))):
        stem = os.path.basename(path)[:-len("-ecg.json")]
        check_file(validators, "xray-ecg", path, rel(path),
                   lambda d, stem=stem: [] if d["view"] == stem else [f"view: '{d['view']}' differs from the file name's '{stem}'"])
    for path in views:
        stem = os.path.basename(path)[:-5]
        if not os.path.isfile(os.path.join(case, "xray", f"{stem}-venogram.nii.gz")):
            missing.append(f"xray/{stem}-venogram.nii.gz")
        check_file(validators, "xray-view", path, rel(path),
                   lambda d, stem=stem: [] if d["SeriesDescription"] == stem else
                   [f"SeriesDescription: '{d['SeriesDescription']}' differs from the file name '{stem}'"])
    stems = {os.path.basename(p)[:-5] for p in views}
    for path in sorted(glob.glob(os.path.join(case, "operator", "clicks-*.json"))):
        stem = os.path.basename(path)[len("clicks-"):-5]
        def clicks_rules(d, stem=stem):
            out = [] if d["view"] == stem else [f"view: '{d['view']}' differs from the file name's '{stem}'"]
            return out + ([] if stem in stems else [f"no xray/{stem}.json for these clicks"])
        check_file(validators, "operator-clicks", path, rel(path), clicks_rules)
    truth = os.path.join(case, "truth", "truth.json")
    if os.path.exists(truth):
        check_file(validators, "truth", truth, rel(truth),
                   lambda d: [] if ("heartPose" in d) == bool(views) else
                   [f"heartPose {'absent' if views else 'present'} but the case {'has' if views else 'has no'} xray/ views"])
    report(not missing, f"{os.path.basename(os.path.normpath(case))}: contract files",
           "missing " + ", ".join(missing) if missing else ", ".join(cmr_files)
           + (", " + ", ".join(f"xray/{s}-venogram.nii.gz" for s in sorted(stems)) if stems else ""))
    if analysis is None:
        return
    path = os.path.join(analysis, "analysis.json")
    check_file(validators, "analysis", path, os.path.relpath(path, os.path.dirname(os.path.normpath(analysis))))
    mask, lge = os.path.join(analysis, "labels", "lge-scar.nii.gz"), os.path.join(case, "cmr", "lge.nii.gz")
    label = f"{os.path.basename(os.path.normpath(analysis))}/labels/lge-scar.nii.gz"
    try:
        (dm, sm), (dl, sl) = nifti_header(mask), nifti_header(lge)
        same = dm[:3] == dl[:3] and all(abs(a - b) <= 1e-3 * max(1, abs(b)) for a, b in zip(sm, sl))
        report(same, f"{label} on the LGE grid", f"size {dm} vs cmr/lge.nii.gz {dl}" if dm[:3] != dl[:3] else
               ("" if same else "sform differs from cmr/lge.nii.gz"))
    except (OSError, ValueError, struct.error) as e:
        report(False, f"{label} on the LGE grid", f"cannot read ({e})")


def check_metrics(schemas):
    """metrics.json against the Swift source, and its key paths against the schemas."""
    src = open(METRICS_SWIFT).read()
    block = re.search(r"static let definitions[^=]*=\s*\[(.*?)\n\s*\]", src, re.S)
    swift = re.findall(r'\(\s*"([^"]+)"\s*,\s*"([^"]*)"\s*,\s*"(higher|lower)"\s*\)', block.group(1)) if block else []
    try:
        doc = strict_json(os.path.join(SCHEMAS, "metrics.json"))
        ours = [(m["id"], m["unit"], m["better"]) for m in doc["metrics"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        report(False, "Schemas/metrics.json", f"unreadable ({e})")
        return
    problems = []
    if not swift:
        problems.append("no metric definitions found in ScenarioMetrics.swift")
    sid, oid = [s[0] for s in swift], [o[0] for o in ours]
    problems += id_list_problems(sid, oid, "ScenarioMetrics.swift", "Schemas/metrics.json")
    for s in swift:
        o = dict((x[0], x) for x in ours).get(s[0])
        if o and o != s:
            problems.append(f"{s[0]}: unit/better {o[1:]} but Swift has {s[1:]}")
    for m in doc["metrics"]:
        for field, schema in (("analysisKeys", "analysis"), ("truthKeys", "truth")):
            for p in m.get(field, []):
                if not schema_has_path(schemas, schemas[schema], p):
                    problems.append(f"{m['id']}: {field} '{p}' is not a key of {schema}.schema.json")
    report(not problems, f"Schemas/metrics.json ({len(oid)} metrics vs {len(sid)} in ScenarioMetrics.swift)",
           "; ".join(problems))


def resolve(schemas, node, base):
    """Follows a $ref (local or to another crtsim schema by its urn)."""
    ref = node.get("$ref")
    if not ref:
        return node, base
    uri, _, pointer = ref.partition("#")
    document = base if not uri else next(s for s in schemas.values() if s["$id"] == uri)
    target = document
    for part in [p for p in pointer.split("/") if p]:
        target = target[part]
    return target, document


def schema_has_path(schemas, root, path):
    """Whether key path `a.b[].c` names a property somewhere in the schema (through $ref, allOf, oneOf, items)."""
    def candidates(node, base):
        node, base = resolve(schemas, node, base)
        yield node, base
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in node.get(key, []):
                yield from candidates(sub, base)

    def step(nodes, key, array):
        out = []
        for node, base in nodes:
            for n, b in candidates(node, base):
                child = n.get("properties", {}).get(key)
                if child is None and isinstance(n.get("additionalProperties"), dict):
                    child = n["additionalProperties"]
                if child is None:
                    continue
                if array:
                    for c, cb in candidates(child, b):
                        for it in [c.get("items")] + list(c.get("prefixItems", [])):
                            if isinstance(it, dict):
                                out.append((it, cb))
                else:
                    out.append((child, b))
        return out

    nodes = [(root, root)]
    for part in path.split("."):
        array = part.endswith("[]")
        nodes = step(nodes, part[:-2] if array else part, array)
        if not nodes:
            return False
    return True


def doctored(validators, case, analysis):
    """Copies of real files with one defect each: the schema must reject every one, naming the key path."""
    def load(p):
        return strict_json(os.path.join(p))
    truth = load(os.path.join(case, "truth", "truth.json"))
    acq = load(os.path.join(case, "cmr", "acquisition.json"))
    an = load(os.path.join(analysis, "analysis.json"))
    cases = []

    def variant(name, doc, label, change, expect):
        d = copy.deepcopy(doc)
        change(d)
        cases.append((name, label, d, expect))

    variant("truth", truth, "truth.json without edvMl", lambda d: d.pop("edvMl"), "edvMl")
    variant("truth", truth, "truth.json segments[0].id = 37", lambda d: d["segments"][0].__setitem__("id", 37), "segments[0].id")
    variant("truth", truth, "truth.json segments in reverse order", lambda d: d["segments"].reverse(), "segments[0].id")
    variant("truth", truth, "truth.json ef as a string", lambda d: d.__setitem__("ef", "0.3"), "ef")
    variant("acquisition", acq, "acquisition.json PixelSpacing with one value",
            lambda d: d["cine"].__setitem__("PixelSpacing", [1.8]), "cine.PixelSpacing")
    variant("acquisition", acq, "acquisition.json without lge.Rows", lambda d: d["lge"].pop("Rows"), "lge.Rows")
    if "cine4ch" in acq:
        variant("acquisition", acq, "acquisition.json cine4ch.SliceThickness = 0",
                lambda d: d["cine4ch"].__setitem__("SliceThickness", 0), "cine4ch.SliceThickness")
    variant("analysis", an, "analysis.json primaryTarget = 37", lambda d: d.__setitem__("primaryTarget", 37), "primaryTarget")
    variant("analysis", an, "analysis.json segments[5].scarred as 1",
            lambda d: d["segments"][5].__setitem__("scarred", 1), "segments[5].scarred")
    variant("analysis", an, "analysis.json without scar.present", lambda d: d["scar"].pop("present"), "scar.present")
    variant("analysis", an, "analysis.json heartPose of 3 rows", lambda d: d.__setitem__("heartPose", [[1, 0, 0, 0]] * 3), "heartPose")
    variant("analysis", an, "analysis.json lvAxis.apexMm of 2 numbers",
            lambda d: d["lvAxis"].__setitem__("apexMm", [1.0, 2.0]), "lvAxis.apexMm")
    views = sorted(p for p in glob.glob(os.path.join(case, "xray", "*.json")) if not p.endswith("-ecg.json"))
    if views:
        view = load(views[0])
        variant("xray-view", view, "xray view PositionerPrimaryAngle = 200",
                lambda d: d.__setitem__("PositionerPrimaryAngle", 200), "PositionerPrimaryAngle")
        variant("xray-view", view, "xray view without ImagerPixelSpacing", lambda d: d.pop("ImagerPixelSpacing"), "ImagerPixelSpacing")
    clicks = sorted(glob.glob(os.path.join(case, "operator", "clicks-*.json")))
    if clicks:
        c = load(clicks[0])
        name = sorted(c["landmarks"])[0]
        variant("operator-clicks", c, f"clicks landmarks.{name} of 3 numbers",
                lambda d: d["landmarks"].__setitem__(name, [1.0, 2.0, 3.0]), f"landmarks.{name}")
    for name, label, doc, expect in cases:
        problems = errors_of(validators[name], doc)
        named = [p for p in problems if p.startswith(expect + ":")]
        report(bool(named), f"doctored {label} rejected",
               named[0] if named else
               (f"rejected but no message names '{expect}': {problems}" if problems else "accepted"))


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    if flags - {"--doctored", "--metrics-only"} or (len(args) % 2 and "--metrics-only" not in flags) \
            or (not args and "--metrics-only" not in flags):
        print(__doc__.strip().split("\n\n")[1])
        return 2
    schemas, registry = load_schemas()
    validators = {}
    for name, schema in schemas.items():
        try:
            Draft202012Validator.check_schema(schema)
            validators[name] = Draft202012Validator(schema, registry=registry,
                                                    format_checker=Draft202012Validator.FORMAT_CHECKER)
            report(True, f"Schemas/{name}.schema.json is a valid 2020-12 schema")
        except jsonschema.exceptions.SchemaError as e:
            report(False, f"Schemas/{name}.schema.json", e.message)
    check_metrics(schemas)
    for case, analysis in zip(args[0::2], args[1::2]):
        if not os.path.isdir(case) or not os.path.isdir(analysis):
            report(False, f"{case} {analysis}", "not a folder")
            continue
        check_case(validators, case, analysis)
        if "--doctored" in flags:
            doctored(validators, case, analysis)
    return tally.finish("schemas")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
