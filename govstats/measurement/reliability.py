"""Reliability per construct: alpha with CI, omega, composite reliability, AVE, item statistics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from govstats._threads import single_threaded

from govstats.data.analysis_frame import exclusions_text
from govstats.measurement.alpha import alpha_ci, item_stats
from govstats.measurement.cfa import measurement_model, omega_one_factor
from govstats.measurement.constructs import resolve
from govstats.measurement.factoring import extract
from govstats.measurement.polychoric import polychoric
from govstats.measurement.tables import html_table, text_table
from govstats.measurement.validity import ValidityResults, _validity


@dataclass
class ReliabilityResults:
    """Reliability of every construct, its items, and the validity tables of the same CFA.

    Attributes
    ----------
    table : DataFrame
        One row per construct: ``n_items, alpha, alpha_ci_lower, alpha_ci_upper`` (Duhachek's,
        psych's ``alpha +- 1.96 ase``), ``alpha_feldt_lower, alpha_feldt_upper``, ``omega`` (one-factor
        CFA of the construct, observed total variance: ``semTools::compRelSEM``), ``cr`` (correlated-
        factors CFA, model-implied variance: ``compRelSEM(obs.var = FALSE)``), ``ave`` (``semTools::AVE``),
        ``ordinal_alpha`` and ``ordinal_omega`` on polychoric correlations (NaN unless the items are
        integer codes with at most 10 categories).
    items : DataFrame
        One row per item: ``construct, item, reversed, raw_r, r_drop`` (corrected item-total
        correlation) and ``alpha_if_deleted``, as psych::alpha's item statistics.
    validity : ValidityResults
    nobs, n_dropped : int
        Rows used, rows left out because an item was blank or not a number.
    skipped : tuple of str
        Single-item constructs, which have no reliability of this kind.
    exclusions : dict
        With an instrument: respondents left out before the analysis and why (off-scale
        codes, no consent, empty rows) and answers with declared missing codes read as blank,
        as :func:`govstats.data.analysis_frame.analysis_frame` counts them; empty otherwise.
    """

    table: pd.DataFrame
    items: pd.DataFrame
    validity: ValidityResults
    nobs: int
    n_dropped: int
    skipped: tuple = ()
    exclusions: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """``{"constructs": {ID: {...}}, "htmt": {ID: {ID: ...}}, "fornell_larcker": {...}, ...}``."""
        cons = {}
        for cid, r in self.table.iterrows():
            d = {k: (None if pd.isna(v) else float(v)) for k, v in r.items() if k != "n_items"}
            d["n_items"] = int(r["n_items"])
            its = self.items[self.items.construct == cid]
            d["items"] = {row.item: {"r_drop": row.r_drop, "alpha_if_deleted": row.alpha_if_deleted,
                                     "reversed": bool(row.reversed)} for row in its.itertuples()}
            cons[cid] = d
        nested = lambda m: {a: {b: float(m.loc[a, b]) for b in m.columns} for a in m.index}  # noqa: E731
        v = self.validity
        return {
            "constructs": cons,
            "htmt": nested(v.htmt),
            "htmt2": nested(v.htmt2),
            "fornell_larcker": nested(v.fornell_larcker),
            "htmt_flags": v.htmt_flags.to_dict(orient="records"),
            "nobs": self.nobs,
            "n_dropped": self.n_dropped,
            "skipped": list(self.skipped),
            "exclusions": self.exclusions,
            "converged": v.converged,
        }

    def to_json(self, path) -> Path:
        """Write :meth:`to_dict` as UTF-8 JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    def text(self, digits: int = 3) -> str:
        """The reliability table and the validity tables, APA-style, as plain text."""
        t = self.table[["n_items", "alpha", "alpha_ci_lower", "alpha_ci_upper", "omega", "cr", "ave"]].copy()
        t.columns = ["k", "alpha", "95% CI low", "95% CI high", "omega", "CR", "AVE"]
        t.index.name = "Construct"
        rel = text_table("Table. Reliability and convergent validity", t,
                         f"Note. N = {self.nobs}. alpha: Cronbach's alpha with Duhachek's 95% CI; omega: "
                         "McDonald's omega total (one-factor CFA); CR: composite reliability and AVE: average "
                         "variance extracted (correlated-factors CFA). Conventional cut-offs: alpha, omega, "
                         "CR >= .70; AVE >= .50.", digits)
        used = exclusions_text(self.exclusions)
        # the validity tables come from the same respondents: their line is not repeated
        validity = replace(self.validity, exclusions={}).text(digits)
        return (f"{used}\n\n" if used else "") + rel + "\n\n" + validity

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return html_table("Reliability and convergent validity", self.table.round(3)) + self.validity._repr_html_()


def _is_ordinal(x: pd.DataFrame) -> bool:
    """Integer codes with few categories: the polychoric statistics make sense."""
    v = x.to_numpy()
    return bool(np.all(v == np.round(v)) and max(x[c].nunique() for c in x.columns) <= 10)


def ordinal_reliability(c) -> dict[str, dict[str, float]]:
    """Ordinal alpha (standardized alpha of the polychoric matrix, psych::alpha(rho)) and ordinal
    omega ((sum l)^2 / sum(rho) of a one-factor minres fit to it) per construct."""
    out = {}
    for cid, its in c.items.items():
        rho = polychoric(c.data[its]).to_numpy()
        k = len(its)
        with single_threaded():
            lam = extract(rho, 1, "minres")[:, 0]
        out[cid] = {"ordinal_alpha": float(k / (k - 1) * (1 - k / rho.sum())),
                    "ordinal_omega": float(lam.sum() ** 2 / rho.sum())}
    return out


def reliability(model, data: pd.DataFrame, reverse: Sequence[str] = (), level: float = 0.95) -> ReliabilityResults:
    """Cronbach's alpha (with CI), omega, composite reliability, AVE and item statistics per construct.

    Matches psych::alpha (alpha, CIs, ``r.drop``, alpha if deleted; reverse-keyed items reversed
    first), semTools::compRelSEM (omega, CR) and semTools::AVE on CFAs fitted by govstats' own
    lavaan-matched engine with ``std.lv = TRUE``.

    Parameters
    ----------
    model : Instrument, str or mapping
        An instrument (reverse-keyed items reversed first), lavaan-style measurement syntax, or a
        mapping construct -> item columns.
    data : DataFrame
        One row per respondent; rows with a blank item are left out listwise. With an
        instrument, declared missing codes are blanks and respondents with off-scale codes or
        without consent are left out and counted (``exclusions``).
    reverse : sequence of str
        Further reverse-keyed items (reversed within their observed range).
    level : float
        Confidence level of the alpha intervals.

    Returns
    -------
    ReliabilityResults

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.measurement import reliability
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("grid_governance"))
    >>> rel = reliability(inst, simulate(inst, 400, seed=1).responses)
    >>> list(rel.table.columns[:4])
    ['n_items', 'alpha', 'alpha_ci_lower', 'alpha_ci_upper']
    >>> bool((rel.table["alpha"] > 0.6).all())
    True
    """
    if not 0 < level < 1:
        raise ValueError(f"The 'level' parameter of reliability must be one of {{a number in (0, 1)}}. "
                         f"Got {level!r} instead.")
    c = resolve(model, data, reverse, function="reliability")
    omegas = omega_one_factor(c)
    mm = measurement_model(c)
    ordinal = ordinal_reliability(c) if _is_ordinal(c.data) else {}
    rows, item_rows = [], []
    for cid, its in c.items.items():
        x = c.data[its]
        a = alpha_ci(x, level)
        rows.append({"construct": cid, "n_items": len(its), "alpha": a["alpha"], "alpha_ci_lower": a["ci_lower"],
                     "alpha_ci_upper": a["ci_upper"], "alpha_feldt_lower": a["feldt_lower"],
                     "alpha_feldt_upper": a["feldt_upper"], "omega": omegas[cid]["omega"],
                     "omega_model": omegas[cid]["omega_model"], "cr": mm["cr"][cid], "ave": mm["ave"][cid],
                     **ordinal.get(cid, {"ordinal_alpha": float("nan"), "ordinal_omega": float("nan")})})
        s = item_stats(x)
        s.insert(0, "construct", cid)
        s.insert(2, "reversed", s["item"].isin(c.reversed))
        item_rows.append(s)
    table = pd.DataFrame(rows).set_index("construct")
    return ReliabilityResults(table=table, items=pd.concat(item_rows, ignore_index=True),
                              validity=_validity(c, mm), nobs=len(c.data), n_dropped=c.n_dropped, skipped=c.skipped,
                              exclusions=c.exclusions)
