#!/usr/bin/env python3
"""Validates every Scenarios/*.yaml against Scenarios/scenario.schema.json (an independent check of the format
that `crtsim validate` enforces), and checks that a few malformed scenarios are rejected."""
import glob, json, sys
import jsonschema, yaml

schema = json.load(open("Scenarios/scenario.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
for path in sorted(glob.glob("Scenarios/*.yaml")):
    errors = list(validator.iter_errors(yaml.safe_load(open(path))))
    for e in errors:
        print(f"{path}: {'.'.join(map(str, e.path))}: {e.message}")
    failed += bool(errors)
bad = [{"id": "x", "cases": 0}, {"id": "x", "unknown": 1}, {"id": "x", "expectations": [{"metric": "scar.kappa"}]},
       {"id": "x", "draws": [{"parameter": "anatomy.edvMl", "normal": {"mean": 1}, "uniform": {"min": 0}}]}]
for b in bad:
    if validator.is_valid(b):
        print(f"schema accepts a malformed scenario: {b}"); failed += 1
print(f"scenario-schema: {len(glob.glob('Scenarios/*.yaml'))} scenario files checked, {failed} problem(s)")
sys.exit(1 if failed else 0)
