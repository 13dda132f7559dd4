"""Exploratory factor analysis with its adequacy checks, matched to psych::fa, KMO, cortest.bartlett
and fa.parallel."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from govstats._threads import single_threaded

from govstats.data.analysis_frame import exclusions_text
from govstats.measurement.adequacy import bartlett, kmo
from govstats.measurement.factoring import METHODS, ROTATIONS, extract, finish, rotate, variance_accounted
from govstats.measurement.parallel import parallel_analysis
from govstats.measurement.tables import fmt, html_table, text_table

CORRELATIONS = ("pearson", "polychoric")


def item_frame(data: pd.DataFrame, items, function: str) -> tuple[pd.DataFrame, list[str]]:
    """The numeric item columns, and why any were left out (constant or empty items have no
    correlations; they are reported, not raised, as problems in response data are)."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of {function} must be a pandas DataFrame. "
                         f"Got {type(data).__name__} instead.")
    twice = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
    if items is not None:
        twice = [c for c in twice if c in set(map(str, items))]
    if twice:
        raise ValueError(f"The 'data' parameter of {function} has more than one column named {twice}; rename or "
                         f"drop the extra column(s) so that each item has one column.")
    if items is None:
        x = data.select_dtypes("number")
    else:
        absent = [i for i in items if i not in data.columns]
        if absent:
            raise ValueError(f"The 'items' parameter of {function} must name columns of data. Got {absent} instead.")
        x = data[list(items)].apply(pd.to_numeric, errors="coerce")
    # inf is no answer on any scale: a blank, as text is (to_numeric above)
    x = x.astype(float).replace([np.inf, -np.inf], np.nan)
    problems = [f"{c}: left out, it has fewer than two distinct answers" for c in x.columns if x[c].nunique() < 2]
    x = x[[c for c in x.columns if x[c].nunique() >= 2]]
    if x.shape[1] < 3:
        raise ValueError(f"The 'data' parameter of {function} must have at least 3 items with varying answers. "
                         f"Got {x.shape[1]} instead.")
    return x, problems


@dataclass
class EFAResults:
    """Everything reviewers ask of an EFA.

    Attributes
    ----------
    kmo : float
        Overall Kaiser-Meyer-Olkin measure of sampling adequacy.
    kmo_items : Series
        MSA of every item.
    bartlett : dict
        ``chisq``, ``df``, ``p`` of Bartlett's test of sphericity.
    scree : DataFrame
        Parallel analysis: observed and simulated (mean and 95th percentile) eigenvalues of
        components (``pc_*``) and factors (``fa_*``).
    n_suggested, n_components_suggested : int
        Factors and components retained by parallel analysis.
    n_factors : int
        Factors extracted (``n_suggested`` unless given).
    loadings : DataFrame
        Pattern loadings, items x factors (``MR1``... as psych names them).
    communalities, uniquenesses : Series
    factor_correlations : DataFrame or None
        Phi, for oblique rotations.
    variance : DataFrame
        SS loadings, proportion and cumulative variance, as psych's ``Vaccounted``.
    problems : list of str
        Items left out (constant or empty), with the reason.
    exclusions : dict
        With an instrument: respondents left out before the analysis and why, and answers with
        declared missing codes read as blank (:func:`govstats.data.analysis_frame.analysis_frame`).
    """

    kmo: float
    kmo_items: pd.Series
    bartlett: dict
    scree: pd.DataFrame
    n_suggested: int
    n_components_suggested: int
    n_factors: int
    method: str
    rotation: str | None
    loadings: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    factor_correlations: pd.DataFrame | None
    variance: pd.DataFrame
    nobs: int
    problems: list[str]
    exclusions: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: every table as nested dicts."""
        nested = lambda m: {str(a): {str(b): float(m.loc[a, b]) for b in m.columns} for a in m.index}  # noqa: E731
        return {
            "nobs": self.nobs, "method": self.method, "rotation": self.rotation, "n_factors": self.n_factors,
            "kmo": self.kmo, "kmo_items": {k: float(v) for k, v in self.kmo_items.items()},
            "bartlett": self.bartlett, "parallel": {"n_factors": self.n_suggested,
                                                    "n_components": self.n_components_suggested,
                                                    "scree": self.scree.to_dict(orient="records")},
            "loadings": nested(self.loadings),
            "communalities": {k: float(v) for k, v in self.communalities.items()},
            "uniquenesses": {k: float(v) for k, v in self.uniquenesses.items()},
            "factor_correlations": None if self.factor_correlations is None else nested(self.factor_correlations),
            "variance": nested(self.variance),
            "problems": self.problems,
            "exclusions": self.exclusions,
        }

    def to_json(self, path) -> Path:
        """Write :meth:`to_dict` as UTF-8 JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    def text(self, digits: int = 3, suppress: float = 0.30) -> str:
        """APA-style EFA table (loadings below ``suppress`` left blank) with adequacy in the note."""
        t = self.loadings.where(self.loadings.abs() >= suppress)
        t["h2"] = self.communalities
        t.index.name = "Item"
        v = self.variance.loc[["SS loadings", "Proportion Var"]]
        b = self.bartlett
        p = "< .001" if b["p"] < 0.001 else f"= {b['p']:.3f}".replace("0.", ".")
        note = (f"Note. N = {self.nobs}. {self.method} extraction, {self.rotation or 'no'} rotation; loadings below "
                f"{fmt(suppress, 2)} not shown; h2: communality. KMO = {self.kmo:.3f}; Bartlett's test "
                f"chi2({b['df']:.0f}) = {b['chisq']:.2f}, p {p}. Parallel analysis suggests {self.n_suggested} "
                f"factors ({self.n_components_suggested} components).")
        used = exclusions_text(self.exclusions)
        parts = ([used] if used else []) + [
            text_table("Table. Exploratory factor analysis: pattern loadings", t, note, digits),
                 text_table("Variance accounted for", v, "", digits)]
        if self.factor_correlations is not None:
            parts.append(text_table("Factor correlations", self.factor_correlations, "", digits))
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return html_table("EFA pattern loadings", self.loadings.round(3)) + html_table("Variance", self.variance.round(3))


def _prefix(method: str) -> str:
    return {"minres": "MR", "ml": "ML", "principal": "PC"}[method]


def efa(data: pd.DataFrame, n_factors: int | None = None, method: str = "minres", rotation: str | None = "oblimin",
        cor: str = "pearson", items: Sequence[str] | None = None, n_iter: int = 20, seed: int = 1,
        instrument=None) -> EFAResults:
    """KMO, Bartlett's test, parallel analysis and an exploratory factor analysis.

    Numbers as psych: ``KMO``, ``cortest.bartlett``, ``fa.parallel`` (observed eigenvalues; the
    simulated ones are seeded numpy draws, so they match psych in distribution, not digit by digit),
    and ``fa(x, nfactors, fm = method, rotate = rotation)`` (loadings, communalities, uniquenesses,
    Phi, Vaccounted; factors ordered and signed as psych does).

    Parameters
    ----------
    data : DataFrame
        Item responses, or any frame with ``items`` naming the item columns. Correlations are
        pairwise, as psych's default.
    n_factors : int, optional
        Factors to extract; by default the number parallel analysis suggests.
    method : {"minres", "ml", "principal"}
    rotation : {"oblimin", "promax", "varimax", "geomin", None}
        ``geomin`` is the oblique geomin (psych's ``geominQ``).
    cor : {"pearson", "polychoric"}
        Polychoric: two-step ML on complete rows (:func:`govstats.measurement.polychoric.polychoric`).
    items : sequence of str, optional
        Columns to analyse; by default every numeric column.
    n_iter, seed : int
        Simulated data sets of parallel analysis, and their seed.
    instrument : Instrument, optional
        The instrument the responses answer: ``items`` default to its construct items, its
        declared missing codes are blanks, and respondents with off-scale codes or without
        consent are left out and counted (``exclusions``). Without it, values are taken as
        they are.

    Returns
    -------
    EFAResults

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.measurement import efa
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("grid_governance"))
    >>> df = simulate(inst, 500, seed=3).responses
    >>> res = efa(df, items=[i for c in inst.constructs for i in c.item_ids])
    >>> res.n_suggested, res.loadings.shape
    (7, (30, 7))
    >>> bool(res.kmo > 0.8)
    True
    """
    if method not in METHODS:
        raise ValueError(f"The 'method' parameter of efa must be one of {set(METHODS)}. Got {method!r} instead.")
    if rotation not in ROTATIONS:
        raise ValueError(f"The 'rotation' parameter of efa must be one of {set(ROTATIONS)}. Got {rotation!r} instead.")
    if cor not in CORRELATIONS:
        raise ValueError(f"The 'cor' parameter of efa must be one of {set(CORRELATIONS)}. Got {cor!r} instead.")
    exclusions: dict = {}
    if instrument is not None:
        from govstats.data.analysis_frame import analysis_frame

        if items is None:
            items = [i.id for i in instrument.items]
        frame = analysis_frame(instrument, data, columns=items, function="efa")
        data, exclusions = frame.data, frame.exclusions
    x, problems = item_frame(data, items, "efa")
    names = list(x.columns)
    if cor == "polychoric":
        from govstats.measurement.polychoric import polychoric

        # two-step polychorics need complete rows; count them as psych counts n for polychorics
        r = polychoric(x).to_numpy()
    else:
        r = x.corr().to_numpy()
    n = len(x)  # psych::cortest.bartlett and fa.parallel count every row, answered pairwise
    if n_factors is not None and not (isinstance(n_factors, (int, np.integer)) and 1 <= n_factors < len(names)):
        raise ValueError(f"The 'n_factors' parameter of efa must be one of {{1, ..., {len(names) - 1}}}. "
                         f"Got {n_factors!r} instead.")
    overall, per_item = kmo(r)
    # scipy's L-BFGS-B on these small problems is ~30x slower with a multi-threaded BLAS
    with single_threaded():
        scree, n_fa, n_pc = parallel_analysis(r, n, n_iter=n_iter, seed=seed)
        k = int(n_factors) if n_factors is not None else max(n_fa, 1)
        pattern, phi = finish(*rotate(extract(r, k, method), rotation))
    cols = [f"{_prefix(method)}{i + 1}" for i in range(k)]
    h2 = np.diag(pattern @ (phi if phi is not None else np.eye(k)) @ pattern.T)
    variance = pd.DataFrame(variance_accounted(pattern, phi, len(names)), columns=cols,
                            index=["SS loadings", "Proportion Var", "Cumulative Var", "Proportion Explained",
                                   "Cumulative Proportion"])
    return EFAResults(
        kmo=overall, kmo_items=pd.Series(per_item, index=names, name="msa"), bartlett=bartlett(r, n),
        scree=scree, n_suggested=n_fa, n_components_suggested=n_pc, n_factors=k, method=method, rotation=rotation,
        loadings=pd.DataFrame(pattern, index=names, columns=cols),
        communalities=pd.Series(h2, index=names, name="h2"), uniquenesses=pd.Series(1 - h2, index=names, name="u2"),
        factor_correlations=None if phi is None else pd.DataFrame(phi, index=cols, columns=cols),
        variance=variance, nobs=n, problems=problems, exclusions=exclusions)
