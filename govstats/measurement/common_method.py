"""Common-method bias: Harman's single-factor test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from govstats._threads import single_threaded

from govstats.measurement.factoring import extract


@dataclass
class HarmanResult:
    """Share of the items' total variance taken by one unrotated factor.

    ``first_component_share`` is the first eigenvalue of the correlation matrix over the number of
    items (the usual reading of Harman's test: unrotated principal components);
    ``first_factor_share`` is psych's ``Proportion Var`` of a one-factor minres solution. A share
    above ``threshold`` (.50) suggests common-method variance.

    ``cfa_comparison`` (when a model was given): the single-factor CFA of all items against the
    correlated-factors measurement model (ML, lavaan's numbers): chi-square, df, CFI, TLI, RMSEA,
    SRMR, and the chi-square difference test. A single factor fitting about as well as the
    measurement model is the warning sign.
    """

    first_component_share: float
    first_factor_share: float
    n_items: int
    nobs: int
    threshold: float = 0.5
    cfa_comparison: pd.DataFrame | None = None

    @property
    def flagged(self) -> bool:
        return self.first_component_share > self.threshold

    def text(self) -> str:
        verdict = ("exceeds" if self.flagged else "is below")
        extra = ""
        if self.cfa_comparison is not None:
            one, mm = self.cfa_comparison.loc["single factor"], self.cfa_comparison.loc["measurement model"]
            worse = one["pvalue_diff"] < 0.05
            p = "< .001" if one["pvalue_diff"] < 0.001 else f"= {one['pvalue_diff']:.3f}"
            extra = (f" A single-factor CFA {'fits significantly worse than' if worse else 'fits about as well as'} "
                     f"the measurement model: chi2 difference = {one['chisq_diff']:.2f} on {one['df_diff']:.0f} df, "
                     f"p {p}; "
                     f"CFI {one['cfi']:.3f} vs {mm['cfi']:.3f}, RMSEA {one['rmsea']:.3f} vs {mm['rmsea']:.3f}.")
        return (f"Harman's single-factor test: the first unrotated component accounts for "
                f"{100 * self.first_component_share:.1f}% of the variance of {self.n_items} items "
                f"(one-factor minres: {100 * self.first_factor_share:.1f}%), which {verdict} the "
                f"{100 * self.threshold:.0f}% threshold (N = {self.nobs})." + extra)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        from govstats.measurement.tables import html_table

        parts = [html_table("Harman's single-factor test", self.to_frame().round(3))]
        if self.cfa_comparison is not None:
            parts.append(html_table("Single-factor CFA against the measurement model", self.cfa_comparison.round(3)))
        return "".join(parts)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"first_component_share": self.first_component_share,
                              "first_factor_share": self.first_factor_share, "n_items": self.n_items,
                              "nobs": self.nobs, "flagged": self.flagged}])


def single_factor_cfa(model, data: pd.DataFrame, reverse: Sequence[str] = ()) -> pd.DataFrame:
    """Fit measures of the measurement model and of one factor behind all its items, and their
    chi-square difference (reverse-keyed items reversed first)."""
    from scipy import stats

    from govstats.measurement.constructs import resolve
    from govstats.sem.fit import fit

    c = resolve(model, data, reverse, function="harman")
    one = "CMV =~ " + " + ".join(c.data.columns)
    rows = {}
    for label, syntax in (("measurement model", c.syntax()), ("single factor", one)):
        f = fit(syntax, c.data, std_lv=True).fit_measures
        rows[label] = {k: float(f[k]) for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")}
    out = pd.DataFrame(rows).T
    d_chisq = out.loc["single factor", "chisq"] - out.loc["measurement model", "chisq"]
    d_df = out.loc["single factor", "df"] - out.loc["measurement model", "df"]
    out["chisq_diff"] = [np.nan, d_chisq]
    out["df_diff"] = [np.nan, d_df]
    out["pvalue_diff"] = [np.nan, stats.chi2.sf(d_chisq, d_df)]
    return out


def harman(data: pd.DataFrame, items: Sequence[str] | None = None, threshold: float = 0.5,
           model=None, reverse: Sequence[str] = ()) -> HarmanResult:
    """Harman's single-factor test on the item columns.

    Parameters
    ----------
    data : DataFrame
    items : sequence of str, optional
        Item columns (an instrument's: ``[i for c in inst.constructs for i in c.item_ids]``);
        by default every numeric column.
    threshold : float
        Share above which common-method variance is suspected.
    model : Instrument, str or mapping, optional
        With a measurement model, also compare a single-factor CFA with it (``cfa_comparison``);
        ``items`` default to the model's items.
    reverse : sequence of str
        Further reverse-keyed items for that comparison.

    Returns
    -------
    HarmanResult

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.measurement import harman
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("grid_governance"))
    >>> h = harman(simulate(inst, 400, seed=1).responses, [i for c in inst.constructs for i in c.item_ids])
    >>> h.flagged
    False
    """
    if not 0 < threshold < 1:
        raise ValueError(f"The 'threshold' parameter of harman must be one of {{a number in (0, 1)}}. "
                         f"Got {threshold!r} instead.")
    from govstats.measurement.constructs import resolve
    from govstats.measurement.efa import item_frame

    if model is not None and items is None:
        items = [i for its in resolve(model, data, reverse, function="harman").items.values() for i in its]
    from govstats.instrument import Instrument

    if isinstance(model, Instrument):  # the instrument says what an answer is: see analysis_frame
        from govstats.data.analysis_frame import analysis_frame

        data = analysis_frame(model, data, columns=items, function="harman").data
    x, _ = item_frame(data, items, "harman")
    r = x.corr().to_numpy()
    p = len(r)
    with single_threaded():  # see efa: small L-BFGS-B problems
        lam = extract(r, 1, "minres")
    return HarmanResult(first_component_share=float(np.linalg.eigvalsh(r)[-1] / p),
                        first_factor_share=float((lam**2).sum() / p), n_items=p, nobs=len(x), threshold=threshold,
                        cfa_comparison=None if model is None else single_factor_cfa(model, data, reverse))
