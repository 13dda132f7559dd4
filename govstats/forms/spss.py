"""SPSS (.sav) and Stata (.dta) files of responses, labelled from the instrument.

Variable labels are the question texts and value labels the answer labels, in Chinese or
English; Likert items and other ordered scales get the ordinal measure level (SPSS), a
scale's missing codes become user-missing values (SPSS). Written with pyreadstat.

The formats limit label lengths (SPSS: 255 bytes of UTF-8 for a variable label and 120 for
a value label; Stata: 80 characters for a variable label); a longer label is cut at a character
boundary and ends with "…". Both formats stamp the time of writing into the file header;
it is set to a fixed date (1 January 1970) so that the same data give the same bytes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from govstats.errors import DataError, FormError, RenamedWarning
from govstats.forms.variable_names import valid_names
from govstats.forms.variables import Variable, variables
from govstats.instrument import Instrument

FORMATS = ("sav", "dta")
LANGS = ("zh", "en")
# (unit, size) of the longest label each format holds
LIMITS = {"sav": {"variable": ("bytes", 255), "value": ("bytes", 120)},
          "dta": {"variable": ("chars", 80), "value": ("bytes", 32000)}}
NUMERIC_TYPES = ("single_choice", "integer", "decimal")
ELLIPSIS = "…"
SAV_DATE = (92, b"01 Jan 70", 101, b"00:00:00")
DTA_TIMESTAMP = b"<timestamp>\x1101 Jan 1970 00:00"


def fit_label(text: str, limit: tuple[str, int]) -> str:
    """``text`` cut to fit ``limit`` (``("bytes", n)`` of UTF-8 or ``("chars", n)``), ending with "…" when cut.

    Examples
    --------
    >>> fit_label("社区认同", ("bytes", 12))
    '社区认同'
    >>> fit_label("社区认同", ("bytes", 11))
    '社区…'
    >>> fit_label("社区认同", ("chars", 3))
    '社区…'
    """
    unit, size = limit

    def length(t: str) -> int:
        return len(t.encode("utf-8")) if unit == "bytes" else len(t)

    if length(text) <= size:
        return text
    cut = text
    while cut and length(cut + ELLIPSIS) > size:
        cut = cut[:-1]
    return cut + ELLIPSIS


def _measure(v: Variable) -> str:
    if v.type in ("integer", "decimal"):
        return "scale"
    return "ordinal" if v.ordered else "nominal"


def spss_metadata(instrument: Instrument, lang: str = "zh", format: str = "sav") -> dict:
    """Labels and measure levels for the instrument's columns, as pyreadstat's writers take them.

    Parameters
    ----------
    instrument : Instrument
    lang : {"zh", "en"}, default "zh"
    format : {"sav", "dta"}, default "sav"
        Decides the label length limits.

    Returns
    -------
    dict
        ``column_labels`` (column to label), ``variable_value_labels`` (column to
        {code: label}), ``variable_measure`` (column to ``nominal``, ``ordinal`` or
        ``scale``) and ``missing_ranges`` (column to its missing codes).

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> meta = spss_metadata(load_instrument(seed_instrument_path("ri_asset")), lang="en")
    >>> meta["variable_value_labels"]["IC1"][5.0], meta["variable_measure"]["IC1"]
    ('Strongly agree', 'ordinal')
    >>> meta["variable_measure"]["age"], meta["variable_measure"]["gender"]
    ('scale', 'nominal')
    """
    _check(lang=lang, format=format)
    limits = LIMITS[format]
    labels, values, measure, missing = {}, {}, {}, {}
    for v in variables(instrument):
        labels[v.name] = fit_label(v.label.get(lang), limits["variable"])
        measure[v.name] = _measure(v)
        if v.type == "single_choice":
            values[v.name] = {float(c.code): fit_label(c.label.get(lang), limits["value"])
                              for c in v.choices + v.missing}
        if v.missing and v.type == "single_choice":
            missing[v.name] = [float(c.code) for c in v.missing]
    return {"column_labels": labels, "variable_value_labels": values, "variable_measure": measure,
            "missing_ranges": missing}


def _check(**given) -> None:
    allowed = {"lang": LANGS, "format": FORMATS}
    for name, value in given.items():
        if value not in allowed[name]:
            raise ValueError(f"The {name!r} parameter must be one of {set(allowed[name])}. Got {value!r} instead.")


def _prepare(data: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Numbers as float64 (empty cells NaN), everything else as text; the input is not changed."""
    out = {}
    by_name = {v.name: v for v in variables(instrument)}
    for col in data.columns:
        series = data[col]
        v = by_name.get(col)
        # The respondent id is text (its variable type), exactly as written: as a number
        # "007" would lose its zeros and an 18-digit id its last digits.
        numeric = v is not None and v.type in NUMERIC_TYPES
        if numeric:
            text = series.astype("str").str.strip().where(series.notna())
            text = text.where(text != "")
            values = pd.to_numeric(text, errors="coerce")
            bad = text.notna() & values.isna()
            if bad.any():
                rows = list(series.index[bad][:5])
                # read_responses indexes rows by their line in the file (header = row 1)
                where = "rows of the file" if data.index.name == "row" else "rows"
                raise DataError(
                    f"Column {col!r} must hold numbers but has {int(bad.sum())} other value(s), "
                    f"e.g. {[series[r] for r in rows]} at {where} {rows}; fix them (or run the response "
                    "checks) before exporting."
                )
            out[col] = values.astype("float64")
        elif pd.api.types.is_numeric_dtype(series) and v is None:
            out[col] = series
        elif pd.api.types.is_datetime64_any_dtype(series):
            # times as the field exports write them (ISO 8601 with the offset), not pandas' str()
            out[col] = series.map(lambda t: t.isoformat() if pd.notna(t) else "").astype("str")
        else:
            out[col] = series.astype("str").where(series.notna(), "")
    return pd.DataFrame(out, index=data.index)


def _fix_timestamp(path: Path, format: str) -> None:
    raw = bytearray(path.read_bytes())
    if format == "sav":
        d_at, d, t_at, t = SAV_DATE
        raw[d_at:d_at + len(d)] = d
        raw[t_at:t_at + len(t)] = t
    else:
        at = raw.find(b"<timestamp>")
        if at >= 0 and raw[at + 11] == 17:
            raw[at:at + len(DTA_TIMESTAMP)] = DTA_TIMESTAMP
    path.write_bytes(bytes(raw))


def _rename(frame: pd.DataFrame, meta: dict, format: str, labels: dict) -> tuple[pd.DataFrame, dict, dict]:
    """Columns renamed to valid variable names of the format, each old name kept as the label of
    a column that has none; warns which were renamed. Returns the frame, labels and old -> new."""
    renamed = valid_names(list(frame.columns), format)
    if not renamed:
        return frame, labels, renamed
    limit = LIMITS[format]["variable"]
    labels = dict(labels)
    for old in renamed:
        labels.setdefault(old, fit_label(str(old), limit))
    for key in ("variable_value_labels", "variable_measure", "missing_ranges"):
        meta[key] = {renamed.get(k, k): v for k, v in meta[key].items()}
    shown = ", ".join(f"'{old}' -> '{new}'" for old, new in list(renamed.items())[:10])
    more = f" and {len(renamed) - 10} more" if len(renamed) > 10 else ""
    kind = "SPSS" if format == "sav" else "Stata"
    warnings.warn(f"{len(renamed)} column name(s) are not valid {kind} variable names and were renamed (the old "
                  f"name is kept as the variable label): {shown}{more}.", RenamedWarning, stacklevel=3)
    return frame.rename(columns=renamed), {renamed.get(k, k): v for k, v in labels.items()}, renamed


def write_spss(data: pd.DataFrame, instrument: Instrument, path: str | Path, format: str = "sav",
               lang: str = "zh") -> Path:
    """Write responses to an SPSS ``.sav`` or Stata ``.dta`` file with the instrument's labels.

    Parameters
    ----------
    data : DataFrame
        Responses, one row per respondent; columns named as in the instrument (other
        columns are written unlabelled).
    instrument : Instrument
    path : str or Path
    format : {"sav", "dta"}, default "sav"
    lang : {"zh", "en"}, default "zh"
        Language of the variable and value labels.

    Returns
    -------
    Path

    Warns
    -----
    RenamedWarning
        When a column name is not a valid variable name of the format (too long, a character
        the format does not allow, starting with a digit as in ``1、您的年龄``, a reserved word):
        it is written under the nearest valid name (``v1_您的年龄``), its old name as its label.

    Raises
    ------
    FormError
        When the file cannot be written (naming the file and what the format refused).

    Examples
    --------
    >>> import pyreadstat, tempfile, pathlib
    >>> from govstats import load_instrument, simulate
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "r.sav"
    >>> _ = write_spss(simulate(inst, 20, seed=1).responses, inst, out)
    >>> df, meta = pyreadstat.read_sav(out)
    >>> meta.variable_value_labels["IC1"][1.0], meta.variable_measure["IC1"]
    ('非常不同意', 'ordinal')
    """
    import pyreadstat

    _check(lang=lang, format=format)
    meta = spss_metadata(instrument, lang=lang, format=format)
    frame = _prepare(data, instrument)
    whole = {v.name for v in variables(instrument) if v.type in ("single_choice", "integer")}
    labels = {k: v for k, v in meta["column_labels"].items() if k in set(frame.columns)}
    frame, labels, renamed = _rename(frame, meta, format, labels)
    whole = {renamed.get(c, c) for c in whole}
    present = set(frame.columns)
    whole &= present
    values = {k: v for k, v in meta["variable_value_labels"].items() if k in present}
    path = Path(path)
    file_label = f"{instrument.id} {instrument.version}"
    try:
        if format == "sav":
            pyreadstat.write_sav(
                frame, path, file_label=file_label, column_labels=labels, variable_value_labels=values,
                variable_measure={k: v for k, v in meta["variable_measure"].items() if k in present},
                missing_ranges={k: v for k, v in meta["missing_ranges"].items() if k in present},
                variable_format={c: "F8.0" for c in whole},
            )
        else:
            dta_values = {k: {int(c): lab for c, lab in v.items()} for k, v in values.items()}
            pyreadstat.write_dta(frame, path, file_label=file_label, column_labels=labels,
                                 variable_value_labels=dta_values)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        # pyreadstat's words name its own rule; say which file and which format refused what
        kind = "SPSS .sav" if format == "sav" else "Stata .dta"
        raise FormError(f"{path}: the {kind} file cannot be written: {exc}. Rename or recode the column it "
                        "names, or export the other format (--format sav|dta).") from None
    _fix_timestamp(path, format)
    return path


def export_responses(data: str | Path, instrument: Instrument, path: str | Path, format: str = "sav",
                     lang: str = "zh") -> Path:
    """Read a response file and write it as a labelled SPSS or Stata file (see :func:`write_spss`).

    The file is read as :func:`govstats.read_responses` reads it: CSV (UTF-8, GBK ...), XLSX or
    ``.sav``; headers that are the instrument's question texts (a Wenjuanxing or Kobo export with
    label headers, numbered ``1、...`` or not) are renamed to the item ids, so the variables get
    their value labels; identifiers stay text as written.
    """
    from govstats.data import read_responses

    _check(lang=lang, format=format)
    return write_spss(read_responses(data, instrument), instrument, path, format=format, lang=lang)
