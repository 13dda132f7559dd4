"""``verify_results(out)``: rerun the recipe behind a results folder and name every difference.

The rerun goes to a temporary folder; every file of the original manifest is compared byte
for byte, and for a file that differs the first differing value is found: the cell of a CSV
table (row, column, both values), the key path of a JSON file, or the line of any other text.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from govstats.errors import DataError
from govstats.recipes.run import MANIFEST, PROVENANCE, analyze


@dataclass(frozen=True)
class Difference:
    """One difference between a results folder and its rerun.

    Attributes
    ----------
    file : str
        The file (or ``recipe``, ``data``, ``instrument`` for the inputs).
    where : str
        The first place that differs: ``row 12, column est``, ``fit_measures.cfi``, ``line 40``.
    was, now : str
        The value there in the folder and in the rerun.
    """

    file: str
    where: str
    was: str
    now: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: was {self.was}, rerun gives {self.now}"


def verify_results(out: str | PathLike, recipe=None) -> list[Difference]:
    """Rerun the recipe that wrote ``out`` and compare every result file with the rerun's.

    Parameters
    ----------
    out : path
        A results folder written by :func:`govstats.recipes.analyze`.
    recipe : path, optional
        The recipe to rerun; default the one ``provenance.json`` names.

    Returns
    -------
    list of Difference
        Empty when the rerun wrote the same bytes.
    """
    out = Path(out)
    for name in (MANIFEST, PROVENANCE):
        if not (out / name).is_file():
            raise DataError(f"{out} is not a results folder of govstats analyze: it has no {name}. Give the folder "
                            "that 'govstats analyze RECIPE -o FOLDER' wrote.")
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    recipe = Path(recipe) if recipe is not None else Path(json.loads((out / PROVENANCE).read_text("utf-8"))["recipe"])
    if not recipe.is_file():
        raise FileNotFoundError(2, "the recipe that wrote these results is gone", str(recipe))
    with tempfile.TemporaryDirectory(prefix="govstats-verify-") as tmp:
        rerun = Path(tmp)
        analyze(recipe, rerun)
        again = json.loads((rerun / MANIFEST).read_text(encoding="utf-8"))
        found = inputs_changed(manifest, again)
        for name in manifest["files"]:
            # the files as they are now, not the manifest's hashes: a file edited since is a difference
            if name not in again["files"]:
                found.append(Difference(name, "file", "written", "not written"))
            elif not (out / name).is_file() or (out / name).read_bytes() != (rerun / name).read_bytes():
                found.append(first_difference(name, out / name, rerun / name))
        for name in again["files"]:
            if name not in manifest["files"]:
                found.append(Difference(name, "file", "not written", "written"))
        if not found and (out / MANIFEST).read_bytes() != (rerun / MANIFEST).read_bytes():
            found.append(first_difference(MANIFEST, out / MANIFEST, rerun / MANIFEST))
    return found


def inputs_changed(before: dict, after: dict) -> list[Difference]:
    """The recipe, instrument or data files changed since the results were written."""
    found = []
    for key in ("recipe", "instrument"):
        if before[key]["sha256"] != after[key]["sha256"]:
            found.append(Difference(key, f"{before[key]['file']} SHA-256", before[key]["sha256"][:16],
                                    after[key]["sha256"][:16]))
    old = {d["file"]: d["sha256"] for d in before["data"]}
    new = {d["file"]: d["sha256"] for d in after["data"]}
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            found.append(Difference("data", f"{name} SHA-256", (old.get(name) or "absent")[:16],
                                    (new.get(name) or "absent")[:16]))
    return found


def first_difference(name: str, was: Path, now: Path) -> Difference:
    """Where two versions of a result file first differ."""
    if not was.is_file():
        return Difference(name, "file", "missing", "written")
    a, b = was.read_bytes(), now.read_bytes()
    try:
        ta, tb = a.decode("utf-8"), b.decode("utf-8")
    except UnicodeDecodeError:  # a binary file (report.docx)
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return Difference(name, f"byte {at}", f"{len(a)} bytes", f"{len(b)} bytes")
    if name.endswith(".csv"):
        found = _csv_difference(name, ta, tb)
    elif name.endswith(".json"):
        found = _json_difference(name, json.loads(ta), json.loads(tb), "")
    else:
        found = None
    return found or _line_difference(name, ta, tb)


def _csv_difference(name: str, a: str, b: str) -> Difference | None:
    ra, rb = list(csv.reader(io.StringIO(a))), list(csv.reader(io.StringIO(b)))
    header = ra[0] if ra else []
    for i, (x, y) in enumerate(zip(ra, rb)):
        for j in range(max(len(x), len(y))):
            u = x[j] if j < len(x) else "(none)"
            v = y[j] if j < len(y) else "(none)"
            if u != v:
                column = header[j] if j < len(header) and i > 0 else f"{j + 1}"
                first = f" ({x[0]})" if i > 0 and x and j > 0 else ""
                return Difference(name, f"row {i + 1}{first}, column {column}" if i else f"header, column {j + 1}",
                                  u, v)
    if len(ra) != len(rb):
        return Difference(name, "rows", str(len(ra)), str(len(rb)))
    return None


def _json_difference(name: str, a, b, path: str) -> Difference | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                return Difference(name, where, repr(a.get(key, "(absent)")), repr(b.get(key, "(absent)")))
            found = _json_difference(name, a[key], b[key], where)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            found = _json_difference(name, x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return Difference(name, f"{path} length", str(len(a)), str(len(b)))
        return None
    return None if a == b else Difference(name, path or "(whole file)", json.dumps(a), json.dumps(b))


def _line_difference(name: str, a: str, b: str) -> Difference:
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            col = next((k for k, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
            return Difference(name, f"line {i + 1}, character {col + 1}", repr(x[col:col + 40]), repr(y[col:col + 40]))
    return Difference(name, f"line {min(len(la), len(lb)) + 1}", f"{len(la)} lines", f"{len(lb)} lines")
