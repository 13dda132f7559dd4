"""The result of :func:`govstats.check_responses`: every problem, the flagged respondents, a summary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from govstats.data.rules import QUALITY, RULES, SCHEMA


@dataclass(eq=False)
class CheckReport:
    """Problems found in a set of responses, and the respondents flagged as careless.

    Attributes
    ----------
    problems : DataFrame
        One row per problem: ``row`` (the row in the file; the header is row 1, so the first
        respondent is row 2; column problems are on the header row), ``respondent_id``,
        ``column``, ``rule`` (see :data:`govstats.data.rules.RULES`), ``kind`` (``schema`` or
        ``quality``) and ``message``. Sorted by row, then column.
    flags : DataFrame
        One row per respondent, indexed like the input: ``row``, ``respondent_id``, the
        careless-responding indices (``longstring``, ``straight_blocks``, ``irv``,
        ``mahalanobis_d2``/``_df``/``_p``, ``attention_failed``, ``duration_s``,
        ``missing_share``), one boolean ``flag_*`` column per flag, ``flagged`` (any flag,
        no consent or an empty row) and ``reasons``.
    instrument : str
        Id and version of the instrument checked against.
    n_rows : int
    thresholds : dict
        The thresholds the quality flags used.
    source : dict
        What :func:`read_responses` recorded (file, encoding, renamed columns, mapped labels).
    notes : list of str
        What was done that is not a problem (columns renamed, labels mapped, columns kept).
    limits : dict
        The thresholds as they applied to this instrument (:func:`govstats.data.quality.limits`):
        ``run`` (long-string flagged from a run this long, of ``of_items``), ``irv``,
        ``straight_blocks_from``.
    """

    problems: pd.DataFrame
    flags: pd.DataFrame
    instrument: str
    n_rows: int
    thresholds: dict
    source: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    limits: dict = field(default_factory=dict)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Counts per rule, every rule listed: ``rule, kind, count, rows, description``."""
        p = self.problems
        counts = p.groupby("rule", sort=False).agg(count=("row", "size"), rows=("row", "nunique"))
        table = pd.DataFrame([(rule, kind, desc) for rule, (kind, desc) in RULES.items()],
                             columns=["rule", "kind", "description"])
        table["count"] = table["rule"].map(counts["count"]).fillna(0).astype("int64")
        table["rows"] = table["rule"].map(counts["rows"]).fillna(0).astype("int64")
        return table[["rule", "kind", "count", "rows", "description"]]

    @property
    def schema_problems(self) -> pd.DataFrame:
        return self.problems[self.problems["kind"] == SCHEMA]

    @property
    def has_schema_problems(self) -> bool:
        """True when any schema rule found something (``govstats check --strict`` then exits 1)."""
        return bool((self.problems["kind"] == SCHEMA).any())

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged respondents: ``row``, ``respondent_id``, ``reasons`` and the indices."""
        return self.flags[self.flags["flagged"]]

    # -- output -----------------------------------------------------------------------------
    def text(self, max_problems: int = 20) -> str:
        """A summary a field supervisor can act on: counts per rule, where, and the first problems."""
        p, s = self.problems, self.summary
        lines = [f"Check of {self.n_rows:,} rows against {self.instrument}"]
        lines += [f"  {note}" for note in self.notes]
        schema = s[(s["kind"] == SCHEMA) & (s["count"] > 0)]
        n_schema = int(schema["count"].sum())
        if n_schema:
            rows = p.loc[p["kind"] == SCHEMA, "row"].nunique()
            lines.append(f"\nSchema: {n_schema:,} problem{'s' if n_schema != 1 else ''} on {rows:,} row"
                         f"{'s' if rows != 1 else ''} (--strict fails); fix or explain them before fitting")
            lines += _rule_lines(schema, p)
        else:
            lines.append("\nSchema: no problems")
        f = self.flags
        n_flag = int(f["flagged"].sum())
        share = n_flag / self.n_rows if self.n_rows else 0.0
        lines.append(f"\nQuality: {n_flag:,} of {self.n_rows:,} respondents flagged ({share:.1%}); kept and marked "
                     f"(govstats score --exclude-flagged leaves them out)")
        quality = s[(s["kind"] == QUALITY) & (s["count"] > 0)]
        if len(quality):
            lines += _rule_lines(quality, p)
        for key in ("no_consent", "empty_row"):
            count = int(f[f"flag_{key}"].sum())
            if count:
                lines.append(f"  {key.replace('_', '-'):<20} {count:>8,} respondents (see the schema problems)")
        t, lim = self.thresholds, self.limits
        run = f" (here a run of {lim['run']} of {lim['of_items']})" if lim else ""
        irv = f" (here {lim['irv']:g})" if lim else ""
        lines.append(f"  thresholds: long-string >= {t['longstring_share']:g} of the items{run} or "
                     f"{t['straight_block_share']:g} of the blocks; IRV < {t['irv_share']:g} of the scale range{irv}; "
                     f"Mahalanobis p < {t['mahalanobis_alpha']:g}; speeder < {t['speed_ratio']:g} x median duration; "
                     f"missing > {t['max_missing_share']:.0%} of the items")
        if len(p):
            shown = p.head(max_problems)
            lines.append(f"\nFirst {len(shown)} of {len(p):,} problems (row as in the file, header = row 1):")
            for r in shown.itertuples(index=False):
                who = "" if pd.isna(r.respondent_id) else f" id {r.respondent_id}"
                col = "" if pd.isna(r.column) else f" {r.column}"
                lines.append(f"  row {r.row}{who}{col}: {r.rule}: {r.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (f"CheckReport({self.instrument!r}, rows={self.n_rows}, problems={len(self.problems)}, "
                f"schema_problems={int((self.problems['kind'] == SCHEMA).sum())}, "
                f"flagged={int(self.flags['flagged'].sum())})")

    def to_dict(self) -> dict:
        """Summary, every problem, and the flagged respondents, as plain JSON values."""
        flagged = self.flagged.reset_index(drop=True)
        return {
            "instrument": self.instrument,
            "n_rows": self.n_rows,
            "row_numbering": "as in the file: the header is row 1, the first respondent row 2",
            "thresholds": self.thresholds,
            "limits": self.limits,
            "notes": self.notes,
            "summary": _records(self.summary),
            "problems": _records(self.problems),
            "flagged": _records(flagged),
        }

    def _repr_html_(self) -> str:
        """Notebooks: the counts per rule that found something, and the flagged respondents' reasons."""
        from govstats.measurement.tables import html_table

        found = self.summary[self.summary["count"] > 0].set_index("rule")
        flagged = self.flagged[["row", "respondent_id", "reasons"]].head(50).set_index("row")
        return (html_table(f"Check of {self.n_rows:,} rows against {self.instrument}: problems per rule", found)
                + html_table(f"Flagged respondents ({len(self.flagged)}; first 50)", flagged))

    def to_json(self, path: str | Path | None = None) -> str:
        """The report as UTF-8 JSON (:meth:`to_dict`); written to ``path`` when given, and returned."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text


def _rule_lines(rules: pd.DataFrame, problems: pd.DataFrame) -> list[str]:
    lines = [f"  {'rule':<20} {'count':>8} {'rows':>7}  what (most affected columns)"]
    for r in rules.itertuples(index=False):
        cols = problems.loc[problems["rule"] == r.rule, "column"].value_counts().head(4)
        where = ", ".join(f"{c} {k}" for c, k in cols.items()) if len(cols) else ""
        lines.append(f"  {r.rule:<20} {r.count:>8,} {r.rows:>7,}  {r.description}" + (f" ({where})" if where else ""))
    return lines


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
