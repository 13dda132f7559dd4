"""Table Schema and data package descriptor for an instrument's response file.

The schema follows Table Schema v2 (datapackage.org): codes are an ``enum`` (which
frictionless enforces) and ``categories`` (which carry the labels), ranges are
``minimum``/``maximum``, a scale's missing codes are field ``missingValues`` with their
labels, the respondent id is the primary key, and columns are matched by name
(``fieldsMatch: subset``: all must be present, extra ones are allowed).

Only the respondent id and the consent answer are ``required`` here. Every other column is
legitimately empty in some rows: a respondent who declines consent answers nothing else,
skip logic leaves questions unasked, and a paper form may come back with blanks. That the
form insists on an answer is in each field's description; blank answers are for the
response checks to report, not a reason to reject the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from govstats.forms.encoding import detect_encoding
from govstats.forms.variables import Variable, variables
from govstats.instrument import Instrument

TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
RESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

KIND_NOTES = {
    "metadata": "Filled in by the survey software (or on the paper form's cover).",
    "consent": "Consent to take part: 1 yes, 0 no. Without consent nothing else is asked.",
    "question": "Question.",
    "item": "Likert item.",
    "attention_check": "Attention check (instructed response).",
}


def _bilingual(v: Variable) -> str:
    return f"{v.label.zh} / {v.label.en}"


def _description(v: Variable, instrument: Instrument) -> str:
    parts = [KIND_NOTES[v.kind]]
    if v.kind == "item":
        c = instrument.construct(v.construct)
        parts.append(f"Measures construct {c.id} ({c.name.en}, {c.name.zh}).")
        if v.reverse:
            parts.append("Reverse-coded: worded against the construct; reverse it before scoring.")
    if v.kind == "attention_check":
        parts.append(f"The instructed answer is {v.correct}; asked after construct {v.construct}.")
    if v.type == "multiple_choice":
        parts.append("The codes of every choice ticked, separated by spaces.")
    if v.ask_if is not None:
        codes = ", ".join(str(c) for c in v.ask_if.codes)
        parts.append(f"Asked only if {v.ask_if.question} is one of {codes}; empty otherwise.")
    if v.required and v.kind in ("question", "item", "attention_check"):
        parts.append("The form requires an answer whenever it asks this.")
    return " ".join(parts)


def _field(v: Variable, instrument: Instrument) -> dict:
    field: dict = {"name": v.name, "title": _bilingual(v), "description": _description(v, instrument)}
    constraints: dict = {}
    if v.kind == "metadata" and v.type == "datetime":
        field["type"] = "datetime"
    elif v.type in ("text",) or v.kind == "metadata":
        field["type"] = "string"
    elif v.type == "date":
        field["type"] = "date"
    elif v.type in ("integer", "decimal"):
        field["type"] = "integer" if v.type == "integer" else "number"
        if v.minimum is not None:
            constraints["minimum"] = _number(v.minimum, v.type)
        if v.maximum is not None:
            constraints["maximum"] = _number(v.maximum, v.type)
    elif v.type == "multiple_choice":
        field["type"] = "string"
        alternatives = "|".join(str(c) for c in v.codes)
        constraints["pattern"] = f"(?:{alternatives})(?: (?:{alternatives}))*"
        field["categories"] = [{"value": str(c.code), "label": f"{c.label.zh} / {c.label.en}"}
                               for c in v.choices]
    else:  # single choice: consent, items, attention checks, coded questions
        field["type"] = "integer"
        constraints["enum"] = [c.code for c in v.choices]
        field["categories"] = [{"value": c.code, "label": f"{c.label.zh} / {c.label.en}"} for c in v.choices]
        if v.ordered:
            field["categoriesOrdered"] = True
    if v.missing and v.type != "multiple_choice":
        field["missingValues"] = [{"value": ""}] + [
            {"value": str(c.code), "label": f"{c.label.zh} / {c.label.en}"} for c in v.missing
        ]
    if v.kind in ("consent",) or v.name == instrument.metadata.respondent_id:
        constraints["required"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def _number(x: float, kind: str) -> int | float:
    return int(x) if kind == "integer" or float(x).is_integer() else float(x)


def table_schema(instrument: Instrument) -> dict:
    """The Table Schema (v2) of the instrument's response file.

    Parameters
    ----------
    instrument : Instrument

    Returns
    -------
    dict
        A Table Schema descriptor: one field per column of :meth:`Instrument.columns`.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> schema = table_schema(load_instrument(seed_instrument_path("ri_asset")))
    >>> schema["primaryKey"]
    ['respondent_id']
    >>> age = next(f for f in schema["fields"] if f["name"] == "age")
    >>> age["type"], age["constraints"]
    ('integer', {'minimum': 18, 'maximum': 100})
    >>> ic1 = next(f for f in schema["fields"] if f["name"] == "IC1")
    >>> ic1["constraints"]["enum"], ic1["categories"][0]["label"]
    ([1, 2, 3, 4, 5], '非常不同意 / Strongly disagree')
    """
    return {
        "$schema": TABLE_SCHEMA_PROFILE,
        "fields": [_field(v, instrument) for v in variables(instrument)],
        "missingValues": [""],
        "primaryKey": [instrument.metadata.respondent_id],
        # Columns are matched by name: every one must be there, in any order, and the extra
        # columns survey software adds to its exports (deviceid, instanceID, ...) are allowed.
        "fieldsMatch": "subset",
    }


def data_package(instrument: Instrument, path: str = "") -> dict:
    """A data package descriptor (v2) with one resource: the response file at ``path``.

    Parameters
    ----------
    instrument : Instrument
    path : str, optional
        The CSV file's path relative to the descriptor; ``"<instrument id>.csv"`` by default.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> pkg = data_package(load_instrument(seed_instrument_path("ri_asset")))
    >>> pkg["name"], pkg["version"], pkg["resources"][0]["path"]
    ('ri_asset', '1.0.0', 'ri_asset.csv')
    """
    name = _package_name(instrument.id)
    return {
        "$schema": PACKAGE_PROFILE,
        "name": name,
        "title": f"{instrument.title.zh} / {instrument.title.en}",
        "description": instrument.description.en,
        "version": instrument.version,
        "sources": [{"title": instrument.provenance.citation}],
        "resources": [_resource(instrument, path or f"{instrument.id}.csv", root=False)],
    }


def _package_name(identifier: str) -> str:
    # Package and resource names are lower case letters, digits, '-', '_' and '.'.
    return re.sub(r"[^a-z0-9._-]", "-", identifier.lower())


def _resource(instrument: Instrument, path: str, root: bool, encoding: str = "utf-8") -> dict:
    res = {"name": _package_name(instrument.id), "type": "table", "path": path, "format": "csv",
           "mediatype": "text/csv", "encoding": encoding, "schema": table_schema(instrument)}
    if root:
        res = {"$schema": RESOURCE_PROFILE, **res}
    res["schema"] = {k: v for k, v in res["schema"].items() if k != "$schema"}
    return res


def _json(descriptor: dict) -> str:
    return json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"


def write_table_schema(instrument: Instrument, path: str | Path, package: bool = False) -> Path:
    """Write the Table Schema (or, with ``package=True``, the data package descriptor) as UTF-8 JSON."""
    path = Path(path)
    descriptor = data_package(instrument) if package else table_schema(instrument)
    path.write_text(_json(descriptor), encoding="utf-8")
    return path


def validate_table(instrument: Instrument, path: str | Path) -> pd.DataFrame:
    """Check a response file (CSV) against the instrument's Table Schema with frictionless.

    Parameters
    ----------
    instrument : Instrument
    path : str or Path
        A CSV file (UTF-8, UTF-8 with BOM, or GBK).

    Returns
    -------
    DataFrame
        One row per problem: ``row_number`` (the line in the file, the header being 1;
        empty for problems with the header), ``field``, ``code`` (frictionless's error
        type, such as ``constraint-error``, ``primary-key`` or ``missing-label``) and
        ``message``. Empty when the file conforms.

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.resources import seed_instrument_path
    >>> import tempfile, pathlib
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> df = simulate(inst, 5, seed=1).responses
    >>> df.loc[1, "IC1"] = 7
    >>> csv = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> df.drop(columns=["PS2"]).to_csv(csv, index=False)
    >>> validate_table(inst, csv)[["row_number", "field", "code"]]
       row_number field              code
    0        <NA>   PS2     missing-label
    1           3   IC1  constraint-error
    """
    import frictionless

    path = Path(path).resolve()
    descriptor = _resource(instrument, path.name, root=True, encoding=detect_encoding(path))
    report = frictionless.Resource(descriptor, basepath=str(path.parent)).validate()
    key = ", ".join(descriptor["schema"]["primaryKey"])
    rows = [
        {"row_number": e.get("rowNumber"),
         "field": e.get("fieldName") or (key if e["type"] == "primary-key" else None),
         "code": e["type"], "message": e["message"]}
        for task in report.to_descriptor()["tasks"] for e in task["errors"]
    ]
    out = pd.DataFrame(rows, columns=["row_number", "field", "code", "message"])
    out["row_number"] = out["row_number"].astype("Int64")
    return out
