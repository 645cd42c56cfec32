#!/usr/bin/env python3
"""Validates every Scenarios/*.yaml and examples/python-pipeline/*.yaml against Scenarios/scenario.schema.json (an
independent check of the format that `crtsim validate` enforces), checks that every expectation of that catalogue
cites its source (docs/expectations.md), and that a few malformed scenarios are rejected."""
import glob, json, sys
import jsonschema, yaml

schema = json.load(open("Scenarios/scenario.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
catalogue = sorted(glob.glob("Scenarios/*.yaml")) + sorted(glob.glob("examples/python-pipeline/*.yaml"))
for path in catalogue:
    scenario = yaml.safe_load(open(path))
    errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(scenario)]
    for i, e in enumerate(scenario.get("expectations", [])):
        source = str(e.get("source", "")).strip()
        if not source:
            errors.append(f"expectations.{i}: {e.get('metric')}: no source (docs/expectations.md)")
        elif "DOMAIN.md" in source or "../" in source:
            errors.append(f"expectations.{i}: source cites a file outside the repository: {source}")
    for e in errors:
        print(f"{path}: {e}")
    failed += bool(errors)
bad = [{"id": "x", "cases": 0}, {"id": "x", "unknown": 1}, {"id": "x", "expectations": [{"metric": "scar.kappa"}]},
       {"id": "x", "expectations": [{"metric": "scar.kappa", "atLeast": 0.85, "source": ""}]},
       {"id": "x", "draws": [{"parameter": "anatomy.edvMl", "normal": {"mean": 1}, "uniform": {"min": 0}}]}]
for b in bad:
    if validator.is_valid(b):
        print(f"schema accepts a malformed scenario: {b}"); failed += 1
print(f"scenario-schema: {len(catalogue)} scenario files checked, {failed} problem(s)")
sys.exit(1 if failed else 0)
