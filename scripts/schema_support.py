"""What scripts/check_schemas.py and scripts/check_results_schema.py share: the jsonschema import check, the
Schemas/ folder and its registry, strict JSON reading, one-line error messages naming the key path, and the
`ok` / `FAIL` tally that ends in `NAME: N passed, M failed`."""
import glob, json, os, re, sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from importlib.metadata import version
    if tuple(int(x) for x in re.findall(r"\d+", version("jsonschema"))[:2]) < (4, 18):
        raise ImportError(f"jsonschema {version('jsonschema')} takes no registry")
except ImportError as e:  # jsonschema older than 4.18 has no `referencing`
    sys.exit(f"{os.path.basename(sys.argv[0])} needs jsonschema >= 4.18 and referencing ({e}): pip install -U jsonschema referencing")

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SCHEMAS = os.path.join(ROOT, "Schemas")


class Tally:
    """Counts checks and prints one line each."""
    def __init__(self):
        self.passed = self.failed = 0

    def report(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail else ""))

    def finish(self, name):
        """Prints the closing line and returns the exit code (1 on any failure)."""
        print(f"{name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def strict_json(path):
    """Reads JSON refusing NaN / Infinity literals (not JSON; crtsim writes non-finite numbers as null or strings)."""
    def refuse(token):
        raise ValueError(f"non-standard JSON literal {token}")
    with open(path) as f:
        return json.load(f, parse_constant=refuse)


def load_schemas():
    """Every Schemas/*.schema.json by name (without `.schema.json`) and a registry of them by `$id`."""
    schemas = {}
    for path in sorted(glob.glob(os.path.join(SCHEMAS, "*.schema.json"))):
        schemas[os.path.basename(path)[: -len(".schema.json")]] = strict_json(path)
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values() if "$id" in s)
    return schemas, registry


def key_path(path):
    """A JSON location as `segments[0].id` (top level: `(top level)`)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out or "(top level)"


def describe(error):
    """One message for an error, naming the key path: a missing key by its own path; for oneOf/anyOf, the error of
    the best-matching branch other than the `null` one (optional values may be null); a long enum by its size."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        return describe(jsonschema.exceptions.best_match(branches or error.context))
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            return f"{key_path(list(error.absolute_path) + [missing[0]])}: required key missing"
    if error.validator == "enum" and len(error.validator_value) > 8:
        return f"{key_path(error.absolute_path)}: {error.instance!r} is not one of the {len(error.validator_value)} allowed values"
    return f"{key_path(error.absolute_path)}: {error.message}"


def errors_of(validator, doc):
    """Every error of `doc`, one message each, in key-path order."""
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [describe(e) for e in errors]


def id_list_problems(expected, found, expected_name, found_name):
    """How the id list `found` differs from `expected`: ids missing, ids extra, or the same ids in another order."""
    problems = []
    if set(expected) - set(found):
        problems.append("missing ids " + ", ".join(sorted(set(expected) - set(found))))
    if set(found) - set(expected):
        problems.append(f"ids not in {expected_name} " + ", ".join(sorted(set(found) - set(expected))))
    if not problems and expected != found:
        problems.append(f"ids in {found_name} in a different order than {expected_name}")
    return problems
