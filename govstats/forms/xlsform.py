"""XLSForm for ODK Collect, KoboToolbox and Enketo, generated from an instrument.

Field names are the instrument's column ids, so data exported by ODK Central or
KoboToolbox map back onto the instrument (their exports prefix group paths, e.g.
``grid_IC-IC1`` or ``grid_IC/IC1``; the last part is the column). Labels come in both
languages with Chinese the default; every construct's items form one grid.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from govstats.errors import FormError
from govstats.forms import wording
from govstats.forms.layout import Section, sections
from govstats.forms.variables import Variable
from govstats.instrument import Instrument
from govstats.instrument.model import Choice, Text

LANGS = ("zh", "en")
GRID_APPEARANCES = ("table-list", "likert")
SURVEY_COLUMNS = (
    "type", "name", "label", "hint", "required", "required_message", "constraint",
    "constraint_message", "relevant", "appearance", "calculation",
)
TRANSLATED = ("label", "hint", "required_message", "constraint_message")
XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: fixed, so the same form gives the same bytes

TYPES = {"integer": "integer", "decimal": "decimal", "text": "text", "date": "date"}


def _text_columns(column: str, text: Text) -> dict[str, str]:
    return {f"{column}::{wording.LANG_LABELS[lang]}": text.get(lang) for lang in LANGS}


class _Lists:
    """Choice lists, named after their scale (or question), in order of first use."""

    def __init__(self, reserved: set[str]):
        self.rows: list[dict] = []
        self.by_key: dict[tuple, str] = {}
        self.used: set[str] = set(reserved)

    def name_for(self, preferred: str, choices: tuple[Choice, ...]) -> str:
        key = (preferred, tuple((c.code, c.label) for c in choices))
        if key in self.by_key:
            return self.by_key[key]
        name, k = preferred, 1
        while name in self.used:
            k += 1
            name = f"{preferred}_{k}"
        self.used.add(name)
        self.by_key[key] = name
        for c in choices:
            self.rows.append({"list_name": name, "name": str(c.code), **_text_columns("label", c.label)})
        return name


def _relevant(consent: str, v: Variable) -> str:
    cond = f"${{{consent}}} = '1'"
    if v.ask_if is not None:
        alts = " or ".join(f"selected(${{{v.ask_if.question}}}, '{c}')" for c in v.ask_if.codes)
        cond += f" and ({alts})"
    return cond


def _question_row(v: Variable, lists: _Lists, consent: str, in_grid: bool = False,
                  appearance: str | None = None) -> dict:
    row: dict[str, str] = {"name": v.name}
    if v.is_choice:
        listed = lists.name_for(v.scale or v.name, v.choices + v.missing)
        row["type"] = f"{'select_one' if v.type == 'single_choice' else 'select_multiple'} {listed}"
    else:
        row["type"] = TYPES[v.type]
    row.update(_text_columns("label", v.label))
    if v.required:
        row["required"] = "yes"
        row.update(_text_columns("required_message", wording.REQUIRED_MESSAGE))
    if v.type in ("integer", "decimal") and (v.minimum is not None or v.maximum is not None):
        parts = []
        if v.minimum is not None:
            parts.append(f". >= {wording._num(v.minimum)}")
        if v.maximum is not None:
            parts.append(f". <= {wording._num(v.maximum)}")
        row["constraint"] = " and ".join(parts)
        row.update(_text_columns("constraint_message", wording.range_message(v.minimum, v.maximum)))
    if not in_grid and v.kind != "consent":
        row["relevant"] = _relevant(consent, v)
    if appearance:
        row["appearance"] = appearance
    return row


def _grid_rows(section: Section, lists: _Lists, consent: str, appearance: str) -> list[dict]:
    instruction = wording.GRID_INSTRUCTION[section.variables[0].scale_type or "likert"]
    rows = [{"type": "begin_group", "name": section.name, **_text_columns("label", instruction),
             "relevant": f"${{{consent}}} = '1'",
             "appearance": "table-list" if appearance == "table-list" else "field-list"}]
    for v in section.variables:
        rows.append(_question_row(v, lists, consent, in_grid=True,
                                  appearance="likert" if appearance == "likert" else None))
    rows.append({"type": "end_group", "name": section.name})
    return rows


def xlsform(instrument: Instrument, grid: str = "table-list", default_language: str = "zh") -> dict[str, list[dict]]:
    """The instrument as an XLSForm: ``survey``, ``choices`` and ``settings`` rows.

    Labels, hints and messages are always in both languages; the form opens in
    ``default_language`` and the enumerator can switch.

    Parameters
    ----------
    instrument : Instrument
    grid : {"table-list", "likert"}, default "table-list"
        How a construct's items are shown: as one grid (ODK's ``table-list`` group) or as
        a page of items each with the ``likert`` appearance.
    default_language : {"zh", "en"}, default "zh"

    Returns
    -------
    dict
        Sheet name to a list of rows (dicts from column header to cell text), in the shape
        ``pyxform.xls2xform.convert`` accepts and :func:`write_xlsform` writes.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> form = xlsform(load_instrument(seed_instrument_path("ri_asset")))
    >>> form["settings"][0]["form_id"], form["settings"][0]["default_language"]
    ('ri_asset', '中文 (zh)')
    >>> [r["name"] for r in form["survey"][:5]]
    ['respondent_id', 'start_time', 'end_time', 'deviceid', 'consent']
    >>> ic1 = next(r for r in form["survey"] if r["name"] == "IC1")
    >>> ic1["type"], ic1["required"]
    ('select_one agree5', 'yes')
    """
    if grid not in GRID_APPEARANCES:
        raise ValueError(f"The 'grid' parameter of xlsform must be one of {set(GRID_APPEARANCES)}. "
                         f"Got {grid!r} instead.")
    if default_language not in LANGS:
        raise ValueError(f"The 'default_language' parameter of xlsform must be one of {set(LANGS)}. "
                         f"Got {default_language!r} instead.")
    meta, consent = instrument.metadata, instrument.consent.id
    secs = sections(instrument)
    lists = _Lists(reserved=set())
    taken = set(instrument.columns()) | {s.name for s in secs}

    def free(name: str) -> str:
        # Fields the form adds (device id, notes) must not take a column's name.
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    survey: list[dict] = [
        # A UUID made once on the tablet: unique across interviewers without coordination.
        {"type": "calculate", "name": meta.respondent_id, "calculation": "once(uuid())"},
        {"type": "start", "name": meta.start},
        {"type": "end", "name": meta.end},
        {"type": "deviceid", "name": free("deviceid")},
    ]
    for s in secs:
        if s.kind == "consent":
            survey.append(_question_row(s.variables[0], lists, consent))
            survey.append({"type": "note", "name": free(f"{consent}_declined"),
                           **_text_columns("label", wording.CONSENT_NO_NOTE),
                           "relevant": f"${{{consent}}} = '0'"})
        elif s.kind == "question":
            survey.append(_question_row(s.variables[0], lists, consent))
        else:
            survey += _grid_rows(s, lists, consent, grid)
    survey.append({"type": "note", "name": free("end_note"), **_text_columns("label", wording.END_NOTE),
                   "relevant": f"${{{consent}}} = '1'"})
    settings = [{
        "form_title": instrument.title.get(default_language),
        "form_id": instrument.id,
        "version": instrument.version,
        "default_language": wording.LANG_LABELS[default_language],
    }]
    return {"survey": survey, "choices": lists.rows, "settings": settings}


EXCEL_CELL_LIMIT = 32767  # characters in one cell of an .xlsx workbook (Excel's specification)


def _headers(rows: list[dict], order: tuple[str, ...]) -> list[str]:
    present = {k for r in rows for k in r}
    out = []
    for col in order:
        if col in TRANSLATED:
            out += [f"{col}::{wording.LANG_LABELS[lang]}" for lang in LANGS
                    if f"{col}::{wording.LANG_LABELS[lang]}" in present]
        elif col in present:
            out.append(col)
    return out


def _check_cell_lengths(form: dict[str, list[dict]], instrument: Instrument) -> None:
    """Refuse text longer than an Excel cell holds: openpyxl and Excel would cut it without a word,
    and a form that asks a shortened question is a different instrument."""
    long = [(sheet, k + 2, column, row.get("name", ""), len(text))
            for sheet, rows in form.items() for k, row in enumerate(rows)
            for column, text in row.items() if isinstance(text, str) and len(text) > EXCEL_CELL_LIMIT]
    if long:
        where = "; ".join(f"{sheet} sheet row {r}, column '{col}' (name '{name}'): {n:,} characters"
                          for sheet, r, col, name, n in long[:5])
        more = " ..." if len(long) > 5 else ""
        raise FormError(f"{instrument.source or instrument.id}: {len(long)} text(s) longer than the "
                        f"{EXCEL_CELL_LIMIT:,} characters an Excel cell holds ({where}{more}); "
                        "the XLSForm would cut them. Shorten the text in the instrument, or write the form as "
                        "HTML or PDF (--format html|pdf).")


def xlsform_bytes(instrument: Instrument, grid: str = "table-list", default_language: str = "zh") -> bytes:
    """The XLSForm as the bytes of an ``.xlsx`` workbook, the same bytes for the same instrument.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> xlsform_bytes(inst) == xlsform_bytes(inst)
    True
    """
    from openpyxl import Workbook

    form = xlsform(instrument, grid=grid, default_language=default_language)
    orders = {"survey": SURVEY_COLUMNS, "choices": ("list_name", "name", "label"),
              "settings": ("form_title", "form_id", "version", "default_language")}
    _check_cell_lengths(form, instrument)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, rows in form.items():
        ws = wb.create_sheet(sheet)
        headers = _headers(rows, orders[sheet])
        ws.append(headers)
        for r in rows:
            ws.append([r.get(h, "") or None for h in headers])
    wb.properties.creator = "govstats"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalize_zip(buf.getvalue())


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite an xlsx with fixed file dates and document properties."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>1980-01-01T00:00:00Z",
                                 content)
            fixed = zipfile.ZipInfo(info.filename, date_time=XLSX_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def write_xlsform(instrument: Instrument, path: str | Path, grid: str = "table-list",
                  default_language: str = "zh") -> Path:
    """Write the instrument's XLSForm to ``path`` (an ``.xlsx`` file) and return the path.

    Upload the file to KoboToolbox or ODK Central, or convert it with pyxform
    (``xls2xform form.xlsx form.xml``).
    """
    path = Path(path)
    path.write_bytes(xlsform_bytes(instrument, grid=grid, default_language=default_language))
    return path


def to_xform(instrument: Instrument, validate: bool = False, grid: str = "table-list") -> str:
    """The instrument's XForm (the XML that ODK Collect and Enketo run), made by pyxform.

    Parameters
    ----------
    instrument : Instrument
    validate : bool, default False
        Also run ODK Validate (needs Java); a form it rejects raises pyxform's error.
    grid : {"table-list", "likert"}
        As in :func:`xlsform`.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> xml = to_xform(load_instrument(seed_instrument_path("ri_asset")))
    >>> '<data id="ri_asset" version="1.0.0">' in xml
    True
    """
    from pyxform.xls2xform import convert

    return convert(xlsform(instrument, grid=grid), validate=validate, warnings=[]).xform
