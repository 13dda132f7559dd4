"""One entry point per command: write a form or a schema in the format asked for."""

from __future__ import annotations

from pathlib import Path

from govstats.forms.codebook import write_codebook
from govstats.forms.printable import write_questionnaire
from govstats.forms.table_schema import write_table_schema
from govstats.forms.wenjuanxing import write_wenjuanxing
from govstats.forms.xlsform import write_xlsform
from govstats.instrument import Instrument

FORM_FORMATS = ("xlsform", "wenjuanxing", "html", "pdf")
FORM_LANGS = ("zh", "en", "both")
SCHEMA_FORMATS = ("table-schema", "datapackage", "codebook", "ddi")


def write_form(instrument: Instrument, path: str | Path, format: str = "xlsform", lang: str = "both") -> Path:
    """Write a survey form: an XLSForm (``.xlsx``), Wenjuanxing import text, or the paper questionnaire.

    Parameters
    ----------
    instrument : Instrument
    path : str or Path
    format : {"xlsform", "wenjuanxing", "html", "pdf"}, default "xlsform"
        ``wenjuanxing``: the questionnaire as the text Wenjuanxing's batch import (问卷星
        批量添加题目) turns into the survey, in Chinese
        (:func:`govstats.forms.wenjuanxing.wenjuanxing_text`).
    lang : {"zh", "en", "both"}, default "both"
        For paper, the language(s) printed (``both``: side by side). An XLSForm always
        carries both languages; ``en`` makes English its default language. The Wenjuanxing
        text is Chinese whatever ``lang`` says: it is what respondents read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> out = write_form(inst, pathlib.Path(tempfile.mkdtemp()) / "form.xlsx")
    >>> out.suffix, out.stat().st_size > 5000
    ('.xlsx', True)
    """
    if format not in FORM_FORMATS:
        raise ValueError(f"The 'format' parameter of write_form must be one of {set(FORM_FORMATS)}. "
                         f"Got {format!r} instead.")
    if lang not in FORM_LANGS:
        raise ValueError(f"The 'lang' parameter of write_form must be one of {set(FORM_LANGS)}. "
                         f"Got {lang!r} instead.")
    if format == "xlsform":
        return write_xlsform(instrument, path, default_language="en" if lang == "en" else "zh")
    if format == "wenjuanxing":
        return write_wenjuanxing(instrument, path)
    return write_questionnaire(instrument, path, format=format, lang=lang)


def write_schema(instrument: Instrument, path: str | Path, format: str = "table-schema") -> Path:
    """Write a description of the response file.

    Parameters
    ----------
    instrument : Instrument
    path : str or Path
    format : {"table-schema", "datapackage", "codebook", "ddi"}, default "table-schema"
        Table Schema JSON, a data package descriptor (JSON) that holds it, a codebook
        (HTML when ``path`` ends in ``.html`` or ``.htm``, Markdown otherwise), or the
        codebook as DDI-Codebook 2.5 XML.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> out = write_schema(inst, pathlib.Path(tempfile.mkdtemp()) / "schema.json")
    >>> len(json.loads(out.read_text(encoding="utf-8"))["fields"])
    56
    """
    if format not in SCHEMA_FORMATS:
        raise ValueError(f"The 'format' parameter of write_schema must be one of {set(SCHEMA_FORMATS)}. "
                         f"Got {format!r} instead.")
    if format in ("table-schema", "datapackage"):
        return write_table_schema(instrument, path, package=format == "datapackage")
    if format == "ddi":
        return write_codebook(instrument, path, format="ddi")
    as_html = Path(path).suffix.lower() in (".html", ".htm")
    return write_codebook(instrument, path, format="html" if as_html else "markdown")
