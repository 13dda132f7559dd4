"""Corrupted copies of the committed synthetic data, with the problems injected into them.

``messy_export()`` takes a clean committed file as text cells and injects one problem of
each kind at known places; it returns the header, the records and the set of
``(row, column, rule)`` that a correct check reports, rows numbered as in the written file
(header = row 1). Writers put the same records into CSV (any encoding and separator),
XLSX and SPSS .sav files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SYNTHETIC = REPO / "data" / "synthetic"


def clean_cells(name: str = "ri_asset") -> pd.DataFrame:
    """A committed clean dataset as the text of its cells ('' for blanks)."""
    return pd.read_csv(SYNTHETIC / f"{name}.csv", dtype=str, keep_default_na=False)


@dataclass
class Export:
    header: list
    records: list                      # list of lists of str
    expected: set = field(default_factory=set)   # (row, column, rule) of schema problems
    mapped: dict = field(default_factory=dict)   # (row, column) -> code expected after reading labels

    def row_of(self, k: int) -> int:
        """File row of record k (header = row 1)."""
        return k + 2


def messy_export(kobo: str | None = None) -> Export:
    """ri_asset.csv with one problem of each schema rule injected, plus label text that maps.

    ``kobo="/"`` or ``"-"`` writes the items as KoboToolbox does, inside groups
    (``grp_IC/IC1``), and adds KoboToolbox's own columns (``_uuid``, ``_submission_time``).
    """
    cells = clean_cells("ri_asset")
    cells = cells.drop(columns=["OC3"])                    # a missing column
    cells["interviewer_note"] = ""                         # an unexpected column
    cells.loc[2, "interviewer_note"] = "家里有客人"
    records = cells.values.tolist()
    header = list(cells.columns)
    col = {c: k for k, c in enumerate(header)}
    ex = Export(header, records)

    def put(k: int, column: str, value: str, rule: str | None) -> None:
        records[k][col[column]] = value
        if rule:
            ex.expected.add((k, column, rule))              # record index now, file row later

    put(3, "IC2", "7", "code-out-of-range")
    put(4, "PS1", "比较同意", None)                          # zh label: read maps it to 4
    put(5, "SM1", "Strongly agree", None)                  # en label: 5
    put(5, "SM2", " 3 ", None)                             # a number with spaces: 3
    put(6, "GR1", "很同意", "unknown-label")                 # no such label on agree5
    put(7, "IC3", "3.5", "code-out-of-range")
    put(8, "age", "abc", "wrong-type")
    put(9, "age", "150", "value-out-of-range")
    put(11, "consent", "0", "no-consent")
    put(12, "respondent_id", "", "missing-id")
    put(13, "IC1", "", "required-missing")
    put(14, "AC1", "", "required-missing")
    put(15, "end_time", "2026-05-01T08:00:00+08:00", "end-before-start")
    put(16, "start_time", "yesterday", "wrong-type")
    put(17, "role", "社区居民", None)                         # a single-choice label: 1
    put(18, "role", "居委会", "unknown-label")
    put(19, "gender", "3", "code-out-of-range")
    ex.mapped = {(4, "PS1"): 4, (5, "SM1"): 5, (5, "SM2"): 3, (17, "role"): 1}
    # A repeated submission: record 10 again at the end.
    records.append(list(records[10]))
    ex.expected |= {(10, "respondent_id", "duplicate-id"), (len(records) - 1, "respondent_id", "duplicate-id")}
    # An empty row in the middle: every record from there on moves down one row.
    blank_at = 21
    records.insert(blank_at, [""] * len(header))
    shift = lambda k: k + 1 if k >= blank_at else k  # noqa: E731
    ex.expected = {(shift(k), c, r) for k, c, r in ex.expected}
    ex.mapped = {(shift(k), c): v for (k, c), v in ex.mapped.items()}
    ex.expected.add((blank_at, None, "empty-row"))
    # File rows: record k is row k + 2; column problems are on the header row.
    ex.expected = {(ex.row_of(k), c, r) for k, c, r in ex.expected}
    ex.mapped = {(ex.row_of(k), c): v for (k, c), v in ex.mapped.items()}
    ex.expected |= {(1, "OC3", "missing-column"), (1, "interviewer_note", "unexpected-column")}
    if kobo:
        construct = {f"{c}{i}": c for c in ("IC", "PS", "SM", "GR", "OC", "CD", "CI", "PE", "SE", "RIE")
                     for i in range(1, 6)}
        ex.header = [f"grp_{construct[h]}{kobo}{h}" if h in construct else h for h in header]
        ex.header += ["_uuid", "_submission_time"]
        for k, r in enumerate(records):
            r += ([f"uuid-{k}", "2026-06-01T10:00:00"] if any(r) else ["", ""])
    return ex


def write_csv(ex: Export, path: Path, encoding: str = "utf-8", sep: str = ",") -> Path:
    frame = pd.DataFrame(ex.records, columns=ex.header)
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n" if sep == ";" else "\n")
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(ex: Export, path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "responses"
    sheet.append(ex.header)
    for r in ex.records:  # numbers as numbers, as Excel keeps them
        sheet.append([_number(v) for v in r])
    book.save(path)
    return path


def write_sav(ex: Export, path: Path) -> Path:
    import pyreadstat

    frame = pd.DataFrame(ex.records, columns=ex.header)
    out = {}
    for c in frame.columns:
        numeric = pd.to_numeric(frame[c].where(frame[c] != ""), errors="coerce")
        text = frame[c] != ""
        # a column whose every value is a number becomes a numeric SPSS variable, others strings
        out[c] = numeric if (numeric.notna() == text).all() else frame[c].astype(object)
    pyreadstat.write_sav(pd.DataFrame(out), str(path))
    return path


def _number(v: str):
    if v == "":
        return None
    try:
        f = float(v)
    except ValueError:
        return v
    if v.strip() != v:
        return v
    return int(f) if f.is_integer() and "." not in v else f


def schema_set(report) -> set:
    """``(row, column, rule)`` of every schema problem in a CheckReport."""
    p = report.problems[report.problems["kind"] == "schema"]
    return {(int(r), None if pd.isna(c) else c, rule) for r, c, rule in zip(p["row"], p["column"], p["rule"])}
