"""The questionnaire as Wenjuanxing (问卷星) creates it from pasted text, and the survey it makes.

Wenjuanxing's editor has a batch text import (批量添加题目 / 文本导入): one pastes the
questions as text and it creates them. Its syntax, as the importer itself parses it (the
editor's own script, ``generateQs``; the same rules as its ``wjx-api-sdk`` text format):

- questions are separated by a blank line; the first line is ``N. 题干[题型]``, where the
  type tag is ``[单选题]``, ``[多选题]``, ``[填空题]`` or ``[矩阵单选题]``;
- a choice question's options follow, one a line, in order; Wenjuanxing numbers them
  1, 2, ... (the "by option number" export gives these numbers, not the instrument's codes);
- a matrix question's next line holds the column options separated by spaces, and each
  further line is one row (one item);
- every choice and matrix question is created required (此题必答), a fill-in question not.

The importer splits an option line at spaces, at ``□ ○ ①-⑧``, at two or more "1." /
"2、" numbers, and at letters A and B, and it turns ``___`` or ``{...}`` in a title into
blanks to fill: option text with spaces is written with ideographic spaces (U+3000, which it
keeps and which read back as spaces), and text that would still be split is refused.

:func:`wenjuanxing_questions` is the survey Wenjuanxing makes from the text (question numbers,
options in order, matrix rows), which :func:`govstats.read_responses` uses to map its exports
back onto the instrument. Item order and wording are those of the XLSForm (both follow
:func:`govstats.forms.sections`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from govstats.errors import FormError
from govstats.forms import wording
from govstats.forms.layout import sections
from govstats.forms.variables import Variable
from govstats.instrument import Instrument
from govstats.instrument.model import Choice

SINGLE, MULTIPLE, FILL, MATRIX = "single", "multiple", "fill", "matrix"
TAGS = {SINGLE: "[单选题]", MULTIPLE: "[多选题]", FILL: "[填空题]", MATRIX: "[矩阵单选题]"}
IDEOGRAPHIC_SPACE = "\u3000"

# What the importer would split or reinterpret (see the module docstring).
_SPLITTERS = re.compile(r"[□○①②③④⑤⑥⑦⑧]")
_NUMBERED = re.compile(r"\d\d?\.|\d\d?、|\(\d\d?\)|（\d\d?）")
_LETTER_AB = re.compile(r"(?<![A-Za-z])[AaBb](?![A-Za-z])")
_GAP = re.compile(r"___|[{｛].*?[}｝]")
_TAG = re.compile(r"\[[^\]]*题\]|【[^】]*题】")


@dataclass(frozen=True)
class WjxQuestion:
    """One question of the Wenjuanxing survey made from the text.

    ``number`` is Wenjuanxing's question number (1-based; a matrix counts once). ``options``
    are in Wenjuanxing's option order (the instrument's choices, then its missing codes):
    option *k* is ``options[k - 1]``. ``rows`` are a matrix's ``(column id, text)``;
    ``column`` the column id of any other question.
    """

    number: int
    kind: str
    title: str
    options: tuple[Choice, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()
    column: str | None = None
    required: tuple[str, ...] = ()      # the columns the instrument requires

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.rows) if self.kind == MATRIX else (self.column,)


def _kind(v: Variable) -> str:
    if v.type == "single_choice":
        return SINGLE
    if v.type == "multiple_choice":
        return MULTIPLE
    return FILL


def wenjuanxing_questions(instrument: Instrument) -> list[WjxQuestion]:
    """The questions Wenjuanxing creates from :func:`wenjuanxing_text`, in order.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> qs = wenjuanxing_questions(load_instrument(seed_instrument_path("ri_asset")))
    >>> qs[0].kind, qs[0].column, [o.code for o in qs[0].options]
    ('single', 'consent', [1, 0])
    >>> grid = next(q for q in qs if q.kind == "matrix")
    >>> grid.number, grid.title, [c for c, _ in grid.rows]
    (7, '请根据您的实际看法，选择您对下列每种说法的同意程度。', ['IC1', 'IC2', 'IC3', 'IC4'])
    """
    out: list[WjxQuestion] = []
    for s in sections(instrument):
        number = len(out) + 1
        if s.kind == "grid":
            first = s.variables[0]
            title = wording.GRID_INSTRUCTION[first.scale_type or "likert"].zh
            out.append(WjxQuestion(number, MATRIX, title, first.choices + first.missing,
                                   rows=tuple((v.name, v.label.zh) for v in s.variables),
                                   required=tuple(v.name for v in s.variables if v.required)))
            continue
        v = s.variables[0]
        out.append(WjxQuestion(number, _kind(v), v.label.zh, v.choices + v.missing, column=v.name,
                               required=(v.name,) if v.required else ()))
    return out


def _line(text: str, where: str, instrument: Instrument) -> str:
    """Text on one line as the importer keeps it: inner line breaks and tabs become spaces."""
    return re.sub(r"[\t\r\n]+", " ", text).strip()


def _option(text: str, where: str, instrument: Instrument) -> str:
    label = re.sub(r"\s+", IDEOGRAPHIC_SPACE, _line(text, where, instrument))
    problem = None
    if _SPLITTERS.search(label):
        problem = "has a box or circled-number character (□ ○ ①-⑧), where the importer starts a new option"
    elif len(_NUMBERED.findall(label)) >= 2:
        problem = "has two or more numbers written like '1.' or '2、', where the importer starts new options"
    elif _LETTER_AB.search(label):
        problem = "has a lone letter A or B, from which the importer numbers options A, B, C"
    if problem:
        raise FormError(f"{instrument.source or instrument.id}: {where} {label!r} {problem}; Wenjuanxing's text "
                        f"import would split it. Reword the label in the instrument, or add the question in the "
                        f"Wenjuanxing editor by hand.")
    return label


def _title(text: str, where: str, instrument: Instrument) -> str:
    title = _line(text, where, instrument)
    if _GAP.search(title) or _TAG.search(title):
        raise FormError(f"{instrument.source or instrument.id}: {where} {title!r} has '___', braces or a "
                        f"[...题] tag, which Wenjuanxing's text import reads as blanks to fill or a question "
                        f"type. Reword the text in the instrument.")
    return title


def wenjuanxing_text(instrument: Instrument) -> str:
    """The questionnaire as text for Wenjuanxing's batch import (批量添加题目), in Chinese.

    Paste it into the editor's text import: it creates every question, with the options in
    the instrument's order and each construct's items as one matrix (矩阵单选题). The survey's
    title and the settings the text cannot carry (optional questions, skip logic, number
    ranges) are listed by :func:`wenjuanxing_notes`.

    Raises
    ------
    FormError
        If a text would be split or misread by the importer (naming the question and text).

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> text = wenjuanxing_text(load_instrument(seed_instrument_path("ri_asset")))
    >>> print(text.split("\\n\\n")[6])
    7. 请根据您的实际看法，选择您对下列每种说法的同意程度。[矩阵单选题]
    非常不同意 比较不同意 一般 比较同意 非常同意
    社区有足够的场地开展各类活动。
    社区能通过微信群或网上平台及时发布各类信息。
    社区对辖区内居民的基本情况掌握得比较清楚。
    社区能把辖区里的各种资源调动起来为居民办事。
    """
    blocks = []
    for q in wenjuanxing_questions(instrument):
        where = f"question {q.number} ({q.column or ', '.join(q.columns)})"
        lines = [f"{q.number}. {_title(q.title, where, instrument)}{TAGS[q.kind]}"]
        options = [_option(o.label.zh, f"{where}, option", instrument) for o in q.options]
        if len(set(options)) != len(options):
            raise FormError(f"{instrument.source or instrument.id}: {where} has two options with the same Chinese "
                            f"label; Wenjuanxing's text export could not tell them apart.")
        if q.kind == MATRIX:
            lines.append(" ".join(options))
            lines += [_title(text, f"{where}, row {column}", instrument) for column, text in q.rows]
        else:
            lines += options
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def wenjuanxing_notes(instrument: Instrument) -> list[str]:
    """What to set by hand in the Wenjuanxing editor after the import (in Chinese).

    The text carries questions and options only: the survey's title, which questions are
    optional, skip logic (题目关联) and number ranges are set in the editor.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> notes = wenjuanxing_notes(load_instrument(seed_instrument_path("ri_element")))
    >>> notes[0]
    '问卷标题：社区资源整合调查（要素视角）'
    >>> [n for n in notes if n.startswith("第15题")]
    ['第15题：设置题目关联，仅当第5题选择“社区居委会/党组织工作人员”或“网格员”时显示。']
    """
    questions = wenjuanxing_questions(instrument)
    number_of = {c: q.number for q in questions for c in q.columns}
    by_column = {c: q for q in questions for c in q.columns}
    vars_ = {v.name: v for s in sections(instrument) for v in s.variables}
    notes = [f"问卷标题：{instrument.title.zh}"]
    consent = instrument.consent.id
    notes.append(f"第{number_of[consent]}题（知情同意）：选择“不同意”的受访者应直接结束作答（在该选项上设置跳题到问卷末尾）。")
    for q in questions:
        if q.kind == FILL and q.required:
            notes.append(f"第{q.number}题：打开“此题必答”（填空题导入后默认不必答）。")
        if q.kind != FILL and set(q.columns) - set(q.required):
            optional = [c for c in q.columns if c not in q.required]
            which = "" if q.kind != MATRIX else "（" + "、".join(optional) + "）"
            notes.append(f"第{q.number}题{which}：关闭“此题必答”（导入后默认必答，问卷中此题可不答）。")
        for column in q.columns:
            v = vars_.get(column)
            if v is not None and v.ask_if is not None:
                control = by_column[v.ask_if.question]
                labels = {o.code: o.label.zh for o in control.options}
                shown = "”或“".join(labels.get(c, str(c)) for c in v.ask_if.codes)
                notes.append(f"第{q.number}题：设置题目关联，仅当第{control.number}题选择“{shown}”时显示。")
            if v is not None and v.type in ("integer", "decimal") and (v.minimum is not None or v.maximum is not None):
                lo = "" if v.minimum is None else f"最小值{wording._num(v.minimum)}"
                hi = "" if v.maximum is None else f"最大值{wording._num(v.maximum)}"
                kind = "整数" if v.type == "integer" else "数字"
                notes.append(f"第{q.number}题：填写限制设为{kind}，{'，'.join(p for p in (lo, hi) if p)}。")
    return notes


def write_wenjuanxing(instrument: Instrument, path: str | Path) -> Path:
    """Write :func:`wenjuanxing_text` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(wenjuanxing_text(instrument), encoding="utf-8")
    return path
