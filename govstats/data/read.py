"""Reading field responses: CSV in any of the encodings field teams produce, XLSX, SPSS .sav.

What reading does, and nothing more (every change is recorded in ``df.attrs["govstats_read"]``):

- decodes text as UTF-8, UTF-8 with BOM, UTF-16 with BOM, or else GB18030 (a superset of
  GBK, what Chinese Excel writes), unless an encoding is given;
- finds the separator (comma, semicolon as in KoboToolbox's CSV, tab, or bar);
- renames KoboToolbox/ODK columns to the instrument's ids: group prefixes (``grp_ic/IC1``,
  ``grp_ic-IC1``) are dropped and question text used as a header is matched to its id;
- turns numbers written as text into numbers, and label text (``"比较同意"``, ``"Agree"``)
  into the code it has on the column's scale, in either language;
- keeps everything else as it is: a cell it cannot map stays as it was written, for
  :func:`~govstats.check_responses` to report with its row and column. No row or column is
  dropped, blank rows included.

The index of the result is the row number in the file, named ``row``: the header is row 1,
so the first respondent is row 2, as a spreadsheet numbers them (for an SPSS file, which
has no header row, case *k* is row *k* + 1, so the numbering is the same).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from govstats.data import spec as sp
from govstats.data import select_multiple
from govstats.data import wenjuanxing as wjx
from govstats.data.cells import MISSING_MARKERS, NUMBER, as_numbers
from govstats.errors import ResponsesError

FORMATS = ("csv", "xlsx", "xls", "sav")
SOURCES = ("auto", "wenjuanxing", "generic")
SEPARATORS = (",", ";", "\t", "|")
_SNIFF = 1 << 16


def read_responses(path, instrument, encoding: str | None = None, source: str = "auto",
                   mapping=None) -> pd.DataFrame:
    """Read a response file exported from the field into a DataFrame, losing nothing.

    Parameters
    ----------
    path : str or Path
        A CSV/TSV text file, an ``.xlsx`` or old ``.xls`` workbook (the first sheet with the
        responses) or an SPSS ``.sav`` file. The format is recognized from the content, not
        the file name.
    instrument : Instrument or str or Path
        The instrument the responses answer: it says which column is which, which codes and
        labels each may hold. A path of an instrument ``.yaml`` file is loaded.
    encoding : str, optional
        The text encoding of a CSV file (e.g. ``"gbk"``). By default UTF-8 (with or without
        BOM), UTF-16 with BOM and GB18030/GBK are recognized.
    source : {"auto", "wenjuanxing", "generic"}, default "auto"
        ``"wenjuanxing"``: a Wenjuanxing (问卷星) export, by option text or by option number
        (:mod:`govstats.data.wenjuanxing`: questions matched by wording, option labels and
        numbers turned into codes, ``(跳过)``/``-3`` into blanks with the reason kept, 所用时间
        into seconds). ``"generic"``: columns named by the instrument's ids or question texts
        (also KoboToolbox/ODK exports). ``"auto"`` recognizes a Wenjuanxing export by its
        metadata columns (序号, 提交答卷时间, 所用时间, 来源, 来自IP).
    mapping : dict or str or Path, optional
        For a Wenjuanxing export, headers mapped by hand: ``{header text: column id}`` (an
        empty id keeps the column unmapped), or a ``.yaml``/``.csv`` file of such pairs
        (CSV columns ``header,column``). It overrides the matching by wording.

    Returns
    -------
    DataFrame
        One row per record of the file, the file's columns (instrument columns renamed to
        their ids), indexed by the row number in the file (``row``; header = row 1).
        ``attrs["govstats_read"]`` records the source, encoding, separator, renamed columns,
        label text mapped to codes, full-width digits read as numbers (``full_width``), and
        problems found while reading (duplicate column names; for a Wenjuanxing export also
        ``export``, ``skipped``, ``similar``, ``unmapped``, cell problems with their ``row``).
        KoboToolbox select_multiple answers split into one 0/1 column per option are merged
        into the question's column (``merged``). Identifier columns are text, exactly as written.

    Raises
    ------
    ResponsesError
        If the file holds no responses to read: empty, binary, undecodable, a single column,
        a header only, or none of the instrument's columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from govstats import load_instrument, read_responses
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "kobo.csv"
    >>> text = "respondent_id;consent;grp_ic/IC1;grp_ic/IC2\\n7;1;比较同意;Strongly agree\\n"
    >>> _ = f.write_bytes(text.encode("gbk"))  # a KoboToolbox export with labels, saved by Excel
    >>> df = read_responses(f, inst)
    >>> df.reset_index().to_dict("records")
    [{'row': 2, 'respondent_id': '7', 'consent': 1, 'IC1': 4, 'IC2': 5}]
    >>> df.attrs["govstats_read"]["encoding"], df.attrs["govstats_read"]["renamed"]
    ('gb18030', {'grp_ic/IC1': 'IC1', 'grp_ic/IC2': 'IC2'})
    """
    instrument = as_instrument(instrument, "read_responses")
    if source not in SOURCES:
        raise ValueError(f"The 'source' parameter of read_responses must be one of {set(SOURCES)}. "
                         f"Got {source!r} instead.")
    mapping = read_mapping(mapping)
    path = Path(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise ValueError(f"The 'encoding' parameter of read_responses must be a text encoding Python knows "
                             f"(e.g. 'utf-8', 'gbk', 'gb18030'). Got {encoding!r} instead.") from None
    if not path.exists():
        raise FileNotFoundError(f"No such response file: {path}")
    if path.is_dir():
        raise ResponsesError(f"{path} is a folder, not a response file.")
    with open(path, "rb") as handle:
        head = handle.read(8)
    info: dict = {"path": str(path), "encoding": None, "separator": None, "sheet": None}
    specs = sp.column_specs(instrument)
    if head.startswith(b"PK\x03\x04"):
        info["format"] = "xlsx"
        table = _split_header(*_read_xlsx(path, info, set(specs)), path)
    elif head.startswith((b"$FL2", b"$FL3")):
        info["format"] = "sav"
        table = _split_header(*_read_sav(path, info), path)
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        info["format"] = "xls"
        table = _split_header(*_read_xls(path, info), path)
    else:
        info["format"] = "csv"
        table = _read_text(path, encoding, info, instrument, specs)
    header = table[0]
    if source == "wenjuanxing" or (source == "auto" and wjx.is_export(header)):
        if not len(table[2]) or _blank_rows(table[2]).all():
            raise ResponsesError(f"{path} has a header but no data rows: there are no responses in it.")
        return wjx.read_export(*table, instrument, specs, info, mapping=mapping)
    return _to_responses(*table, instrument, specs, info)


def read_mapping(mapping) -> dict:
    """Headers mapped by hand (``read_responses(mapping=...)``): a dict, or a .yaml/.csv file of pairs."""
    if mapping is None:
        return {}
    if isinstance(mapping, dict):
        pairs = mapping
    elif isinstance(mapping, (str, Path)) and Path(mapping).is_file():
        path = Path(mapping)
        text = path.read_bytes()
        body, _ = _decode(text, None, path)
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            try:
                pairs = yaml.safe_load(body) or {}
            except yaml.YAMLError as exc:
                raise ResponsesError(f"{path} is not valid YAML: {exc}") from None
            if not isinstance(pairs, dict):
                raise ResponsesError(f"{path} must map each header to a column id (header: id), one a line.")
        else:
            rows = list(csv.reader(io.StringIO(body), delimiter=_separator(body)))
            if rows and [c.strip().lower() for c in rows[0][:2]] == ["header", "column"]:
                rows = rows[1:]
            bad = [k + 1 for k, r in enumerate(rows) if len(r) < 1 or len(r) > 2]
            if bad:
                raise ResponsesError(f"{path}: rows {bad[:5]} are not 'header,column' pairs.")
            pairs = {r[0]: (r[1] if len(r) > 1 else "") for r in rows if r and r[0].strip()}
    elif isinstance(mapping, (str, Path)):
        raise FileNotFoundError(f"No such mapping file: {mapping}")
    else:
        raise ValueError(f"The 'mapping' parameter of read_responses must be a dict {{header: column id}} or the "
                         f"path of a .yaml or .csv file of such pairs. Got {mapping!r} instead.")
    return {str(k).strip(): (str(v).strip() or None) if v is not None else None for k, v in pairs.items()}


def as_instrument(instrument, function: str):
    """An Instrument, or the instrument file a path names, loaded (its problems raised)."""
    from govstats.instrument import Instrument, load_instrument

    if isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, (str, Path)) and str(instrument).lower().endswith((".yaml", ".yml")):
        return load_instrument(instrument)
    raise ValueError(f"The 'instrument' parameter of {function} must be an Instrument (from load_instrument) or "
                     f"the path of an instrument .yaml file. Got {instrument!r} instead.")


def read_table(path, encoding: str | None = None) -> pd.DataFrame:
    """A data file for an analysis without an instrument, values as they are (as lavaan reads a data frame).

    CSV/TSV (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK; the separator found),
    ``.xlsx`` (the first sheet with data) or SPSS ``.sav``, recognized by content, not name.
    Columns of numbers are numbers; other columns are text as written.

    Raises
    ------
    ResponsesError
        If the file cannot be read as any of these (naming the file and what it is).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such data file: {path}")
    with open(path, "rb") as handle:
        head = handle.read(8)
    info: dict = {}
    if head.startswith(b"PK\x03\x04"):
        raw, rows = _read_xlsx(path, info)
        header, _, data, _ = _split_header(raw, rows, path)
        frame = pd.DataFrame(data.to_numpy(), columns=[h or f"unnamed_{k + 1}" for k, h in enumerate(header)])
        return frame.apply(_numbers_if_all)
    if head.startswith((b"$FL2", b"$FL3")):
        import pyreadstat

        try:
            frame, _ = pyreadstat.read_sav(str(path), apply_value_formats=False)
        except Exception as exc:  # pyreadstat raises its own ReadstatError and others
            raise ResponsesError(f"{path} cannot be read as an SPSS .sav file: {exc}") from None
        return frame
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raw, rows = _read_xls(path, info)
        header, _, data, _ = _split_header(raw, rows, path)
        frame = pd.DataFrame(data.to_numpy(), columns=[h or f"unnamed_{k + 1}" for k, h in enumerate(header)])
        return frame.apply(_numbers_if_all)
    text, _ = _decode(path.read_bytes(), encoding, path)
    if not text.strip():
        raise ResponsesError(f"{path} is empty: there is no data in it.")
    sep = _separator(text)
    try:
        with warnings.catch_warnings():
            # index_col=False: else pandas takes a first data row one cell wider than the header as an
            # index column and shifts every column by one; a wider first row is then a ParserWarning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=sep, index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        # rows wider than the header: every cell kept, the extra ones under unnamed_<k> (as from .xlsx)
        raw = _ragged(text, sep)
        header, _, data, _ = _split_header(raw, np.arange(1, len(raw) + 1), path)
        frame = pd.DataFrame(data.to_numpy(), columns=[h or f"unnamed_{k + 1}" for k, h in enumerate(header)])
        return frame.apply(_numbers_if_all)
    except pd.errors.EmptyDataError as exc:
        raise ResponsesError(f"{path} cannot be read as CSV: {exc}") from None


def _numbers_if_all(column: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().sum() == column.notna().sum() else column


# -- raw tables ---------------------------------------------------------------------------

def _decode(data: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    if encoding is not None:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise ResponsesError(f"{path} is not valid {encoding} text (byte {exc.start}: "
                                 f"{data[exc.start:exc.start + 4]!r}); give the file's encoding.") from None
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", data[3:])]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        if b"\x00" in data[:_SNIFF]:
            raise ResponsesError(f"{path} is a binary file, not CSV text; govstats reads CSV/TSV text, "
                                 f".xlsx and SPSS .sav files.")
        candidates = [("utf-8", data), ("gb18030", data)]
    for name, body in candidates:
        try:
            return body.decode("utf-8" if name == "utf-8-sig" else name), name
        except UnicodeDecodeError:
            continue
    raise ResponsesError(f"{path} is neither UTF-8 nor GBK/GB18030 text; give its encoding "
                         f"(read_responses(..., encoding=...) or --encoding).")


def _separator(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {s: unquoted.count(s) for s in SEPARATORS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_text(path: Path, encoding: str | None, info: dict, instrument, specs: dict):
    data = path.read_bytes()
    if not data.strip():
        raise ResponsesError(f"{path} is empty: there are no responses in it.")
    text, info["encoding"] = _decode(data, encoding, path)
    del data
    if not text.strip() or not text.strip("\ufeff\r\n\t ,;|"):
        raise ResponsesError(f"{path} is empty: there are no responses in it.")
    info["separator"] = sep = _separator(text)
    # The header is the first line that is not blank; every blank line before it is a row.
    skipped, at = 0, 0
    while True:
        end = text.find("\n", at)
        line = text[at:] if end < 0 else text[at:end]
        if line.strip(" \t\r\ufeff" + sep):
            break
        skipped, at = skipped + 1, end + 1
    reader = csv.reader(io.StringIO(text[at:], newline=""), delimiter=sep)
    header = [h.strip().removeprefix("\ufeff").strip() for h in next(reader)]
    header_row = skipped + 1
    # Columns the instrument says hold numbers are parsed as numbers by pandas' C parser
    # (a column with any other text in it comes back as text and is converted cell by cell);
    # every other column is read as text, so that ids such as "007" keep their zeros.
    names, _, _ = _match_header(header, instrument, specs, header_row)
    numeric = {sp.ITEM, sp.ATTENTION, sp.CONSENT, "single_choice", "integer", "decimal"}
    dtypes = {k: str for k, name in enumerate(names) if name not in specs or specs[name].kind not in numeric
              or wjx.is_export(header)}  # a Wenjuanxing export's cells are read as written
    try:
        with warnings.catch_warnings():
            # pandas drops the extra cells of a first data row wider than the header, with only a
            # ParserWarning ("loss of data"); a wider later row raises ParserError: both go the ragged way
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text[at:]), sep=sep, header=None, skiprows=reader.line_num,
                                names=list(range(len(header))), dtype=dtypes, keep_default_na=False,
                                na_values=[""], skip_blank_lines=False, engine="c", index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning):  # rows with more cells than the header: keep every cell
        raw = _ragged(text, sep)
        return _split_header(raw, np.arange(1, len(raw) + 1), path)
    except (pd.errors.EmptyDataError, UnicodeError) as exc:
        raise ResponsesError(f"{path} cannot be read as CSV: {exc}") from None
    rows = np.arange(header_row + 1, header_row + 1 + len(frame))
    return header, header_row, frame, rows


def _ragged(text: str, sep: str) -> pd.DataFrame:
    # newline="": a bare carriage return inside a row ends it, as in the C parser, not an error
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    width = max(len(r) for r in records)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=object).replace("", np.nan)


def _read_xlsx(path: Path, info: dict, columns: set | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The sheet that holds the responses: the first whose header has one of ``columns``
    (any sheet with data when no columns are given; the first sheet may be a cover or empty)."""
    import openpyxl

    # A file object, not the path: openpyxl refuses names not ending in .xlsx, and the
    # format was recognized from the content.
    with open(path, "rb") as handle:
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            sheets = []
            for sheet in book.worksheets:
                records = [[_xlsx_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                sheets.append((sheet.title, records))
                header = next((r for r in records if any(v not in (None, "") for v in r)), None)
                if header is not None and (columns is None or columns & {str(v).strip() for v in header if v}):
                    break
            else:
                sheet = None
            book.close()
        except Exception as exc:  # a zip that is no workbook: openpyxl and zipfile raise several types
            raise ResponsesError(f"{path} cannot be read as an Excel workbook (.xlsx): {exc}") from None
    if sheet is None:
        # No sheet has the instrument's columns by name: the first with data (KoboToolbox
        # headers are renamed later), or a clear error naming every sheet.
        filled = [(t, r) for t, r in sheets if any(any(v not in (None, "") for v in row) for row in r)]
        if not filled:
            names = ", ".join(repr(t) for t, _ in sheets)
            raise ResponsesError(f"{path}: every sheet is empty ({names}); there are no responses in it.")
        title, records = filled[0]
    else:
        title, records = sheets[-1]
    info["sheet"] = title
    width = max(len(r) for r in records)
    raw = pd.DataFrame([r + [None] * (width - len(r)) for r in records], dtype=object)
    return raw, np.arange(1, len(raw) + 1)


def _read_xls(path: Path, info: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """An old binary Excel workbook (.xls, as Wenjuanxing exports): its first sheet with data."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError and others on a damaged file
        raise ResponsesError(f"{path} is an old binary Excel (.xls) file that cannot be read: {exc}") from None
    try:
        for sheet in book.sheets():
            if sheet.nrows:
                break
        else:
            raise ResponsesError(f"{path}: every sheet is empty; there are no responses in it.")
        records = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:  # a date stored as a number: its date and time
                    value = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).isoformat(sep=" ")
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    value = None
                else:
                    value = _xlsx_cell(cell.value)
                row.append(value)
            records.append(row)
        info["sheet"] = sheet.name
    finally:
        book.release_resources()
    raw = pd.DataFrame(records, dtype=object)
    return raw, np.arange(1, len(raw) + 1)


def _xlsx_cell(v):
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _read_sav(path: Path, info: dict) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        import pyreadstat

        # user_missing=True: codes the file declares missing (such as 9 "don't know") are kept
        # as codes; the instrument says what they mean.
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise ResponsesError(f"{path} cannot be read as an SPSS .sav file: {exc}") from None
    if frame.shape[1] == 0:
        raise ResponsesError(f"{path} has no variables; there are no responses in it.")
    # The values each variable declares user-missing: analyses read them as blanks
    # (govstats.data.analysis_frame), with the reason kept.
    info["user_missing"] = {str(k): [dict(r) for r in v] for k, v in (meta.missing_ranges or {}).items() if v}
    header = pd.DataFrame([list(frame.columns)], dtype=object)
    body = frame.astype(object).where(frame.notna(), None)
    body.columns = range(frame.shape[1])
    raw = pd.concat([header, body], ignore_index=True)
    return raw, np.arange(1, len(raw) + 1)


# -- from a raw table to responses -------------------------------------------------------

def _blank_rows(raw: pd.DataFrame) -> np.ndarray:
    blank = np.ones(len(raw), dtype=bool)
    # Numeric columns first (cheap); text columns then only on the rows still blank.
    order = sorted(range(raw.shape[1]), key=lambda k: not pd.api.types.is_numeric_dtype(raw.dtypes.iloc[k]))
    for k in order:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        col = raw.iloc[rows, k]
        if pd.api.types.is_numeric_dtype(col.dtype):
            blank[rows] = col.isna().to_numpy()
            continue
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        empty = pd.Series(uniques, dtype=object).astype(str).str.strip().eq("").to_numpy(dtype=bool)
        blank[rows] = np.append(empty, True)[codes]
    return blank


def _split_header(raw: pd.DataFrame, rows: np.ndarray, path) -> tuple:
    """Header, its row, the data and their rows from a table whose first non-blank row is the header."""
    blank = _blank_rows(raw)
    if blank.all():
        raise ResponsesError(f"{path} is empty: there are no responses in it.")
    start = int(np.argmax(~blank))
    header = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().removeprefix("\ufeff")
              for v in raw.iloc[start].tolist()]
    return header, int(rows[start]), raw.iloc[start + 1:], rows[start + 1:]


def _to_responses(header: list, header_row: int, data: pd.DataFrame, data_rows: np.ndarray, instrument,
                  specs: dict, info: dict) -> pd.DataFrame:
    path = info["path"]
    if not len(data) or _blank_rows(data).all():
        raise ResponsesError(f"{path} has a header but no data rows: there are no responses in it.")
    if len(header) < 2:
        raise ResponsesError(f"{path} has a single column ({header[0][:40]!r}); a response file has one column "
                             f"per question, separated by commas, semicolons or tabs.")
    # Trailing columns with neither a name nor a value are separators at line ends, not data.
    width = len(header)
    while width > 1 and header[width - 1] == "" and data.iloc[:, width - 1].isna().all():
        width -= 1
    header, data = header[:width], data.iloc[:, :width]

    names, renamed, problems = _match_header(header, instrument, specs, header_row)
    if not set(names) & set(specs):
        shown = ", ".join(repr(h) for h in header[:6])
        raise ResponsesError(f"{path} has none of the columns of instrument '{instrument.id}' (its header starts "
                             f"{shown}; the instrument's columns start {', '.join(list(specs)[:4])}). Is it "
                             f"the right file, and is it comma-, semicolon- or tab-separated?")
    if info.get("user_missing"):  # recorded under the file's names: under the instrument's from here on
        by_name = dict(zip(header, names))
        info["user_missing"] = {by_name.get(k, k): v for k, v in info["user_missing"].items()}
    # KoboToolbox/ODK select_multiple option columns (grp/Q/1 = 0|1) merged into their question's column
    names, data, merged, split_problems = select_multiple.merge(names, data, specs, header, data_rows, header_row)
    problems += split_problems
    data = data.set_axis(names, axis=1)
    out, labels, digits = {}, {}, {}
    for name in names:
        column = data[name]
        if name in specs:
            normalized: dict = {}
            column, mapped = convert_column(column, specs[name], normalized)
            if mapped:
                labels[name] = mapped
            if normalized:
                digits[name] = normalized
        else:
            column = column.astype("str") if column.dtype == object and not _mixed(column) else column
        out[name] = column.reset_index(drop=True)
    df = pd.DataFrame(out, copy=False)
    df.index = pd.Index(data_rows.astype(np.int64), name="row")
    info.update({"header_row": header_row, "renamed": renamed, "labels": labels, "full_width": digits,
                 "problems": problems, "merged": merged,
                 "instrument": instrument.id})
    df.attrs["govstats_read"] = info
    return df


def _mixed(column: pd.Series) -> bool:
    return column.map(lambda v: v is not None and not isinstance(v, str)).any()


def _match_header(header: list[str], instrument, specs: dict, header_row: int):
    """Instrument ids for the header's names; renames and duplicate names recorded."""
    texts: dict = {}
    for q in list(instrument.items) + list(instrument.questions) + list(instrument.attention_checks):
        for t in (q.text.zh, q.text.en):
            key = sp.normalize_label(t)
            texts[key] = None if key in texts and texts[key] != q.id else q.id  # ambiguous text: no match
    names, renamed, problems, taken = [], {}, [], set()
    exact = set(header)
    for k, h in enumerate(header):
        name = h if h else f"unnamed_{k + 1}"
        target = _header_target(h, specs, texts)
        if target and target != h and target not in exact and target not in taken:
            name = target
        if name in taken:
            first = names.index(name) + 1
            new = f"{name}__{k + 1}"
            problems.append({"row": header_row, "column": name, "rule": "duplicate-column",
                             "message": f"column '{name}' appears again as column {k + 1} (first: column {first}); "
                                        f"the second is kept as '{new}' and not checked"})
            name = new
        if name != h:
            renamed[h if h else f"(column {k + 1}, no name)"] = name
        taken.add(name)
        names.append(name)
    return names, renamed, problems


def _header_target(h: str, specs: dict, texts: dict) -> str | None:
    if h in specs:
        return h
    # Every suffix after a group separator, longest first: grp_a/grp_b/IC1 -> grp_b/IC1 -> IC1.
    # Wenjuanxing also joins a matrix question's stem and row with '—'.
    cuts = [0] + [m.end() for m in re.finditer(r"[/\-—]", h)]
    for c in cuts:
        tail = h[c:]
        if tail in specs:
            return tail
        # a question text as a header, as written or numbered as Wenjuanxing numbers it (1、 Q1. (1))
        hit = texts.get(sp.normalize_label(tail)) or texts.get(sp.normalize_label(QUESTION_NUMBER.sub("", tail)))
        if hit:
            return hit
    return None


QUESTION_NUMBER = re.compile(r"^\s*(?:[QqＱｑ]?\d+\s*[、.．:：)）]|[（(]\d+[)）])\s*")


# -- columns -----------------------------------------------------------------------------

def convert_column(column: pd.Series, spec: sp.ColumnSpec, normalized: dict | None = None) -> tuple[pd.Series, dict]:
    """A column with numbers as numbers and label text as codes; anything else kept as written.

    Returns the column and ``{label text: [code, cells]}`` for the labels mapped. Full-width
    digits read as numbers are added to ``normalized`` as ``{text: [number, cells]}``.
    Identifier columns come back as text exactly as written (``"007"``, 18-digit ids).
    """
    normalized = {} if normalized is None else normalized
    if spec.kind == sp.TIME:
        return _times(column), {}
    if spec.kind in ("text", "date"):
        return column.astype("str") if column.dtype == object and not _mixed(column) else column, {}
    if spec.kind == "multiple_choice":
        return _multiple(column, spec)
    if spec.kind == sp.ID:
        return id_text(column), {}
    numbers = as_numbers(column)
    mapped: dict = {}
    values = numbers.values.copy()
    unresolved = numbers.text.copy()
    if unresolved.any() and spec.labels:
        codes, uniques = pd.factorize(column.where(numbers.text))
        for k, u in enumerate(uniques):
            code = spec.labels.get(sp.normalize_label(str(u)))
            if code is not None:
                hit = codes == k
                values[hit] = code
                unresolved[hit] = False
                mapped[str(u)] = [int(code), int(hit.sum())]
    if unresolved.any():
        # Digits typed with a Chinese input method (full-width "３", "４．５") are the numbers a
        # researcher reads in them: taken as those numbers and recorded, never silently.
        codes, uniques = pd.factorize(column.where(unresolved))
        for k, u in enumerate(uniques):
            text = str(u).strip()
            plain = unicodedata.normalize("NFKC", text).strip()
            if plain != text and re.fullmatch(NUMBER, plain):
                hit = codes == k
                values[hit] = float(plain)
                unresolved[hit] = False
                normalized[text] = [_plain_number(float(plain)), int(hit.sum())]
    if not unresolved.any():
        finite = values[~np.isnan(values)]
        integral = np.all(finite == np.round(finite))
        if integral and (not len(finite) or np.abs(finite).max() < 2**53):
            out = pd.array(np.where(np.isnan(values), 0, values).astype(np.int64), dtype="Int64")
            out[np.isnan(values)] = pd.NA
            return pd.Series(out, index=column.index, name=column.name), mapped
        return pd.Series(pd.array(values, dtype="Float64"), index=column.index, name=column.name), mapped
    # Some cells are text that is no code and no label: keep them as written, numbers as numbers.
    objects = np.asarray(column.astype(object), dtype=object).copy()
    good = ~np.isnan(values)
    objects[good] = [int(v) if v == int(v) else float(v) for v in values[good]]
    objects[numbers.blank] = None
    return pd.Series(objects, index=column.index, name=column.name, dtype=object), mapped


def _plain_number(v: float):
    return int(v) if v.is_integer() else v


def id_text(column: pd.Series) -> pd.Series:
    """Identifiers as text exactly as written; numbers from .xlsx/.sav cells without a ``.0``.

    An id is a label, not a quantity: ``"007"`` keeps its zeros and ``"370200000000000001"``
    all 18 digits (a float keeps 15 or 16), so duplicates are never invented by rounding.
    """
    def text(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()

    if pd.api.types.is_string_dtype(column.dtype) and not _mixed(column):  # text already (CSV): vectorized
        values = column.astype(object).where(column.notna(), None).str.strip()
    else:
        values = column.astype(object).map(text)
    blank = values.isna() | values.isin(list(MISSING_MARKERS))
    return pd.Series(pd.array(values.where(~blank, None).to_numpy(dtype=object), dtype="str"),
                     index=column.index, name=column.name)


def _times(column: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column
    text = column.astype(object)
    present = column.notna() & ~column.astype(str).str.strip().isin(MISSING_MARKERS)
    try:
        parsed = pd.to_datetime(text.where(present), format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # mixed UTC offsets and the like: leave the text for the check
        return column.astype("str") if not _mixed(column) else column
    if not pd.api.types.is_datetime64_any_dtype(parsed.dtype) or (parsed.isna() & present).any():
        return column.astype("str") if not _mixed(column) else column
    return parsed


def _multiple(column: pd.Series, spec: sp.ColumnSpec) -> tuple[pd.Series, dict]:
    """Space-separated codes (as ODK writes them); label text mapped choice by choice."""
    codes, uniques = pd.factorize(column)
    out, mapped = [], {}
    for u in uniques:
        s = str(u).strip()
        whole = spec.labels.get(sp.normalize_label(s))
        if whole is not None:
            out.append(str(whole))
            mapped[s] = [int(whole), 0]
            continue
        parts, ok = [], True
        for token in s.split():
            if re.fullmatch(r"[+-]?\d+", token):
                parts.append(str(int(token)))
            elif sp.normalize_label(token) in spec.labels:
                parts.append(str(spec.labels[sp.normalize_label(token)]))
            else:
                ok = False
                break
        if ok and parts and parts != s.split():
            mapped[s] = [" ".join(parts), 0]
        out.append(" ".join(parts) if ok and parts else u)
    result = np.asarray(out + [None], dtype=object)[codes]
    for s in mapped:
        mapped[s][1] = int((column.astype(object) == s).sum()) or int((column.astype(str).str.strip() == s).sum())
    return pd.Series(pd.array(result, dtype="str"), index=column.index, name=column.name), mapped
