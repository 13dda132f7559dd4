"""Discriminant and convergent validity: Fornell-Larcker, HTMT / HTMT2 with thresholds, cross-loadings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govstats.data.analysis_frame import exclusions_text
from govstats.measurement.cfa import measurement_model
from govstats.measurement.constructs import Constructs, resolve
from govstats.measurement.htmt import htmt as _htmt
from govstats.measurement.tables import fmt, html_table, text_table

HTMT_THRESHOLDS = (0.85, 0.90)


@dataclass
class ValidityResults:
    """Fornell-Larcker table, HTMT and HTMT2 matrices, their flags, and cross-loadings.

    Attributes
    ----------
    fornell_larcker : DataFrame
        sqrt(AVE) on the diagonal, latent correlations of the CFA off it.
    fornell_larcker_violations : DataFrame
        Pairs whose |correlation| is not below the sqrt(AVE) of both constructs.
    htmt, htmt2 : DataFrame
        As ``semTools::htmt(model, data, htmt2 = FALSE)`` and ``htmt2 = TRUE``.
    htmt_flags : DataFrame
        One row per construct pair: htmt, htmt2, ``above_85``, ``above_90``.
    cross_loadings : DataFrame
        Correlation of each item (reverse-keyed items reversed) with each construct's mean score;
        ``own`` marks the construct the item belongs to and ``highest_own`` whether it loads most on it.
    ave, cr : dict
    """

    fornell_larcker: pd.DataFrame
    fornell_larcker_violations: pd.DataFrame
    htmt: pd.DataFrame
    htmt2: pd.DataFrame
    htmt_flags: pd.DataFrame
    cross_loadings: pd.DataFrame
    ave: dict = field(repr=False)
    cr: dict = field(repr=False)
    nobs: int = 0
    converged: bool = True
    exclusions: dict = field(default_factory=dict)

    def text(self, digits: int = 3) -> str:
        """APA-style tables as plain text."""
        ids = list(self.fornell_larcker.index)
        fl = self.fornell_larcker.copy().astype(object)
        for i, a in enumerate(ids):
            for j, b in enumerate(ids):
                v = self.fornell_larcker.loc[a, b]
                fl.loc[a, b] = ("" if j > i else (f"[{fmt(v, digits)}]" if i == j else fmt(v, digits)))
        ht = self.htmt.copy().astype(object)
        for i, a in enumerate(ids):
            for j, b in enumerate(ids):
                v = self.htmt.loc[a, b]
                ht.loc[a, b] = "" if j >= i else fmt(v, digits) + ("**" if v > 0.90 else "*" if v > 0.85 else "")
        used = exclusions_text(self.exclusions)
        return "\n\n".join(([used] if used else []) + [
            text_table("Table. Fornell-Larcker criterion", fl,
                       "Note. Diagonal in brackets: square root of AVE; below it: latent correlations "
                       f"(CFA, N = {self.nobs}). Discriminant validity holds where each diagonal value exceeds "
                       "the correlations in its row and column."),
            text_table("Table. Heterotrait-monotrait ratio (HTMT)", ht.iloc[1:, :-1] if len(ids) > 1 else ht,
                       "Note. * HTMT > .85; ** HTMT > .90 (discriminant validity in doubt)."),
        ])

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return html_table("Fornell-Larcker criterion", self.fornell_larcker.round(3)) + \
            html_table("HTMT", self.htmt.round(3))


def validity(model, data: pd.DataFrame, reverse: Sequence[str] = ()) -> ValidityResults:
    """Fornell-Larcker, HTMT and HTMT2 (flagged at .85 and .90), and cross-loadings.

    Parameters
    ----------
    model : Instrument, str or mapping
        An instrument (reverse-keyed items are reversed first), lavaan-style measurement syntax
        (its ``=~`` lines), or a mapping construct -> item columns.
    data : DataFrame
        One row per respondent; rows with a blank item are left out listwise.
    reverse : sequence of str
        Further reverse-keyed items (reversed within their observed range).

    Returns
    -------
    ValidityResults

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.measurement import validity
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("grid_governance"))
    >>> df = simulate(inst, 400, seed=1).responses
    >>> v = validity(inst, df)
    >>> v.htmt.shape
    (7, 7)
    >>> bool(v.htmt_flags["above_90"].any())
    False
    """
    c = resolve(model, data, reverse, function="validity")
    return _validity(c, measurement_model(c))


def _validity(c: Constructs, mm: dict) -> ValidityResults:
    ids = list(c.items)
    sq = {k: np.sqrt(v) for k, v in mm["ave"].items()}
    fl = mm["cor_lv"].copy()
    for k in ids:
        fl.loc[k, k] = sq[k]
    viol = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            r = abs(mm["cor_lv"].loc[a, b])
            if r >= min(sq[a], sq[b]):
                viol.append({"construct_1": a, "construct_2": b, "correlation": mm["cor_lv"].loc[a, b],
                             "sqrt_ave_1": sq[a], "sqrt_ave_2": sq[b]})
    h, h2 = _htmt(c.items, c.data), _htmt(c.items, c.data, htmt2=True)
    flags = [{"construct_1": a, "construct_2": b, "htmt": h.loc[a, b], "htmt2": h2.loc[a, b],
              "above_85": bool(h.loc[a, b] > HTMT_THRESHOLDS[0]), "above_90": bool(h.loc[a, b] > HTMT_THRESHOLDS[1])}
             for i, a in enumerate(ids) for b in ids[i + 1:]]
    scores = pd.DataFrame({k: c.data[its].mean(axis=1) for k, its in c.items.items()})
    z = lambda d: (d - d.mean()) / d.std(ddof=0)  # noqa: E731
    cl = pd.DataFrame(z(c.data).to_numpy().T @ z(scores).to_numpy() / len(scores),
                      index=c.data.columns, columns=ids)
    own = {it: k for k, its in c.items.items() for it in its}
    cl.insert(0, "own", [own[i] for i in cl.index])
    cl["highest_own"] = [cl.loc[i, ids].abs().idxmax() == own[i] for i in cl.index]
    cl.index.name = "item"
    cols = ["construct_1", "construct_2", "correlation", "sqrt_ave_1", "sqrt_ave_2"]
    return ValidityResults(
        fornell_larcker=fl, fornell_larcker_violations=pd.DataFrame(viol, columns=cols),
        htmt=h, htmt2=h2,
        htmt_flags=pd.DataFrame(flags, columns=["construct_1", "construct_2", "htmt", "htmt2", "above_85", "above_90"]),
        cross_loadings=cl, ave=mm["ave"], cr=mm["cr"], nobs=len(c.data), converged=mm["converged"],
        exclusions=c.exclusions)
