"""APA-style tables as plain text and HTML: numbers without leading zeros where bounded by 1."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd


def fmt(v, digits: int = 3, leading_zero: bool = False) -> str:
    """A number as APA writes statistics bounded by 1: ``.912``, ``-.05``; blanks for NaN."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else ""
    if isinstance(v, (int, np.integer)):
        return str(v)
    if not isinstance(v, (float, np.floating)):
        return str(v)
    s = f"{v:.{digits}f}"
    if s.startswith("-") and float(s) == 0:  # -0.0004 rounds to zero: no sign on a zero
        s = s[1:]
    if not leading_zero and abs(v) < 1:
        s = s.replace("0.", ".", 1)
    return s


def text_table(title: str, table: pd.DataFrame, note: str = "", digits: int = 3) -> str:
    """A table with a title, rules above and below the header and at the end, and a note."""
    cells = table.map(lambda v: fmt(v, digits)).astype(str)
    head = [str(table.index.name or "")] + [str(c) for c in table.columns]
    rows = [[str(i)] + list(r) for i, r in zip(table.index, cells.itertuples(index=False))]
    widths = [max(len(r[j]) for r in [head] + rows) for j in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    rule = "-" * len(line(head))
    out = [title, rule, line(head), rule] + [line(r) for r in rows] + [rule]
    if note:
        out.append(note)
    return "\n".join(out)


def html_table(title: str, table: pd.DataFrame, digits: int = 3) -> str:
    """The same table as HTML (notebooks)."""
    cells = table.map(lambda v: fmt(v, digits)).astype(str)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [table.index.name or ""] + list(table.columns))
    body = "".join("<tr><th>" + html.escape(str(i)) + "</th>" + "".join(f"<td>{html.escape(c)}</td>" for c in r)
                   + "</tr>" for i, r in zip(table.index, cells.itertuples(index=False)))
    return f"<p><i>{html.escape(title)}</i></p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
