"""``validate``: the pilot item analysis, EFA, and the main sample's CFA, with a suggested action per item.

This package sits above :mod:`govstats.measurement` (the statistics) and
:mod:`govstats.instrument` (the definition and its ``validation:`` record): validating an
instrument uses both, and neither needs to know about the workflow.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from govstats.data.analysis_frame import exclusions_text
from govstats.measurement.item_analysis import item_analysis, item_data
from govstats.measurement.tables import fmt, html_table, text_table
from govstats.validation.criteria import Criteria, judge
from govstats.instrument.versions import version_warnings

FIT_INDICES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")


@dataclass
class ValidationResults:
    """Everything :func:`validate` found: per-item table and actions, EFA, and the main sample's CFA.

    Attributes
    ----------
    items : DataFrame
        One row per item: the item analysis (:mod:`govstats.measurement.item_analysis`), its EFA
        loading on its construct's factor (``efa_loading``, ``efa_factor``) and its largest other
        loading (``efa_cross``, ``efa_cross_factor``), with a main sample its standardized CFA
        loading (``cfa_loading``), each criterion met or not (``ok_*``), the count of unmet
        statistical criteria (``unmet``), the suggested ``action`` and its ``reason``.
    constructs : DataFrame
        Per construct: items, pilot alpha, the EFA factor matched to it; with a main sample also
        alpha, omega, CR and AVE there.
    efa : EFAResults
        The pilot EFA with as many factors as constructs, reverse-keyed items reversed, with
        KMO, Bartlett's test and parallel analysis (``efa.n_suggested``).
    reliability : ReliabilityResults or None
        On the main sample.
    fit_measures : dict
        The main sample's correlated-factors CFA (ML): chisq, df, pvalue, cfi, tli, rmsea, srmr.
    criteria : Criteria
    instrument : str
        ``"<id> <version>"``.
    n_pilot, n_main : int
        Respondents analysed (the item analysis uses each construct's complete rows).
    exclusions : dict
        Pilot respondents left out and why.
    """

    items: pd.DataFrame
    constructs: pd.DataFrame
    efa: object
    criteria: Criteria
    instrument: str
    instrument_version: str
    n_pilot: int
    reliability: object = None
    fit_measures: dict = field(default_factory=dict)
    n_main: int | None = None
    exclusions: dict = field(default_factory=dict)

    @property
    def suggestions(self) -> pd.DataFrame:
        """The items whose suggested action is not "keep": ``item, construct, action, reason``."""
        s = self.items[self.items["action"] != "keep"]
        return s[["item", "construct", "action", "reason"]].reset_index(drop=True)

    def record(self, pilot_where: str | None = None, pilot_when: str | None = None,
               main_where: str | None = None, main_when: str | None = None, date: str | None = None) -> dict:
        """The ``validation:`` entry for this run (see :mod:`govstats.instrument.validation_section`),
        figures rounded to 4 decimals; ``dropped`` is filled in when it is written."""
        r4 = lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), 4)  # noqa: E731
        pilot = {"n": int(self.n_pilot)}
        pilot.update({k: v for k, v in (("where", pilot_where), ("when", pilot_when)) if v})
        pilot["alpha"] = {c: r4(v) for c, v in self.constructs["pilot_alpha"].items()}
        pilot["kmo"] = r4(self.efa.kmo)
        pilot["factors"] = int(self.efa.n_suggested)
        entry = {"version": self.instrument_version, "date": date or _dt.date.today().isoformat(), "pilot": pilot}
        if self.reliability is not None:
            main = {"n": int(self.n_main)}
            main.update({k: v for k, v in (("where", main_where), ("when", main_when)) if v})
            for key, col in (("alpha", "main_alpha"), ("cr", "main_cr"), ("ave", "main_ave")):
                main[key] = {c: r4(v) for c, v in self.constructs[col].items()}
            main["fit"] = {k: r4(v) for k, v in self.fit_measures.items() if r4(v) is not None}
            entry["main"] = main
        entry["items"] = list(self.items["item"])
        entry["suggested"] = [{"item": r.item, "action": r.action, "reason": r.reason}
                              for r in self.suggestions.itertuples()]
        return entry

    def to_dict(self) -> dict:
        items = self.items.replace({np.nan: None}).to_dict(orient="records")
        out = {"instrument": self.instrument, "n_pilot": self.n_pilot, "n_main": self.n_main,
               "criteria": self.criteria.to_dict(), "items": items,
               "constructs": self.constructs.replace({np.nan: None}).reset_index().to_dict(orient="records"),
               "efa": self.efa.to_dict(), "fit_measures": self.fit_measures, "exclusions": self.exclusions}
        if self.reliability is not None:
            out["reliability"] = self.reliability.to_dict()
        return out

    def to_json(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2,
                                   default=lambda v: v.item() if hasattr(v, "item") else str(v)), encoding="utf-8")
        return path

    # -- presentation ----------------------------------------------------------------------
    def item_table(self) -> pd.DataFrame:
        """The item-analysis table as a paper prints it."""
        cr = ("cr_t", "cr_p") if self.criteria.cr_test == "student" else ("welch_t", "welch_p")
        cols = {"construct": "Construct", cr[0]: "CR t", cr[1]: "p", "citc": "CITC",
                "alpha_if_deleted": "Alpha if del.", "mean": "M", "sd": "SD", "skew": "Skew", "kurtosis": "Kurt.",
                "floor": "Floor", "ceiling": "Ceiling", "share_blank": "Blank", "efa_loading": "EFA",
                "efa_cross": "Cross"}
        if "cfa_loading" in self.items:
            cols["cfa_loading"] = "CFA"
        cols.update({"unmet": "Unmet", "action": "Action"})
        t = self.items.set_index("item")[list(cols)].rename(columns=cols)
        t.index.name = "Item"
        return t

    def text(self, digits: int = 3) -> str:
        c = self.criteria
        test = "Student's t (pooled variance)" if c.cr_test == "student" else "Welch's t"
        e = self.efa
        note = (f"Note. Pilot N = {self.n_pilot}. CR: critical ratio, {test} of the top and bottom 27% on the "
                f"construct total; CITC: corrected item-total r; EFA: loading on the construct's factor "
                f"({e.method}, {e.rotation}, {e.n_factors} factors; parallel analysis suggests {e.n_suggested}); "
                f"Cross: largest other loading. Criteria: CR p < {fmt(c.alpha_level, 2)}, CITC >= "
                f"{fmt(c.citc_min, 2)}, alpha not rising on deletion, loading >= {fmt(c.loading_min, 2)}, "
                f"cross-loading < {fmt(c.cross_max, 2)}; floor/ceiling <= {c.extreme_max:.0%}; blank <= "
                f"{c.blank_max:.0%}. Drop at {c.drop_unmet} or more unmet.")
        parts = [f"Validation of {self.instrument}"]
        used = exclusions_text(self.exclusions)
        if used:
            parts.append(used)
        parts.append(text_table("Table. Item analysis", self.item_table(), note, digits))
        cons = self.constructs.copy()
        cons.index.name = "Construct"
        parts.append(text_table("Table. Constructs", cons, "", digits))
        if self.fit_measures:
            f = self.fit_measures
            parts.append(f"Main sample CFA (ML, N = {self.n_main}): chi2({f['df']:.0f}) = {f['chisq']:.2f}, "
                         f"CFI = {f['cfi']:.3f}, TLI = {f['tli']:.3f}, RMSEA = {f['rmsea']:.3f}, "
                         f"SRMR = {f['srmr']:.3f}")
        lines = ["Suggested actions (nothing is changed in the instrument):"]
        for r in self.items.itertuples():
            lines.append(f"  {r.item:<8} {r.action:<15} {r.reason}")
        parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html(standalone=False)

    def html(self, standalone: bool = True) -> str:
        """The report as HTML (a whole UTF-8 page when ``standalone``)."""
        actions = self.items.set_index("item")[["construct", "action", "reason"]]
        actions.index.name = "Item"
        body = [f"<h1>Validation of {html.escape(self.instrument)}</h1>",
                f"<p>{html.escape(exclusions_text(self.exclusions))}</p>" if self.exclusions else "",
                html_table("Item analysis", self.item_table()),
                html_table("Suggested actions (nothing is changed in the instrument)", actions),
                html_table("Constructs", self.constructs),
                html_table("EFA pattern loadings (pilot)", self.efa.loadings.round(3))]
        if self.fit_measures:
            fm = pd.DataFrame([self.fit_measures], index=["main sample CFA"])
            body.append(html_table("Fit of the measurement model", fm))
        if self.reliability is not None:
            body.append(self.reliability.validity._repr_html_())
        inner = "\n".join(b for b in body if b)
        if not standalone:
            return inner
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Validation</title><style>"
                "body{font-family:'Noto Sans CJK SC',sans-serif} table{border-collapse:collapse;margin-bottom:1em}"
                "td,th{padding:2px 8px;border-bottom:1px solid #ccc;text-align:right}</style></head><body>"
                f"{inner}</body></html>")

    def write_html(self, path) -> Path:
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path


def match_factors(loadings: pd.DataFrame, constructs: dict[str, list[str]]) -> dict[str, str]:
    """Construct -> EFA factor: the one-to-one assignment that maximizes the summed loadings of
    each construct's items on its factor (Hungarian algorithm)."""
    from scipy.optimize import linear_sum_assignment

    names = [c for c in constructs]
    gain = np.array([[loadings.loc[constructs[c], f].sum() for f in loadings.columns] for c in names])
    rows, cols = linear_sum_assignment(-gain)
    return {names[i]: loadings.columns[j] for i, j in zip(rows, cols)}


def efa_columns(loadings: pd.DataFrame, constructs: dict[str, list[str]], factor_of: dict[str, str]) -> pd.DataFrame:
    """Per item: the factor of its construct, its loading there, its largest other loading and where."""
    rows = []
    for cid, its in constructs.items():
        own = factor_of.get(cid)
        for it in its:
            if it not in loadings.index:
                rows.append({"item": it, "efa_factor": own, "efa_loading": np.nan, "efa_cross": np.nan,
                             "efa_cross_factor": None})
                continue
            others = loadings.loc[it].drop(own) if own is not None else loadings.loc[it]
            k = others.abs().idxmax() if len(others) else None
            rows.append({"item": it, "efa_factor": own,
                         "efa_loading": float(loadings.loc[it, own]) if own is not None else np.nan,
                         "efa_cross": float(abs(others[k])) if k is not None else 0.0, "efa_cross_factor": k})
    return pd.DataFrame(rows)


def main_sample(instrument, main: pd.DataFrame):
    """Reliability and validity of the main sample, its CFA fit measures and standardized loadings."""
    from govstats.measurement.constructs import resolve
    from govstats.measurement.reliability import reliability
    from govstats.sem.fit import fit

    rel = reliability(instrument, main)
    c = resolve(instrument, main, function="validate")
    res = fit(c.syntax(), c.data, std_lv=True)
    fm = {k: float(res.fit_measures[k]) for k in FIT_INDICES if k in res.fit_measures}
    p = res.params
    loads = p[p.op == "=~"].set_index("rhs")["std_all"].astype(float)
    return rel, fm, loads, len(c.data)


def validate(instrument, pilot: pd.DataFrame, main: pd.DataFrame | None = None, criteria: Criteria | None = None,
             seed: int = 1, group_share: float = 0.27) -> ValidationResults:
    """Pilot item analysis, EFA and, with a main sample, CFA with reliability and validity; a
    suggested action per item (keep, review wording, drop) with its reason. Nothing is changed.

    Parameters
    ----------
    instrument : Instrument
        Its constructs with two or more items are analysed; reverse-keyed items are reversed
        for the construct-based statistics.
    pilot : DataFrame
        The pilot responses (read as every analysis reads them: declared missing codes blank,
        respondents with off-scale codes or without consent left out and counted).
    main : DataFrame, optional
        The main sample: CFA (ML, correlated factors, ``std.lv``), reliability (alpha, omega,
        CR, AVE) and validity (Fornell-Larcker, HTMT), and each item's standardized loading.
    criteria : Criteria, optional
        Thresholds (CITC .30 by default; ``Criteria(citc_min=0.40)`` for the stricter reading,
        ``cr_test="welch"`` to judge the critical ratio by Welch's test).
    seed : int
        Seed of the parallel analysis.
    group_share : float
        Share of each extreme group of the critical ratio (.27).

    Returns
    -------
    ValidationResults

    Warns
    -----
    VersionMismatchWarning
        When a sample holds items that a version recorded in the instrument's ``validation:``
        history dropped: it was probably collected with that version.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.data.pilot import simulate_pilot
    >>> from govstats.resources import seed_instrument_path
    >>> from govstats.validation import validate
    >>> inst = load_instrument(seed_instrument_path("grid_governance"))
    >>> pilot = simulate_pilot(inst, 300, seed=1)
    >>> res = validate(inst, pilot.responses)
    >>> sorted(res.suggestions["item"]) == sorted(pilot.planted)
    True
    >>> res.suggestions.set_index("item")["action"].to_dict()
    {'VS4': 'drop', 'IS1': 'review wording', 'ID5': 'review wording'}
    """
    from govstats.instrument import Instrument
    from govstats.measurement.efa import efa

    if not isinstance(instrument, Instrument):
        raise ValueError(f"The 'instrument' parameter of validate must be an Instrument (load_instrument(path)). "
                         f"Got {type(instrument).__name__} instead.")
    criteria = Criteria() if criteria is None else criteria
    if not isinstance(criteria, Criteria):
        raise ValueError(f"The 'criteria' parameter of validate must be a Criteria. Got {type(criteria).__name__} "
                         "instead.")
    version_warnings(instrument, pilot, "The pilot responses")
    table = item_analysis(instrument, pilot, group_share=group_share)
    d = item_data(instrument, pilot, function="validate")
    scored = d.scored()
    result = efa(scored, n_factors=min(len(d.constructs), scored.shape[1] - 1), items=list(scored.columns), seed=seed)
    factor_of = match_factors(result.loadings, {k: [i for i in v if i in result.loadings.index]
                                                for k, v in d.constructs.items()})
    table = table.merge(efa_columns(result.loadings, d.constructs, factor_of), on="item", how="left")
    pilot_alpha = table.groupby("construct", sort=False)["construct_alpha"].first()
    constructs = pd.DataFrame({"k": [len(v) for v in d.constructs.values()],
                               "pilot_alpha": pilot_alpha.reindex(list(d.constructs)).to_numpy(),
                               "efa_factor": [factor_of.get(c) for c in d.constructs]},
                              index=list(d.constructs))
    rel, fm, n_main = None, {}, None
    if main is not None:
        version_warnings(instrument, main, "The main-study responses")
        rel, fm, loads, n_main = main_sample(instrument, main)
        table["cfa_loading"] = table["item"].map(loads).astype(float)
        for key, col in (("main_alpha", "alpha"), ("main_omega", "omega"), ("main_cr", "cr"), ("main_ave", "ave")):
            constructs[key] = rel.table[col].reindex(constructs.index).to_numpy()
    judged = judge(table, criteria)
    table = pd.concat([table, judged], axis=1)
    return ValidationResults(items=table, constructs=constructs, efa=result, criteria=criteria,
                             instrument=f"{instrument.id} {instrument.version}", instrument_version=instrument.version,
                             n_pilot=len(d.answers), reliability=rel,
                             fit_measures=fm, n_main=n_main, exclusions=d.exclusions)
