#!/usr/bin/env python3
"""Validates results.json files of crtsim runs against Schemas/results.schema.json (JSON Schema 2020-12), an
independent check of what `crtsim run` and `crtsim merge` write (docs/schemas.md).

    check_results_schema.py RESULTS_JSON [RESULTS_JSON ...]

Checks, one line each:
- Schemas/results.schema.json is a valid 2020-12 schema, and its metric ids (`$defs/metricId`) are those of
  Schemas/metrics.json, in the same order;
- each file against the schema (with every Schemas/*.schema.json in the registry, for the shared definitions);
- copies of the first file with one defect each must be rejected: a metric with an unknown id, a verdict without
  `passed`, schemaVersion 3, a metric value as a string.
Ends with `results-schema: N passed, M failed`; exit code 1 on any failure, 2 on bad usage.
Files are read as strict JSON (NaN, Infinity are refused as literals; crtsim writes them as strings where allowed).
"""
import copy, os, sys

from schema_support import (Draft202012Validator, SCHEMAS, Tally, errors_of, id_list_problems, jsonschema, load_schemas,
                            strict_json)

SCHEMA = os.path.join(SCHEMAS, "results.schema.json")
tally = Tally()
report = tally.report


def load_validator():
    try:
        schemas, registry = load_schemas()
    except (OSError, ValueError) as e:
        report(False, "Schemas/", f"unreadable ({e})")
        return None, None
    schema = schemas.get("results")
    if schema is None:
        report(False, "Schemas/results.schema.json", "missing")
        return None, None
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        report(False, "Schemas/results.schema.json", e.message)
        return None, schema
    report(True, "Schemas/results.schema.json is a valid 2020-12 schema")
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER), schema


def check_metric_ids(schema):
    try:
        ours = schema["$defs"]["metricId"]["enum"]
        listed = [m["id"] for m in strict_json(os.path.join(SCHEMAS, "metrics.json"))["metrics"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        report(False, "results.schema.json metric ids vs Schemas/metrics.json", f"unreadable ({e})")
        return
    problems = id_list_problems(listed, ours, "metrics.json", "results.schema.json")
    report(not problems, f"results.schema.json metric ids ({len(ours)}) vs Schemas/metrics.json ({len(listed)})",
           "; ".join(problems))


def check_file(validator, path):
    try:
        doc = strict_json(path)
    except (OSError, ValueError) as e:
        report(False, path, f"not readable as JSON ({e})")
        return None
    problems = errors_of(validator, doc)
    if problems:
        shown = problems[:8] + ([f"... and {len(problems) - 8} more"] if len(problems) > 8 else [])
        report(False, path, "; ".join(shown))
        return None
    n = len(doc.get("cases", []))
    extra = [k for k in ("comparison", "baselines", "uncertainty") if k in doc]
    report(True, f"{path} ({n} cases, {len(doc.get('failures', []))} failed"
           + (", with " + ", ".join(extra) if extra else "") + ")")
    return doc


def doctored(validator, doc, label):
    """Copies with one defect each: the schema must reject every one, naming the key path."""
    variants = []

    def variant(what, change, expect):
        d = copy.deepcopy(doc)
        change(d)
        variants.append((what, d, expect))

    variant("a metric with an unknown id", lambda d: d["metrics"][0].__setitem__("id", "scar.unknown_metric"), "metrics[0].id")
    if doc.get("verdicts"):
        variant("a verdict without passed", lambda d: d["verdicts"][0].pop("passed"), "verdicts[0].passed")
    else:
        variant("a verdict without passed",
                lambda d: d.__setitem__("verdicts", [{"metric": "scar.kappa", "expectation": ">= 0.85", "value": 0.9}]),
                "verdicts[0].passed")
    variant("schemaVersion 3", lambda d: d.__setitem__("schemaVersion", 3), "schemaVersion")
    variant("a metric value as a string", lambda d: d["metrics"][0].__setitem__("value", "0.9"), "metrics[0].value")
    for what, d, expect in variants:
        problems = errors_of(validator, d)
        named = [p for p in problems if p.startswith(expect + ":")]
        report(bool(named), f"doctored {label}: {what} rejected",
               named[0] if named else
               (f"rejected but no message names '{expect}': {problems}" if problems else "accepted"))


def main(argv):
    if not argv or any(a.startswith("--") for a in argv):
        print(__doc__.strip().split("\n\n")[1])
        return 2
    validator, schema = load_validator()
    if schema is not None:
        check_metric_ids(schema)
    if validator is not None:
        docs = [(p, check_file(validator, p)) for p in argv]
        first = next(((p, d) for p, d in docs if d is not None), None)
        if first:
            doctored(validator, first[1], os.path.basename(os.path.dirname(os.path.abspath(first[0]))) + "/results.json")
        else:
            report(False, "doctored copies", "no valid file to start from")
    return tally.finish("results-schema")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
