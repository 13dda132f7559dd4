"""Checking responses against their instrument: every problem with its row, and careless respondents flagged.

Schema checks compare each column with what the instrument says it holds (codes, ranges,
types, required answers, skip logic, unique ids); quality checks compute the careless-
responding indices of :mod:`govstats.data.quality` per respondent. Both work column by
column on whole arrays, never row by row, and neither changes the DataFrame they read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.data import quality as ql
from govstats.data import spec as sp
from govstats.data.cells import Numbers, as_numbers, blank_mask
from govstats.data.report import CheckReport
from govstats.data.rules import RULES
from govstats.data.wenjuanxing import IP_COLUMN
from govstats.instrument.versions import version_warnings


def row_numbers(df: pd.DataFrame) -> tuple[np.ndarray, int]:
    """File row of each record and of the header.

    A DataFrame from :func:`read_responses` is indexed by its file rows (``row``); any other
    is numbered as the CSV written from it would be: header row 1, first respondent row 2.
    """
    if df.index.name == "row" and pd.api.types.is_integer_dtype(df.index.dtype):
        header = df.attrs.get("govstats_read", {}).get("header_row", 1)
        return df.index.to_numpy(dtype=np.int64), int(header)
    return np.arange(2, len(df) + 2, dtype=np.int64), 1


class _Problems:
    """Problems collected as arrays, one part per (rule, column), assembled once at the end."""

    def __init__(self, rows: np.ndarray, header_row: int):
        self.rows, self.header_row = rows, header_row
        self.parts: list[tuple[str, str | None, np.ndarray | None, object]] = []

    def header(self, rule: str, column: str | None, message: str) -> None:
        self.parts.append((rule, column, None, message))

    def cells(self, rule: str, column: str | None, positions: np.ndarray, messages) -> None:
        if len(positions):
            self.parts.append((rule, column, np.asarray(positions, dtype=np.int64), messages))

    def frame(self, ids, order: dict) -> pd.DataFrame:
        if not self.parts:
            return _empty_problems(ids)
        sizes = np.array([1 if positions is None else len(positions) for _, _, positions, _ in self.parts])
        part = np.repeat(np.arange(len(self.parts)), sizes)
        pos = np.concatenate([np.full(1, -1, dtype=np.int64) if positions is None else positions
                              for _, _, positions, _ in self.parts])
        header = pos < 0
        row = np.where(header, self.header_row, self.rows[np.maximum(pos, 0)] if len(self.rows) else 0)
        colpos = np.array([order.get(column, -1) for _, column, _, _ in self.parts])[part]
        sort = np.lexsort((colpos, ~header, row))
        # Messages in collection order (one text for a whole part, or one per cell), then sorted.
        message = np.empty(len(part), dtype=object)
        start = 0
        for (_, _, _, messages), size in zip(self.parts, sizes):
            message[start:start + size] = messages if isinstance(messages, str) else np.asarray(messages, dtype=object)
            start += size
        part, pos, header, message = part[sort], pos[sort], header[sort], message[sort]
        rules = np.array([rule for rule, _, _, _ in self.parts], dtype=object)
        columns = np.array([column for _, column, _, _ in self.parts], dtype=object)
        kinds = np.array([RULES[rule][0] for rule, _, _, _ in self.parts], dtype=object)
        rid = ids.take(np.where(header, -1, pos), allow_fill=True) if ids is not None else \
            pd.array([pd.NA] * len(sort), dtype="Int64")
        return pd.DataFrame({
            "row": row[sort],
            "respondent_id": rid,
            "column": pd.array(columns[part], dtype="str"),
            "rule": pd.array(rules[part], dtype="str"),
            "kind": pd.array(kinds[part], dtype="str"),
            "message": pd.array(message, dtype="str"),
        })


def _empty_problems(ids) -> pd.DataFrame:
    return pd.DataFrame({"row": np.array([], dtype=np.int64),
                         # a slice, not take([], allow_fill=True): pyarrow-backed strings have no null-typed take
                         "respondent_id": ids[:0] if ids is not None else pd.array([], "Int64"),
                         **{c: pd.array([], dtype="str") for c in ("column", "rule", "kind", "message")}})


def in_codes(x: np.ndarray, codes) -> np.ndarray:
    """``np.isin(x, codes)`` for a handful of codes, several times faster on millions of cells."""
    if len(codes) > 16:
        return np.isin(x, codes)
    out = np.zeros(len(x), dtype=bool)
    for c in codes:
        out |= x == c
    return out


def _show(v) -> str:
    if isinstance(v, np.float32):
        return np.format_float_positional(v, trim="-")
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return str(int(v)) if v.is_integer() else str(v)
    return str(v).strip()


def _per_value(values: np.ndarray, template) -> np.ndarray:
    """``template(value)`` for each value, computed once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    texts = np.asarray([template(u) for u in uniques] + [""], dtype=object)
    return texts[codes]


def check_responses(instrument, df: pd.DataFrame, *, thresholds: dict | None = None) -> CheckReport:
    """Every problem in a set of responses, with its row, and the respondents who look careless.

    Parameters
    ----------
    instrument : Instrument
    df : DataFrame
        Responses, as :func:`read_responses` returns them (or any DataFrame with the
        instrument's columns: numbers, numbers as text and label text are all understood).
        It is not modified.
    thresholds : dict, optional
        Overrides of :data:`govstats.data.quality.THRESHOLDS` (documented there):
        ``longstring_share``, ``straight_block_share``, ``irv_share``, ``mahalanobis_alpha``,
        ``speed_ratio``, ``max_missing_share``.

    Returns
    -------
    CheckReport
        ``problems`` (one row per problem: ``row`` in the file with the header as row 1,
        ``respondent_id``, ``column``, ``rule``, ``kind`` schema or quality, ``message``),
        ``flags`` (one row per respondent: the indices and which flags they raise),
        ``summary`` (counts per rule), ``text()``, ``to_json()``.

    Examples
    --------
    >>> from govstats import load_instrument, simulate, check_responses
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> df = simulate(inst, 300, seed=1, careless=0.1).responses
    >>> df.loc[4, "IC2"] = 7
    >>> report = check_responses(inst, df)
    >>> report.problems.loc[report.problems.rule == "code-out-of-range", ["row", "respondent_id", "column", "message"]]
       row  respondent_id column                                message
    0    6              5    IC2  7 is not a code of agree5 (codes 1-5)
    >>> report.flags.loc[4, ["row", "respondent_id", "flagged"]].to_dict()
    {'row': 6, 'respondent_id': 5, 'flagged': False}

    Every careless respondent the simulation planted is flagged, and one careful one:

    >>> planted = set(simulate(inst, 300, seed=1, careless=0.1).truth.rows["respondent_id"])
    >>> flagged = set(report.flagged["respondent_id"])
    >>> len(planted), len(planted & flagged), len(flagged - planted)
    (32, 32, 1)
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"The 'df' parameter of check_responses must be a pandas DataFrame. "
                         f"Got {type(df).__name__} instead.")
    version_warnings(instrument, df, "The responses checked")
    th = ql.check_thresholds(thresholds)
    specs = sp.column_specs(instrument)
    rows, header_row = row_numbers(df)
    problems = _Problems(rows, header_row)
    read = df.attrs.get("govstats_read", {}) or {}
    position = {int(r): k for k, r in enumerate(rows)}
    for p in read.get("problems", []):
        # problems found while reading: in the header, or in one cell (a row of the file)
        at = position.get(int(p["row"])) if p.get("row") is not None and p["row"] != header_row else None
        if at is None:
            problems.header(p["rule"], p["column"], p["message"])
        else:
            problems.cells(p["rule"], p["column"], np.array([at]), [p["message"]])

    columns = [str(c) for c in df.columns]
    seen: set = set()
    for k, c in enumerate(columns):
        if c in seen and not any(p.get("column") == c for p in read.get("problems", [])):
            problems.header("duplicate-column", c, f"column '{c}' appears more than once (again as column {k + 1}); "
                                                   f"only the first is checked")
        seen.add(c)
    first = {}
    for k, c in enumerate(columns):
        first.setdefault(c, k)
    data = {c: df.iloc[:, k] for c, k in first.items()}
    software = [c for c in first if c not in specs and sp.is_software_column(c)]
    for c in first:
        if c not in specs and c not in software:
            problems.header("unexpected-column", c, f"column '{c}' is not a column of instrument '{instrument.id}'")
    for name in specs:
        if name not in data:
            problems.header("missing-column", name,
                            f"column '{name}' of instrument '{instrument.id}' is not in the data")

    n = len(df)
    # Codes are small integers, exact in float32; numeric questions keep float64 for their messages,
    # and so does any coded column that is not integer: 3.0000000001 is 3.0 in float32, no code.
    numbers = {name: as_numbers(data[name], "float32" if s.kind in sp.CODED_KINDS
                                and pd.api.types.is_integer_dtype(data[name].dtype) else "float64")
               for name, s in specs.items()
               if name in data and s.kind not in (sp.TIME, "text", "date", "multiple_choice")}
    blank = {c: (numbers[c].blank if c in numbers else blank_mask(data[c])) for c in first}
    empty = np.ones(n, dtype=bool)
    for c in first:
        empty &= blank[c]
    problems.cells("empty-row", None, np.flatnonzero(empty), "the row has no value in any column")

    meta = instrument.metadata
    consent_id = instrument.consent.id
    if consent_id in numbers:
        consent_yes = numbers[consent_id].values == sp.CONSENT_YES
        _check_consent(problems, data, numbers[consent_id], specs, blank, empty)
    else:
        consent_yes = np.ones(n, dtype=bool)
    active = ~empty & consent_yes

    ids = None
    if meta.respondent_id in data:
        ids = data[meta.respondent_id].array
        _check_ids(problems, data[meta.respondent_id], blank[meta.respondent_id], empty, df, rows)

    for name, spec in specs.items():
        if name not in data or spec.kind in (sp.ID, sp.CONSENT, sp.TIME):
            continue
        column = data[name]
        if spec.kind in sp.CODED_KINDS:
            _check_codes(problems, column, numbers[name], spec, empty, read.get("user_missing", {}).get(name, ()))
        elif spec.kind == "multiple_choice":
            _check_multiple(problems, column, blank[name], spec, empty)
        elif spec.kind in ("integer", "decimal"):
            _check_number(problems, column, numbers[name], spec, empty)
        elif spec.kind == "date":
            _check_dates(problems, column, blank[name], empty, name)
        asked = _asked(spec, numbers, n)
        if spec.required:
            problems.cells("required-missing", name, np.flatnonzero(blank[name] & active & asked),
                           "a required answer is blank")
        if spec.ask_if is not None:
            ctrl = numbers.get(spec.ask_if.question)
            if ctrl is not None:
                not_asked = ~np.isnan(ctrl.values) & ~asked & ~blank[name] & ~empty
                pos = np.flatnonzero(not_asked)
                q = spec.ask_if.question
                codes = ", ".join(map(str, spec.ask_if.codes))
                problems.cells("not-asked", name, pos, _per_value(
                    ctrl.values[pos], lambda v: f"answered, but the question is asked only when {q} is one of "
                                                f"{codes} (here {q} is {_show(v)})"))

    duration = _durations(problems, data, blank, meta, empty)
    flags = _quality(problems, instrument, specs, data, numbers, blank, duration, active, empty, consent_yes,
                     rows, th)
    flags.insert(1, "respondent_id", ids if ids is not None else pd.array([pd.NA] * n, dtype="Int64"))
    flags.index = df.index

    order = {c: k for k, c in enumerate(columns)}
    for k, name in enumerate(specs):
        order.setdefault(name, len(columns) + k)
    table = problems.frame(ids, order)
    notes = _notes(read, software, n)
    limits = flags.attrs.pop("limits", {})
    return CheckReport(problems=table, flags=flags, instrument=f"{instrument.id} {instrument.version}",
                       n_rows=n, thresholds=th, source=read, notes=notes, limits=limits)


def _notes(read: dict, software: list, n: int) -> list[str]:
    notes = []
    if read:
        what = f"read {read.get('path')} ({read.get('format')}"
        if read.get("encoding"):
            what += f", {read['encoding']}"
        if read.get("separator"):
            what += f", separator {read['separator']!r}"
        if read.get("sheet"):
            what += f", sheet {read['sheet']!r}"
        notes.append(what + f"); header in row {read.get('header_row', 1)}, {n} data rows")
        if read.get("renamed"):
            pairs = list(read["renamed"].items())
            shown = ", ".join(f"{a} -> {b}" for a, b in pairs[:6]) + (" ..." if len(pairs) > 6 else "")
            notes.append(f"{len(pairs)} columns renamed to the instrument's ids: {shown}")
        for column, mapped in (read.get("labels") or {}).items():
            shown = ", ".join(f"{label!r} -> {code} ({count})" for label, (code, count) in list(mapped.items())[:5])
            notes.append(f"label text mapped to codes in {column}: {shown}")
        for column, mapped in (read.get("full_width") or {}).items():
            shown = ", ".join(f"{text!r} -> {v} ({count})" for text, (v, count) in list(mapped.items())[:5])
            notes.append(f"full-width digits read as numbers in {column}: {shown}")
    if read.get("source") == "wenjuanxing":
        notes.append(f"a Wenjuanxing export by option {read.get('export')} "
                     f"({'选项文本' if read.get('export') == 'text' else '选项序号'})")
        for item in read.get("similar") or []:
            notes.append(f"matched by similar wording (score {item['score']}): '{item['column'][:40]}' -> "
                         f"{item['target']}; give read_responses(mapping=...) or --mapping if this is wrong")
        skipped = read.get("skipped") or {}
        if skipped:
            cells = sum(sum(v.values()) for v in skipped.values())
            shown = ", ".join(f"{c} ({sum(v.values())})" for c, v in list(skipped.items())[:6])
            notes.append(f"{cells} skipped answers ((跳过), -3) read as blank: {shown}"
                         + (" ..." if len(skipped) > 6 else ""))
        if read.get("unmapped"):
            shown = ", ".join(repr(str(h)[:30]) for h in read["unmapped"][:5])
            notes.append(f"{len(read['unmapped'])} columns of the export match no question of the instrument and "
                         f"are kept as they are: {shown}" + (" ..." if len(read["unmapped"]) > 5 else ""))
    for column, columns in (read.get("merged") or {}).items():
        notes.append(f"select_multiple {column} merged from its {len(columns)} option columns")
    if software:
        notes.append(f"survey-software columns kept, not checked: {', '.join(software[:8])}"
                     + (" ..." if len(software) > 8 else ""))
    return notes


def _asked(spec: sp.ColumnSpec, numbers: dict, n: int) -> np.ndarray:
    if spec.ask_if is None or spec.ask_if.question not in numbers:
        return np.ones(n, dtype=bool)
    return in_codes(numbers[spec.ask_if.question].values, spec.ask_if.codes)


def _check_consent(problems, data, consent: Numbers, specs, blank, empty) -> None:
    bad = np.flatnonzero(~empty & (consent.values != sp.CONSENT_YES))
    if not len(bad):
        return
    answered = np.zeros(len(consent.values), dtype=np.int32)
    for name, spec in specs.items():
        if name in data and spec.kind not in (sp.ID, sp.TIME, sp.CONSENT):
            answered += ~blank[name]
    name = next(n for n, s in specs.items() if s.kind == sp.CONSENT)
    shown = data[name].iloc[bad].astype(object).tolist()
    messages = []
    for value, v, a, text in zip(consent.values[bad], shown, answered[bad], consent.text[bad]):
        if value == sp.CONSENT_NO:
            what = "consent declined (0)"
        elif np.isnan(value) and not text:
            what = "consent is blank"
        else:
            what = f"consent is {_show(v)!r}, not 1 (yes)"
        messages.append(what + (f", yet {a} questions are answered" if a else ""))
    problems.cells("no-consent", name, bad, np.asarray(messages, dtype=object))


SAME, DIFFERENT = "identical answers: a repeated submission", "with different answers"


def _check_ids(problems, column: pd.Series, blank: np.ndarray, empty: np.ndarray, df, rows) -> None:
    name = str(column.name)
    problems.cells("missing-id", name, np.flatnonzero(blank & ~empty), "the respondent id is blank")
    keyed = ~blank
    dup = np.zeros(len(column), dtype=bool)
    dup[keyed] = column[keyed].duplicated(keep=False).to_numpy()
    pos = np.flatnonzero(dup)
    if not len(pos):
        return
    # Same answers everywhere (a resubmission) or different people under one id: say which.
    others = df.drop(columns=[c for c in df.columns if c == name]).iloc[pos]
    hashes = pd.util.hash_pandas_object(others, index=False).to_numpy()
    groups = pd.Series(pos).groupby(column.iloc[pos].astype(object).to_numpy(), sort=False)
    messages = np.empty(len(pos), dtype=object)
    where = {p: k for k, p in enumerate(pos)}
    for value, members in groups:
        members = members.to_numpy()
        for p in members:
            rest = [q for q in members if q != p]
            same = all(hashes[where[q]] == hashes[where[p]] for q in rest)
            rows_text = ", ".join(str(rows[q]) for q in rest[:5]) + (" ..." if len(rest) > 5 else "")
            messages[where[p]] = (f"respondent id {_show(value)} is also on row{'s' if len(rest) > 1 else ''} "
                                  f"{rows_text} ({SAME if same else DIFFERENT})")
    problems.cells("duplicate-id", name, pos, messages)


def _check_codes(problems, column: pd.Series, num: Numbers, spec: sp.ColumnSpec, empty, declared=()) -> None:
    """Text and numbers that are no code of the column's scale. ``declared``: ranges the .sav file
    declares user-missing (``{"lo", "hi"}``): no answer, as the scale's missing codes, not a problem."""
    desc = spec.describe_codes()
    pos = np.flatnonzero(num.text & ~empty)
    if len(pos):
        text = column.iloc[pos].astype(str).to_numpy(dtype=object)
        known = np.asarray([sp.normalize_label(t) in spec.labels for t in _unique_map(text)], dtype=bool)
        codes, uniques = pd.factorize(pd.Series(text, dtype=object))
        is_label = known[codes]
        label_msg = _per_value(text[is_label], lambda t: f"'{t}' is the label of code "
                               f"{spec.labels[sp.normalize_label(t)]} of {desc}: label text where a code belongs; "
                               f"read the file with read_responses to map labels to codes")
        problems.cells("label-not-code", spec.name, pos[is_label], label_msg)
        problems.cells("unknown-label", spec.name, pos[~is_label],
                       _per_value(text[~is_label], lambda t: f"'{t}' is neither a code nor a label of {desc}"))
    valid = in_codes(num.values, spec.valid_codes)
    for r in declared:
        if isinstance(r.get("lo"), (int, float)) and isinstance(r.get("hi"), (int, float)):  # not text ranges
            valid |= (num.values >= r["lo"]) & (num.values <= r["hi"])
    pos = np.flatnonzero(~num.blank & ~num.text & ~valid & ~empty)
    # The cells as written (not their float32 numbers) for the messages: 3.7 stays 3.7.
    problems.cells("code-out-of-range", spec.name, pos, _per_value(
        column.iloc[pos].astype(object).to_numpy(), lambda v: f"{_show(v)} is not a code of {desc}"))


def _unique_map(text: np.ndarray) -> list:
    _, uniques = pd.factorize(pd.Series(text, dtype=object))
    return list(uniques)


def _check_multiple(problems, column: pd.Series, blank, spec: sp.ColumnSpec, empty) -> None:
    pos = np.flatnonzero(~blank & ~empty)
    if not len(pos):
        return
    values = column.iloc[pos].astype(object).to_numpy()
    desc = spec.describe_codes()
    verdicts = {}
    for u in pd.unique(pd.Series(values, dtype=object)):
        rule, message = None, None
        for token in _show(u).split():
            try:
                code = float(token)
            except ValueError:
                code = None
            if code is None:
                if sp.normalize_label(token) in spec.labels:
                    rule, message = "label-not-code", (f"'{token}' is the label of code "
                                                       f"{spec.labels[sp.normalize_label(token)]} of {desc}: label "
                                                       f"text where a code belongs; read the file with read_responses")
                else:
                    rule = "unknown-label"
                    message = f"'{token}' in '{_show(u)}' is neither a code nor a label of {desc}"
                break
            if code not in spec.codes:
                rule, message = "code-out-of-range", f"{_show(code)} in '{_show(u)}' is not a code of {desc}"
                break
        verdicts[u] = (rule, message)
    verdict = [verdicts[v] for v in values.tolist()]
    for rule in ("label-not-code", "unknown-label", "code-out-of-range"):
        hit = np.asarray([r == rule for r, _ in verdict], dtype=bool)
        problems.cells(rule, spec.name, pos[hit], np.asarray([m for r, m in verdict if r == rule], dtype=object))


def _check_number(problems, column: pd.Series, num: Numbers, spec: sp.ColumnSpec, empty) -> None:
    pos = np.flatnonzero(num.text & ~empty)
    if len(pos):
        text = column.iloc[pos].astype(str).to_numpy(dtype=object)
        problems.cells("wrong-type", spec.name, pos, _per_value(text, lambda t: f"'{t}' is not a number"))
    x = num.values
    if spec.kind == "integer":
        pos = np.flatnonzero(~np.isnan(x) & (x != np.round(x)) & ~empty)
        problems.cells("wrong-type", spec.name, pos, _per_value(x[pos], lambda v: f"{v} is not a whole number"))
    lo = -np.inf if spec.min is None else spec.min
    hi = np.inf if spec.max is None else spec.max
    pos = np.flatnonzero(((x < lo) | (x > hi)) & ~empty)
    bounds = f"{_show(float(lo))} to {_show(float(hi))}".replace("-inf to ", "at most ").replace(" to inf", " or more")
    problems.cells("value-out-of-range", spec.name, pos,
                   _per_value(x[pos], lambda v: f"{_show(v)} is outside the allowed range ({bounds})"))


def _parse_times(column: pd.Series, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the epoch (NaN where blank or unreadable) and the unreadable cells."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        parsed = column
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            parsed = column.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        text = column.astype(object).where(~blank)
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        except (ValueError, TypeError):
            parsed = pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns, UTC]")
        retry = parsed.isna().to_numpy() & ~blank
        if retry.any():  # other layouts ("2026/5/13 12:58") cell by cell, only where ISO 8601 failed
            again = pd.to_datetime(text[retry], format="mixed", utc=True, errors="coerce")
            parsed = parsed.copy()
            parsed[retry] = again
        parsed = parsed.dt.tz_localize(None)
    ns = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    seconds = np.where(parsed.isna().to_numpy(), np.nan, ns / 1e9)
    return seconds, np.isnan(seconds) & ~blank


def _check_dates(problems, column, blank, empty, name) -> None:
    _, bad = _parse_times(column, blank)
    pos = np.flatnonzero(bad & ~empty)
    problems.cells("wrong-type", name, pos, _per_value(column.iloc[pos].astype(str).to_numpy(dtype=object),
                                                       lambda t: f"'{t}' is not a date"))


def _durations(problems, data, blank, meta, empty) -> np.ndarray:
    n = len(empty)
    times = {}
    for name in (meta.start, meta.end):
        if name in data:
            seconds, bad = _parse_times(data[name], blank[name])
            pos = np.flatnonzero(bad & ~empty)
            problems.cells("wrong-type", name, pos, _per_value(data[name].iloc[pos].astype(str).to_numpy(dtype=object),
                                                               lambda t: f"'{t}' is not a date and time"))
            times[name] = seconds
    if len(times) < 2:
        return np.full(n, np.nan)
    duration = times[meta.end] - times[meta.start]
    pos = np.flatnonzero(duration < 0)
    problems.cells("end-before-start", meta.end, pos,
                   _per_value(-duration[pos], lambda s: f"the end time is {_show(float(s))} s before the start time"))
    return duration


def _duplicate_ips(problems, data, active, rows) -> np.ndarray:
    """Respondents who answered from the same IP address as another (a platform export's ``_ip``).

    Several submissions from one address may be one person answering twice; they may also be
    neighbours on one community Wi-Fi or mobile network: flagged for a look, not proof.
    """
    n = len(active)
    if IP_COLUMN not in data:
        return np.zeros(n, dtype=bool)
    ip = data[IP_COLUMN].astype(object).where(data[IP_COLUMN].notna(), None).to_numpy()
    known = active & np.asarray([v is not None and str(v).strip() != "" for v in ip], dtype=bool)
    keys = pd.Series(ip, dtype=object)
    dup = np.zeros(n, dtype=bool)
    dup[known] = keys[known].duplicated(keep=False).to_numpy()
    pos = np.flatnonzero(dup)
    if len(pos):
        groups = pd.Series(pos).groupby(keys.iloc[pos].to_numpy(), sort=False)
        messages = np.empty(len(pos), dtype=object)
        where = {p: k for k, p in enumerate(pos)}
        for value, members in groups:
            members = members.to_numpy()
            for p in members:
                rest = [str(rows[q]) for q in members if q != p]
                shown = ", ".join(rest[:5]) + (" ..." if len(rest) > 5 else "")
                messages[where[p]] = (f"IP address {value} also submitted row{'s' if len(rest) > 1 else ''} {shown} "
                                      f"(one person twice, or one shared network)")
        problems.cells("duplicate-ip", IP_COLUMN, pos, messages)
    return dup


def _quality(problems, instrument, specs, data, numbers, blank, duration, active, empty, consent_yes, rows,
             th) -> pd.DataFrame:
    n = len(active)
    item_cols = [name for name, s in specs.items() if s.kind == sp.ITEM and name in numbers]
    ordered = [name for name in item_cols if specs[name].ordered]
    k = len(item_cols)
    # Column-major: the indices walk the items column by column.
    X = np.empty((n, len(ordered)), dtype=np.float32, order="F")
    answered = np.zeros(n, dtype=np.int32)
    for name in item_cols:
        x = numbers[name].values
        ok = in_codes(x, specs[name].codes) & active  # missing codes and non-codes: no answer
        answered += ok
        if name in ordered:
            X[:, ordered.index(name)] = np.where(ok, x, np.nan)
    missing_share = np.where(active, 1 - answered / max(k, 1), np.nan)

    blocks = [np.asarray([j for j, name in enumerate(ordered) if specs[name].construct == c.id])
              for c in instrument.constructs]
    blocks = [b for b in blocks if len(b)]
    ls, run_start = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
    straight, usable = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
    variability = np.empty(n)
    for a, b in ql._chunks(n):
        Xc = X[a:b]
        ls[a:b], run_start[a:b] = ql.longstring(Xc, return_start=True)
        straight[a:b], usable[a:b] = ql.straight_blocks(Xc, blocks)
        variability[a:b] = ql.irv(Xc)
    ranges = [max(specs[name].codes) - min(specs[name].codes) for name in ordered]
    lim = ql.limits(th, len(ordered), [len(b) for b in blocks], ranges)
    irv_limit, run_limit = lim.irv, lim.run

    f_long = active & ((ls >= run_limit) | ((usable >= lim.straight_blocks)
                                            & (straight >= th["straight_block_share"] * usable)))
    f_irv = active & (variability < irv_limit - 1e-9)  # an IRV of exactly the limit is not below it
    d2, dof, p = ql.mahalanobis(X, use=active & (answered > 0), alpha=th["mahalanobis_alpha"], exclude=f_long)
    f_mahal = active & (p < th["mahalanobis_alpha"])
    f_missing = active & (missing_share > th["max_missing_share"] + 1e-12)

    failed = np.zeros(n, dtype=np.int32)
    for a in instrument.attention_checks:
        if a.id not in numbers:
            continue
        x = numbers[a.id].values
        num = numbers[a.id]
        wrong = active & ~num.blank & (num.text | (x != a.correct))
        failed += wrong
        pos = np.flatnonzero(wrong)
        shown = data[a.id].iloc[pos].astype(object).tolist()
        correct = f"{a.correct} ({a.scale.label_of(a.correct, 'en')})"
        problems.cells("attention-check", a.id, pos, _per_value(
            np.asarray(shown, dtype=object), lambda v: f"answered {_show(v)} where the instructed answer is {correct}"))
    f_attention = failed > 0

    valid = active & (duration >= 0)
    median = float(np.median(duration[valid])) if valid.any() else np.nan
    f_speed = valid & (duration < th["speed_ratio"] * median)

    # Messages from Python lists (zip over .tolist() is 3x faster than indexing arrays).
    names = np.asarray(ordered or [""], dtype=object)
    pos = np.flatnonzero(f_long)
    problems.cells("long-string", None, pos, [
        f"{a} identical answers in a row from {b} (of {len(ordered)} items; flagged from {run_limit}); "
        f"{c} of {d} Likert blocks straight-lined"
        for a, b, c, d in zip(ls[pos].tolist(), names[run_start[pos]].tolist(), straight[pos].tolist(),
                              usable[pos].tolist())])
    pos = np.flatnonzero(f_irv)
    scaled = "" if len(ordered) >= ql.REFERENCE_ITEMS else f", scaled for {len(ordered)} items"
    limit = f"below {irv_limit:.2f} ({th['irv_share']:g} of the scale range{scaled})"
    problems.cells("low-irv", None, pos, [f"IRV {v:.2f}, {limit}" for v in variability[pos].tolist()])
    pos = np.flatnonzero(f_mahal)
    alpha = f"{th['mahalanobis_alpha']:g}"
    problems.cells("mahalanobis", None, pos, [
        f"Mahalanobis D² {a:.1f} on {b:.0f} items, p = {c:.2g} < {alpha}"
        for a, b, c in zip(d2[pos].tolist(), dof[pos].tolist(), p[pos].tolist())])
    pos = np.flatnonzero(f_speed)
    under = f"under {th['speed_ratio']:g} x the median {median:.0f} s"
    problems.cells("speeder", instrument.metadata.end, pos,
                   [f"took {v:.0f} s, {under}" for v in duration[pos].tolist()])
    pos = np.flatnonzero(f_missing)
    most = f"more than {th['max_missing_share']:.0%}"
    problems.cells("too-much-missing", None, pos, [
        f"{k - a} of {k} items without an answer ({b:.0%}, {most})"
        for a, b in zip(answered[pos].tolist(), missing_share[pos].tolist())])

    f_ip = _duplicate_ips(problems, data, active, rows)

    no_consent = ~empty & ~consent_yes
    flags = {"long_string": f_long, "low_irv": f_irv, "mahalanobis": f_mahal, "attention_check": f_attention,
             "speeder": f_speed, "too_much_missing": f_missing, "duplicate_ip": f_ip, "no_consent": no_consent,
             "empty_row": empty}
    reasons = np.full(n, "", dtype=object)
    for key, mask in flags.items():
        label = key.replace("_", "-")
        reasons[mask] = np.where(reasons[mask] == "", label, reasons[mask] + "; " + label)
    flagged = np.zeros(n, dtype=bool)
    for mask in flags.values():
        flagged |= mask
    nan_inactive = lambda v: np.where(active, v, np.nan)  # noqa: E731
    table = {
        "row": rows,
        "items_answered": np.where(active, answered, 0),
        "missing_share": missing_share,
        "longstring": nan_inactive(ls),
        "straight_blocks": nan_inactive(straight),
        "irv": nan_inactive(variability),
        "mahalanobis_d2": d2,
        "mahalanobis_df": np.where(np.isnan(d2), np.nan, dof),
        "mahalanobis_p": p,
        "attention_failed": failed,
        "duration_s": duration,
        **{f"flag_{key}": mask for key, mask in flags.items()},
        "flagged": flagged,
        "reasons": pd.array(reasons, dtype="str"),
    }
    out = pd.DataFrame(table)
    out.attrs["limits"] = {"run": lim.run, "of_items": len(ordered), "irv": lim.irv,
                           "straight_blocks_from": lim.straight_blocks}
    return out

