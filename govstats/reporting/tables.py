"""APA three-line tables (三线表): a numbered, titled DataFrame with a note, as HTML.

A :class:`Table` keeps the numbers (``data``, the DataFrame a Python user gets) apart from how
they are printed (``formats``: one rule per column), so the DOCX and the HTML show the same
cells and tests can compare those cells with the results they came from.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govstats.measurement.tables import fmt

# How a column is printed: APA drops the leading zero of statistics that cannot exceed 1.
FORMATS = ("r2", "r3", "f1", "f2", "f3", "int", "p", "pct", "text")

THREE_LINE_CSS = """
table.apa { border-collapse: collapse; border-top: 2px solid #000; border-bottom: 2px solid #000;
            margin: 0.3em 0 0.2em 0; font-variant-numeric: tabular-nums; }
table.apa thead th { border-bottom: 1px solid #000; font-weight: normal; padding: 0.25em 0.7em; }
table.apa td, table.apa tbody th { padding: 0.15em 0.7em; text-align: right; font-weight: normal; }
table.apa tbody th, table.apa thead th:first-child, table.apa td.text { text-align: left; }
p.apa-title { margin: 1.2em 0 0 0; }
p.apa-title b { font-weight: bold; }
p.apa-title i { display: block; }
p.apa-note { margin: 0.2em 0 1em 0; font-size: 0.9em; max-width: 60em; }
"""


def p_text(p: float) -> str:
    """A p value as APA prints it: ``< .001``, ``.012``; blank for NaN."""
    if p is None or not np.isfinite(p):
        return ""
    return "< .001" if p < 0.001 else fmt(float(p), 3)


def stars(p: float) -> str:
    """``***`` p < .001, ``**`` p < .01, ``*`` p < .05."""
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def cell(value, kind: str) -> str:
    """One printed cell of a column whose format is ``kind`` (see FORMATS)."""
    if kind not in FORMATS:
        raise ValueError(f"The 'kind' parameter of cell must be one of {set(FORMATS)}. Got {kind!r} instead.")
    if value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value)):
        return ""
    if kind == "text" or isinstance(value, str):
        return str(value)
    if kind == "int":
        return f"{int(round(float(value)))}"
    if kind == "p":
        return p_text(float(value))
    if kind == "pct":
        return f"{100 * float(value):.1f}"
    if kind in ("r2", "r3"):
        return fmt(float(value), int(kind[1]))
    return f"{float(value):.{int(kind[1])}f}"


@dataclass
class Table:
    """A numbered APA table.

    Attributes
    ----------
    key : str
        Stable name (``"fit"``, ``"paths"``, ...): :meth:`govstats.reporting.Report.table` looks it up.
    title : str
    data : DataFrame
        The numbers, with column heads in the report's language; the index is the first column.
    formats : dict
        Column -> one of FORMATS; columns not named print as text.
    note : str
    number : int
        Set when the report numbers its tables.
    """

    key: str
    title: str
    data: pd.DataFrame
    formats: dict = field(default_factory=dict)
    note: str = ""
    number: int = 0
    lang: str = "en"

    def cells(self) -> pd.DataFrame:
        """The printed cells (strings), index and columns as ``data``."""
        out = pd.DataFrame(index=self.data.index, columns=self.data.columns, dtype=object)
        for col in self.data.columns:
            kind = self.formats.get(col, "text")
            out[col] = [cell(v, kind) for v in self.data[col]]
        return out

    def header(self) -> list[str]:
        return [str(self.data.index.name or "")] + [str(c) for c in self.data.columns]

    def rows(self) -> list[list[str]]:
        """Header excluded: one list of strings per row, the index first."""
        cells = self.cells()
        return [[str(i)] + list(r) for i, r in zip(self.data.index, cells.itertuples(index=False))]

    def text_columns(self) -> list[bool]:
        """Which columns hold text (left-aligned) rather than numbers (right-aligned)."""
        return [self.formats.get(c, "text") == "text" for c in self.data.columns]

    def label(self) -> str:
        from govstats.reporting.words import word

        head = word("table", self.lang)
        return f"{head} {self.number}" if self.number else head

    def to_html(self) -> str:
        """The three-line table with its number and title above and its note below."""
        from govstats.reporting.words import word

        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.header())
        kinds = [' class="text"' if text else "" for text in self.text_columns()]
        body = "".join("<tr><th>" + html.escape(r[0]) + "</th>"
                       + "".join(f"<td{k}>{html.escape(c)}</td>" for k, c in zip(kinds, r[1:])) + "</tr>"
                       for r in self.rows())
        note = (f'<p class="apa-note"><i>{html.escape(word("note", self.lang).strip())}</i> '
                f"{html.escape(self.note)}</p>") if self.note else ""
        return (f'<div class="apa-table" id="table-{html.escape(self.key)}">'
                f'<p class="apa-title"><b>{html.escape(self.label())}</b><i>{html.escape(self.title)}</i></p>'
                f'<table class="apa"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}</div>')

    def _repr_html_(self) -> str:
        return f"<style>{THREE_LINE_CSS}</style>{self.to_html()}"

    def __str__(self) -> str:
        from govstats.measurement.tables import text_table

        cells = self.cells()
        cells.index.name = self.data.index.name
        return text_table(f"{self.label()}. {self.title}", cells, self.note)


def fmt_coef(v: float, digits: int = 2) -> str:
    """A standardized coefficient as APA prints it: ``.45``, ``-.08``."""
    return fmt(float(v), digits) if np.isfinite(v) else ""
