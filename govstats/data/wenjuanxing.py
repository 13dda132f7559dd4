"""Wenjuanxing (问卷星) exports read onto an instrument: both the text and the number export.

Wenjuanxing exports a survey's answers twice, in the same layout (``.xls``/``.xlsx``, or
CSV in GBK/GB18030), as the published exports show (e.g. those shipped with
gasongjian/reportgen):

- metadata columns, found by name since their order varies: 序号, 提交答卷时间
  (``2016/12/17 14:22:55``), 所用时间 (``136秒``, ``2分3秒``, ``1:23``), 来源, 来源详情,
  来自IP (``183.192.16.69(上海-上海)``), sometimes 总分;
- one column per question, headed ``N、题干`` (numbers may skip; a type tag such as
  ``(多选题 *必答)`` may follow); a matrix's first column is ``N、题干—子题`` and its
  other columns carry only the sub-item's text;
- **by option text** (按选项文本): option labels; a matrix cell a label or a score such
  as ``4分``; a multi-select answer in one cell joined by ``┋``; a skipped question
  ``(跳过)`` (or ``(空)``); "other" with its text as ``其他〖text〗``;
- **by option number** (按选项序号): the option's position (1, 2, ...), ``-3`` for a
  skipped question and ``-2`` for an unranked option; a multi-select question split into
  0/1 columns ``第N题(选项)``; open text stays text.

:func:`read_export` maps every column onto the instrument (metadata to its id, time and
duration columns; questions and matrix rows by their Chinese wording: exact, then with
punctuation and whitespace normalized, then by similarity, reported), turns labels and
option numbers into the instrument's codes and skips into blanks with the reason kept,
and keeps every column it cannot map (reported). A value that cannot be mapped is kept as
text, so that :func:`govstats.check_responses` reports it with its row and column.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import numpy as np
import pandas as pd

from govstats.data import spec as sp

# Metadata columns (Wenjuanxing's names) and what they become. The respondent id and the
# end time take the instrument's own column names; the rest keep a "_" name: columns the
# survey software adds, kept and listed, not checked as the instrument's.
SERIAL, SUBMITTED, DURATION, SOURCE, SOURCE_DETAIL, IP, TOTAL = (
    "序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分")
METADATA = (SERIAL, SUBMITTED, DURATION, SOURCE, SOURCE_DETAIL, IP, TOTAL)
DURATION_COLUMN = "_duration_s"
IP_COLUMN = "_ip"
IP_PLACE_COLUMN = "_ip_place"
RENAMES = {DURATION: DURATION_COLUMN, SOURCE: "_source", SOURCE_DETAIL: "_source_detail", TOTAL: "_total_score"}

SKIP_TEXT = {"(跳过)": "skipped (跳过)", "(空)": "empty (空)", "跳过": "skipped (跳过)",
             "（跳过）": "skipped (跳过)", "（空）": "empty (空)"}   # full-width brackets too
SKIP_NUMBER = {-3: "skipped (-3)", -2: "not ranked (-2)"}
MULTI_SEPARATOR = "┋"
OTHER_TEXT = re.compile(r"〖(.*?)〗")
NOTE = re.compile(r"[(（【\[]\s*(请注明|请说明|请填写)\s*[)）】\]]")
SCORE = re.compile(r"^(\d+)\s*分$")

QUESTION = re.compile(r"^\s*(\d+)\s*[、.．:：]\s*(.*)$", re.S)
SPLIT = re.compile(r"^\s*(?:第\s*(\d+)\s*题|(\d+))\s*[(（](.*)[)）]\s*$", re.S)
MATRIX_JOIN = re.compile(r"\s*(?:——|—|－－|--)\s*")
TYPE_WORDS = ("单选题", "多选题", "填空题", "排序题", "量表题", "矩阵单选题", "矩阵量表题", "矩阵多选题", "矩阵填空题",
              "下拉框", "必答", "必答题", "*必答", "选填", "非必答")
TYPE_TAG = re.compile(r"\s*[(（\[【]\s*((?:\*?\s*(?:" + "|".join(map(re.escape, TYPE_WORDS)) + r")\s*)+)[)）\]】]\s*$")
SIMILAR = 0.8   # SequenceMatcher ratio of normalized texts from which a header is matched, and reported

EXPORTS = ("text", "number")


def is_export(header: list[str]) -> bool:
    """Whether a header is a Wenjuanxing export's: two of its metadata columns or more."""
    names = {_plain(h) for h in header}
    return len(names & set(METADATA)) >= 2


def _plain(h) -> str:
    return unicodedata.normalize("NFKC", str(h)).strip()


def text_key(text: str) -> str:
    """Wording compared without punctuation, whitespace, width or case: ``"社区，有 场地。"`` -> ``"社区有场地"``."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(c for c in text if not (c.isspace() or unicodedata.category(c)[0] in "PSZ"))


def strip_type_tag(text: str) -> str:
    """``"兴趣爱好(多选题 *必答)"`` -> ``"兴趣爱好"``; a parenthesis that is part of the wording stays."""
    return TYPE_TAG.sub("", text).strip()


def duration_seconds(text) -> float | None:
    """所用时间 in seconds: ``136秒``, ``2分3秒``, ``1小时2分``, ``1:23``, ``1:02:03``, ``136``; None if unreadable."""
    if text is None:
        return None
    s = _plain(text).replace(" ", "")
    if not s:
        return None
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)(?:小时|时))?(?:(\d+(?:\.\d+)?)分钟?)?(?:(\d+(?:\.\d+)?)秒)?", s)
    if m and any(m.groups()):
        h, mi, se = (float(g) if g else 0.0 for g in m.groups())
        return h * 3600 + mi * 60 + se
    m = re.fullmatch(r"(\d+):(\d{1,2})(?::(\d{1,2}))?", s)
    if m:
        a, b, c = m.groups()
        return int(a) * 3600 + int(b) * 60 + int(c) if c is not None else int(a) * 60 + int(b)
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    return None


# -- the header -----------------------------------------------------------------------------

class _Targets:
    """Instrument columns by their wording (zh and en), for matching headers."""

    def __init__(self, variables):
        self.by_key: dict[str, str | None] = {}
        self.keys: dict[str, list[str]] = {}
        for v in variables:
            if v.kind == "metadata":
                continue
            for text in (v.label.zh, v.label.en):
                for key in {text_key(text), text_key(strip_type_tag(text))}:
                    if key:
                        self.by_key[key] = None if self.by_key.get(key, v.name) != v.name else v.name
                        self.keys.setdefault(v.name, []).append(key)

    def exact(self, text: str) -> str | None:
        return self.by_key.get(text_key(text)) or self.by_key.get(text_key(strip_type_tag(text)))

    def similar(self, text: str) -> tuple[str | None, float]:
        key = text_key(strip_type_tag(text))
        if len(key) < 4:
            return None, 0.0
        scores = sorted(((difflib.SequenceMatcher(None, key, k).ratio(), name)
                         for name, ks in self.keys.items() for k in ks), reverse=True)
        best = {}
        for score, name in scores:
            best.setdefault(name, score)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < SIMILAR:
            return None, 0.0
        if len(ranked) > 1 and ranked[1][1] > ranked[0][1] - 0.05:
            return None, 0.0  # two about as close: no guess
        return ranked[0][0], round(ranked[0][1], 3)


def _match(text: str, targets: _Targets, similar: list, header: str):
    """Column id for question or row text: exact or normalized wording, then by similarity (recorded)."""
    hit = targets.exact(text)
    if hit:
        return hit
    parts = MATRIX_JOIN.split(text)
    if len(parts) > 1:  # a matrix's "stem—row": the row names the item
        hit = targets.exact(parts[-1])
        if hit:
            return hit
    for candidate in ([parts[-1]] if len(parts) > 1 else []) + [text]:
        hit, score = targets.similar(candidate)
        if hit:
            similar.append({"column": header, "target": hit, "score": score})
            return hit
    return None


def _header_map(header, variables, specs, mapping, info):
    """For each header cell: ("meta", name) | ("column", id) | ("split", number, option) | ("keep", None)."""
    targets = _Targets(variables)
    similar: list = []
    out = []
    previous_question = False
    for h in header:
        plain = _plain(h)
        if plain in METADATA:
            out.append(("meta", plain))
            previous_question = False
            continue
        if h in mapping or plain in mapping:
            target = mapping.get(h, mapping.get(plain))
            out.append(("column", target) if target else ("keep", None))
            continue
        m = SPLIT.match(plain)
        if m and not QUESTION.match(plain):
            out.append(("split", int(m.group(1) or m.group(2)), m.group(3).strip()))
            continue
        m = QUESTION.match(plain)
        if m:
            target = _match(m.group(2), targets, similar, h)
            previous_question = True
        elif previous_question and plain:
            target = _match(plain, targets, similar, h)  # a matrix's later columns: the row's text only
        else:
            target = None
        out.append(("column", target) if target in specs else ("keep", None))
    info["similar"] = similar
    return out


# -- cells ------------------------------------------------------------------------------------

def _cell(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    s = str(v).strip()
    return s or None


def _column_cells(series: pd.Series) -> list:
    """The cells of a column as stripped text (None for blanks), computed once per distinct value."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    texts = np.asarray([_cell(u) for u in uniques.tolist()] + [None], dtype=object)
    return texts[codes].tolist()


def _integer(s: str) -> int | None:
    try:
        x = float(s)
    except ValueError:
        return None
    return int(x) if np.isfinite(x) and x.is_integer() else None


class _Column:
    """One instrument column being filled from the export, with the blanks' reasons."""

    def __init__(self, n: int):
        self.values: list = [None] * n
        self.other: list = [None] * n
        self.reasons: dict[str, int] = {}

    def skip(self, k: int, reason: str) -> None:
        self.values[k] = None
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def _label_code(text: str, spec: sp.ColumnSpec, options) -> int | None:
    key = sp.normalize_label(text)
    if key in spec.labels:
        return spec.labels[key]
    bare = text_key(text)
    for o in options:
        if bare and bare in (text_key(o.label.zh), text_key(o.label.en)):
            return o.code
    m = SCORE.match(text)  # a matrix scale's score, 1 for its first option
    if m and 1 <= int(m.group(1)) <= len(options):
        return options[int(m.group(1)) - 1].code
    return None


def _coded_cell(col: _Column, k: int, s: str | None, export: str, spec, options) -> None:
    if s is None:
        return
    if s in SKIP_TEXT:
        col.skip(k, SKIP_TEXT[s])
        return
    other = OTHER_TEXT.search(s)
    if other:
        col.other[k] = other.group(1)
        s = OTHER_TEXT.sub("", s).strip()
    if export == "number":
        v = _integer(s)
        if v is not None:
            if v in SKIP_NUMBER:
                col.skip(k, SKIP_NUMBER[v])
            elif 1 <= v <= len(options):
                col.values[k] = options[v - 1].code
            else:  # no such option: kept as text, for check to report where it is
                col.values[k] = f"option number {v} (of {len(options)})"
            return
    code = _label_code(NOTE.sub("", s).strip(), spec, options)
    col.values[k] = code if code is not None else s


def _multiple_text(col: _Column, k: int, s: str | None, spec, options) -> None:
    if s is None:
        return
    if s in SKIP_TEXT:
        col.skip(k, SKIP_TEXT[s])
        return
    codes, others = [], []
    for token in s.split(MULTI_SEPARATOR):
        token = token.strip()
        other = OTHER_TEXT.search(token)
        if other:
            others.append(other.group(1))
            token = OTHER_TEXT.sub("", token).strip()
        code = _label_code(NOTE.sub("", token).strip(), spec, options)
        if code is None:
            col.values[k] = s  # an option the instrument does not have: the cell as written
            return
        codes.append(code)
    order = {o.code: j for j, o in enumerate(options)}
    col.values[k] = " ".join(str(c) for c in sorted(set(codes), key=order.get))
    if others:
        col.other[k] = "┋".join(others)


# -- the whole export -----------------------------------------------------------------------

def read_export(header: list[str], header_row: int, data: pd.DataFrame, rows: np.ndarray, instrument, specs: dict,
                info: dict, mapping: dict | None = None) -> pd.DataFrame:
    """A Wenjuanxing export (text or number) as responses to ``instrument`` (see the module docstring).

    ``data`` holds the file's cells below the header (any types); ``rows`` their file rows.
    ``mapping`` overrides the matching: ``{header text: column id}`` (``None`` keeps the
    column unmapped). ``info`` (the read's record) is completed with ``source``, ``export``,
    ``renamed``, ``similar``, ``skipped``, ``unmapped``, ``other_text`` and ``problems``.
    """
    from govstats.forms.variables import variables as form_variables
    from govstats.forms.wenjuanxing import wenjuanxing_questions

    from govstats.data.read import convert_column

    variables = {v.name: v for v in form_variables(instrument)}
    mapping = dict(mapping or {})
    n = len(data)
    cells = [_column_cells(data.iloc[:, j]) for j in range(data.shape[1])]
    kinds = _header_map(header, variables.values(), specs, mapping, info)
    meta = instrument.metadata

    # Split multi-select columns (第N题(选项)) grouped by question number and given a target.
    layout = {q.number: q for q in wenjuanxing_questions(instrument)}
    groups: dict[int, list[int]] = {}
    for j, kind in enumerate(kinds):
        if kind[0] == "split":
            groups.setdefault(kind[1], []).append(j)
    split_target: dict[int, str | None] = {}
    for number, members in groups.items():
        labels = {text_key(NOTE.sub("", kinds[j][2])) for j in members}
        found = [v.name for v in variables.values() if v.type == "multiple_choice"
                 and labels <= {text_key(o.label.zh) for o in v.choices} | {text_key(o.label.en) for o in v.choices}]
        if len(found) != 1 and number in layout and layout[number].kind == "multiple":
            found = [layout[number].column]
        split_target[number] = found[0] if len(found) == 1 else None

    meta_names = {meta.respondent_id, meta.start, meta.end}
    mapped = {k[1] for k in kinds if k[0] == "column" and k[1] in specs} | \
        {t for t in split_target.values() if t is not None}
    if not mapped - meta_names:
        from govstats.errors import ResponsesError

        shown = ", ".join(repr(str(h)[:30]) for h in [h for h in header if _plain(h) not in METADATA][:4])
        raise ResponsesError(f"{info['path']}: none of its questions matches a question of instrument "
                             f"'{instrument.id}' by wording (its questions start {shown}). Is it the export of this "
                             f"survey? Map the headers by hand with mapping= (or --mapping) if the wording was "
                             f"changed on Wenjuanxing.")
    export = _export_kind(kinds, cells, specs, groups)
    columns: dict[str, pd.Series] = {}
    renamed: dict[str, str] = {}
    unmapped: list[str] = []
    problems: list[dict] = []
    skipped: dict[str, dict] = {}
    other_text: dict[str, int] = {}
    done_groups: set[int] = set()
    row_of = rows.astype(np.int64)

    def put(name: str, values, original: str | None = None) -> None:
        key = name
        while key in columns:  # two columns of one name: the later kept under a new name
            key = f"{key}__{len(columns) + 1}"
            problems.append({"row": header_row, "column": name, "rule": "duplicate-column",
                             "message": f"two columns of the export map to '{name}'; the second is kept as "
                                        f"'{key}' and not checked"})
        columns[key] = values
        if original is not None and original != key:
            renamed[original] = key

    for j, kind in enumerate(kinds):
        h = header[j]
        col = cells[j]
        if kind[0] == "meta":
            name = kind[1]
            if name == SERIAL:
                put(meta.respondent_id, pd.Series(col, dtype=object), h)
            elif name == SUBMITTED:
                end = pd.to_datetime(pd.Series(col, dtype=object), format="mixed", errors="coerce")
                bad = [k for k, (c, t) in enumerate(zip(col, end)) if c is not None and pd.isna(t)]
                if bad:  # kept as written for check to report where
                    put(meta.end, pd.Series(col, dtype=object), h)
                else:
                    put(meta.end, end.astype("datetime64[s]"), h)
            elif name == DURATION:
                seconds = [duration_seconds(c) for c in col]
                for k, (c, s) in enumerate(zip(col, seconds)):
                    if c is not None and s is None:
                        problems.append({"row": int(row_of[k]), "column": DURATION_COLUMN, "rule": "wrong-type",
                                         "message": f"所用时间 '{c}' is not a duration (such as 136秒, 2分3秒 or 1:23)"})
                put(DURATION_COLUMN, pd.Series(seconds, dtype="float64"), h)
            elif name == IP:
                text = pd.Series(col, dtype=object)
                put(IP_COLUMN, text.map(lambda s: None if s is None else re.split(r"[(（]", s)[0].strip())
                    .astype("str"), h)
                columns[IP_PLACE_COLUMN] = text.map(
                    lambda s: None if s is None or not re.search(r"[(（](.*)[)）]", s)
                    else re.search(r"[(（](.*)[)）]", s).group(1)).astype("str")
            else:
                put(RENAMES[name], pd.Series(col, dtype="str"), h)
            continue
        if kind[0] == "split":
            number = kind[1]
            target = split_target.get(number)
            if target is None or target not in specs:
                unmapped.append(h)
                put(str(h).strip(), pd.Series(col, dtype="str"))
                continue
            if number in done_groups:
                continue
            done_groups.add(number)
            column = _split_multiple(groups[number], kinds, cells, header, specs[target], variables[target], n,
                                     unmapped, columns)
            _finish(target, column, specs[target], put, skipped, other_text, convert_column,
                    original=f"第{number}题(...)")
            continue
        target = kind[1]
        if target is None or target not in specs:
            unmapped.append(h)
            put(str(h).strip() or f"unnamed_{j + 1}", pd.Series(col, dtype="str"))
            continue
        spec, variable = specs[target], variables[target]
        column = _by_distinct_value(col, spec, variable.choices + variable.missing, export)
        _finish(target, column, spec, put, skipped, other_text, convert_column, original=h)

    if DURATION_COLUMN in columns and meta.end in columns and meta.start not in columns \
            and pd.api.types.is_datetime64_any_dtype(columns[meta.end].dtype):
        # the start is the submission less the time taken: the speeder check reads end - start
        start = columns[meta.end] - pd.to_timedelta(columns[DURATION_COLUMN], unit="s")
        ordered = {}
        for name, values in columns.items():
            if name == meta.end:
                ordered[meta.start] = start.astype("datetime64[s]")
            ordered[name] = values
        columns = ordered
    if meta.respondent_id in columns:
        columns[meta.respondent_id] = _ids(columns[meta.respondent_id])
    df = pd.DataFrame({k: v.reset_index(drop=True) for k, v in columns.items()}, copy=False)
    df.index = pd.Index(row_of, name="row")
    info.update({"source": "wenjuanxing", "export": export, "header_row": header_row, "renamed": renamed,
                 "labels": {}, "full_width": {}, "problems": problems, "instrument": instrument.id,
                 "skipped": skipped, "unmapped": unmapped, "other_text": other_text})
    df.attrs["govstats_read"] = info
    return df


def _by_distinct_value(col: list, spec, options, export: str) -> _Column:
    """A question's column converted once per distinct cell value (a survey column has few), then spread."""
    codes, uniques = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
    converted = _Column(len(uniques))
    reason = [None] * len(uniques)
    for k, s in enumerate(uniques.tolist()):
        before = dict(converted.reasons)
        if spec.kind == "multiple_choice":
            _multiple_text(converted, k, s, spec, options)
        elif spec.kind in sp.CODED_KINDS:
            _coded_cell(converted, k, s, export, spec, options)
        elif s in SKIP_TEXT:
            converted.skip(k, SKIP_TEXT[s])
        else:
            converted.values[k] = s
        if converted.reasons != before:
            reason[k] = next(r for r in converted.reasons if converted.reasons[r] != before.get(r, 0))
    column = _Column(len(col))
    present = codes >= 0
    values = np.asarray(converted.values + [None], dtype=object)
    other = np.asarray(converted.other + [None], dtype=object)
    column.values = values[codes].tolist()
    column.other = other[codes].tolist()
    counts = np.bincount(codes[present], minlength=len(uniques))
    for k, r in enumerate(reason):
        if r is not None and counts[k]:
            column.reasons[r] = column.reasons.get(r, 0) + int(counts[k])
    return column


def _ids(values: pd.Series) -> pd.Series:
    from govstats.data.read import id_text

    return id_text(values)


def _finish(target, column: _Column, spec, put, skipped, other_text, convert_column, original) -> None:
    series, _ = convert_column(pd.Series(column.values, dtype=object), spec)
    put(target, series, original)
    if column.reasons:
        skipped[target] = dict(column.reasons)
    if any(o is not None for o in column.other):
        put(f"{target}_other", pd.Series(column.other, dtype="str"))
        other_text[target] = sum(o is not None for o in column.other)


def _export_kind(kinds, cells, specs, groups) -> str:
    """"number" when option numbers fill the choice columns (or multi-selects are split), else "text"."""
    if groups:
        return "number"
    votes = {"text": 0, "number": 0}
    for kind, col in zip(kinds, cells):
        if kind[0] != "column" or kind[1] not in specs or specs[kind[1]].kind not in sp.CODED_KINDS:
            continue
        present = [s for s in col if s is not None and s not in SKIP_TEXT]
        if present:
            votes["number" if all(_integer(s) is not None for s in present) else "text"] += 1
    return "number" if votes["number"] > votes["text"] else "text"


def _split_multiple(members, kinds, cells, header, spec, variable, n, unmapped, columns) -> _Column:
    """A multi-select question from its 0/1 columns; option columns the instrument lacks are kept apart."""
    column = _Column(n)
    options = variable.choices + variable.missing
    order = {o.code: j for j, o in enumerate(options)}
    known = []
    for j in members:
        label = NOTE.sub("", kinds[j][2]).strip()
        code = _label_code(label, spec, options)
        if code is None:
            unmapped.append(header[j])
            columns[str(header[j]).strip()] = pd.Series(cells[j], dtype="str")
        else:
            known.append((j, code))
    for k in range(n):
        ticked, skipped, odd = [], False, []
        for j, code in known:
            s = cells[j][k]
            other = OTHER_TEXT.search(s) if s is not None else None
            if other:
                column.other[k] = other.group(1)
                s = OTHER_TEXT.sub("", s).strip()
            v = _integer(s) if s is not None else None
            if s is None:
                continue
            if v in SKIP_NUMBER:
                skipped = True
            elif v == 1:
                ticked.append(code)
            elif v != 0:
                odd.append(f"{_plain(header[j])}={s}")
        if odd:  # neither ticked nor not: kept as written, for check to report
            column.values[k] = "; ".join(odd)
        elif skipped and not ticked:
            column.skip(k, SKIP_NUMBER[-3])
        elif ticked:
            column.values[k] = " ".join(str(c) for c in sorted(ticked, key=order.get))
    return column
