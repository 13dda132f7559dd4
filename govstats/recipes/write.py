"""Writing results so that a rerun writes the same bytes.

Tables: CSV, UTF-8, ``\\n`` line ends, floats with 10 significant digits (``%.10g``: far finer
than any reported number, coarse enough that the last bits of floating-point sums never show).
JSON: sorted keys, the same float format, no NaN (written ``null``). Figures: SVG with a fixed
hash salt for matplotlib's element ids and no creation date. Word files: the zip entries get a
fixed date (python-docx stamps the current time on them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import zipfile
from pathlib import Path

FLOAT_FORMAT = "%.10g"
SVG_SALT = "govstats-recipe"
# 1980-01-01, the earliest date a zip entry can carry (matplotlib reads SOURCE_DATE_EPOCH too)
FIXED_EPOCH = "315532800"


def write_table(frame, path: Path, index: bool = False) -> Path:
    """A DataFrame as a CSV file, written the same way every time."""
    frame.to_csv(path, index=index, float_format=FLOAT_FORMAT, lineterminator="\n", encoding="utf-8")
    return path


def plain(value):
    """``value`` with numpy and pandas scalars as Python ones, floats rounded as in the tables,
    NaN and infinities as None, tuples as lists, mapping keys as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            value = value.item()
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return float(FLOAT_FORMAT % value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


def dumps(value) -> str:
    return json.dumps(plain(value), sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def write_json(value, path: Path) -> Path:
    """A JSON file with sorted keys and rounded floats."""
    path.write_text(dumps(value), encoding="utf-8")
    return path


@contextlib.contextmanager
def deterministic_figures():
    """matplotlib writes the same SVG bytes for the same figure inside this block.

    matplotlib salts the ids of SVG elements with a random UUID unless ``svg.hashsalt`` is set,
    and stamps SVG (and PDF) files with the current date unless ``SOURCE_DATE_EPOCH`` is set;
    both are restored on leaving.
    """
    from matplotlib import rc_context

    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = FIXED_EPOCH
    try:
        with rc_context({"svg.hashsalt": SVG_SALT}):
            yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def write_svg(figure, path: Path) -> Path:
    """A matplotlib figure as SVG without date or random ids."""
    with deterministic_figures():
        figure.savefig(path, format="svg", metadata={"Date": None})
    return path


def fix_zip_dates(path: Path) -> Path:
    """Rewrite a zip file (a .docx) with every entry dated 1980-01-01, in the same order."""
    with zipfile.ZipFile(path) as old:
        entries = [(info, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for info, blob in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            new.writestr(fixed, blob)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
