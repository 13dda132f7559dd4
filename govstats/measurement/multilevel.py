"""Residents within communities: ICC(1), ICC(2), design effects, rwg(j), within and between correlations.

Can a construct be treated as a property of the community (aggregated to community means), and
what does clustering do to its standard errors? ``multilevel()`` answers per construct score and
per item with the statistics of R's multilevel and psych packages (see
:mod:`govstats.measurement.aggregation`) and flags them against the usual criteria.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from govstats.data.analysis_frame import exclusions_text
from govstats.errors import DataError
from govstats.measurement.aggregation import (DESIGN_EFFECT_CUTOFF, ICC1_CUTOFF, ICC2_CUTOFF, RWG_CUTOFF,
                                              mixed_icc, one_way, rwg_j, within_between)
from govstats.measurement.constructs import model_items
from govstats.measurement.tables import html_table, text_table

STAT_COLUMNS = ["n", "clusters", "singletons", "mean_size", "icc1", "icc1_ci_lower", "icc1_ci_upper", "icc1_mixed",
                "icc2", "design_effect", "n_effective", "categories", "rwg_mean", "rwg_median", "rwg_share",
                "rwg_clusters", "icc1_ok", "icc2_ok", "rwg_ok", "model_clustering"]


@dataclass
class MultilevelResults:
    """Aggregation statistics of every construct score and item.

    Attributes
    ----------
    table : DataFrame
        One row per construct score (the mean of its items, reverse-keyed items reversed; only
        respondents who answered every item of the construct): ``k`` (items), ``n``
        (respondents), ``clusters``, ``singletons`` (clusters of one respondent), ``mean_size``
        (n / clusters), ``icc1`` with ``icc1_ci_lower``, ``icc1_ci_upper`` (one-way ANOVA, as
        ``multilevel::ICC1`` and ``psych::statsBy``), ``icc1_mixed`` (tau00 / (tau00 + sigma2)
        of statsmodels' MixedLM, REML; NaN with ``mixed=False``), ``icc2``
        (``multilevel::ICC2``), ``design_effect`` (1 + (mean_size - 1) icc1), ``n_effective``
        (n / design_effect), ``categories`` (A of the uniform null), ``rwg_mean``,
        ``rwg_median`` and ``rwg_share`` (share above .70) of rwg(j) over the ``rwg_clusters``
        clusters with two respondents or more (``multilevel::rwg.j``), and the flags
        ``icc1_ok`` (icc1 > .059), ``icc2_ok`` (icc2 > .70), ``rwg_ok`` (mean rwg(j) > .70),
        ``model_clustering`` (design effect > 2).
    items : DataFrame
        The same per item (``construct`` names its construct; rwg as ``multilevel::rwg``),
        each item on every respondent who answered it.
    rwg : DataFrame
        rwg(j) of every construct (columns) in every cluster (rows; NaN for clusters of one).
    within, between : DataFrame
        Correlations of the construct scores within and between clusters, as
        ``psych::statsBy``'s ``rwg`` (deviations from the cluster means) and ``rbg`` (cluster means,
        each cluster weighted by its respondents).
    within_items, between_items : DataFrame
        The same for the items.
    cluster : str
    nobs, n_clusters : int
        Respondents with a cluster label (and, with an instrument, kept by its rules); clusters.
    exclusions : dict
        With an instrument, respondents left out and why (see
        :func:`govstats.data.analysis_frame.analysis_frame`), and ``no_cluster``: rows without a
        cluster label.
    notes : list of str
        How categories were found, constructs whose rwg(j) could not be computed, mixed-model fits
        on the boundary.
    """

    table: pd.DataFrame
    items: pd.DataFrame
    rwg: pd.DataFrame
    within: pd.DataFrame
    between: pd.DataFrame
    within_items: pd.DataFrame
    between_items: pd.DataFrame
    cluster: str
    nobs: int
    n_clusters: int
    exclusions: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """``{"constructs": {ID: {...}}, "items": {...}, "within": {...}, "between": {...}, ...}`` (NaN as null)."""
        def rows(t):
            return {str(i): {k: _plain(v) for k, v in r.items()} for i, r in t.iterrows()}

        def matrix(m):
            return {str(a): {str(b): _plain(m.loc[a, b]) for b in m.columns} for a in m.index}

        return {"cluster": self.cluster, "nobs": self.nobs, "n_clusters": self.n_clusters,
                "constructs": rows(self.table), "items": rows(self.items), "within": matrix(self.within),
                "between": matrix(self.between), "rwg": rows(self.rwg), "exclusions": self.exclusions,
                "notes": list(self.notes)}

    def to_json(self, path) -> Path:
        """Write :meth:`to_dict` as UTF-8 JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    def text(self, digits: int = 3, items: bool = True) -> str:
        """The aggregation table (constructs, then items) and the within/between correlations, as plain text."""
        out = []
        used = exclusions_text(self.exclusions) if "n_input" in self.exclusions else ""
        if used:
            out.append(used)
        if self.exclusions.get("no_cluster"):
            out.append(f"{self.exclusions['no_cluster']} respondents without a '{self.cluster}' label left out")
        out.append(text_table("Table. Clustering and aggregation of the construct scores",
                              aggregation_view(self.table), self._note(), digits))
        if items:
            out.append(text_table("Table. Clustering of the items", aggregation_view(self.items),
                                  "Note. Each item on every respondent who answered it; rwg: multilevel::rwg "
                                  "(single item).", digits))
        both = self.within.copy()
        upper = np.triu(np.ones(both.shape, dtype=bool), k=1)
        both = both.where(~upper, self.between)
        both.index.name = "Construct"
        out.append(text_table("Table. Correlations of the construct scores within (below the diagonal) and between "
                              f"{self.cluster} (above)", both,
                              "Note. Within: correlations of deviations from the cluster means (psych::statsBy rwg); "
                              "between: correlations of the cluster means over respondents (statsBy rbg).", digits))
        out += [f"note: {n}" for n in self.notes]
        return "\n\n".join(out)

    def _note(self) -> str:
        return (f"Note. N = {self.nobs} respondents in {self.n_clusters} clusters ({self.cluster}). Scores: means "
                "of the construct's items (reverse-keyed reversed) of respondents who answered all of them. "
                "ICC(1) and ICC(2): one-way ANOVA with k = N / J (multilevel::ICC1/ICC2), 95% CI from the F "
                "distribution (psych::statsBy); mixed: REML random-intercept model (statsmodels MixedLM); "
                "deff: design effect 1 + (k - 1) ICC(1); N eff: N / deff; rwg(j): uniform null over A categories, "
                "mean and median over clusters of two or more, share > .70. Aggregation is supported (agg) when "
                f"ICC(1) > {ICC1_CUTOFF:g}, ICC(2) > {ICC2_CUTOFF:.2f} and mean rwg(j) > {RWG_CUTOFF:.2f}; "
                f"deff > {DESIGN_EFFECT_CUTOFF:g}: model the clustering (multilevel model or cluster-robust SEs).")

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return (html_table("Clustering and aggregation of the construct scores", aggregation_view(self.table))
                + html_table("Clustering of the items", aggregation_view(self.items)))


def aggregation_view(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a reader needs, with short headings, and the flags in words."""
    t = pd.DataFrame(index=table.index)
    t.index.name = table.index.name or ""
    t["N"] = table["n"]
    t["J"] = table["clusters"]
    t["ICC(1)"] = table["icc1"]
    t["CI low"] = table["icc1_ci_lower"]
    t["CI high"] = table["icc1_ci_upper"]
    t["mixed"] = table["icc1_mixed"]
    t["ICC(2)"] = table["icc2"]
    t["deff"] = table["design_effect"]
    t["N eff"] = ["" if np.isnan(v) else str(int(round(v))) for v in table["n_effective"]]
    t["rwg mean"] = table["rwg_mean"]
    t["rwg mdn"] = table["rwg_median"]
    t[">.70"] = table["rwg_share"]
    t["flags"] = [flag_words(r) for r in table.itertuples()]
    return t


def flag_words(row) -> str:
    """"agg" when every aggregation criterion holds, else the ones that fail; "deff>2" to model clustering."""
    failed = [name for name, ok in (("ICC1", row.icc1_ok), ("ICC2", row.icc2_ok), ("rwg", row.rwg_ok)) if not ok]
    words = ["agg"] if not failed else ["low " + "/".join(failed)]
    if row.model_clustering:
        words.append("deff>2")
    return ", ".join(words)


def _plain(v):
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    return v


def _cluster_codes(data: pd.DataFrame, cluster, function: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row has a label, integer code per labelled row, labels) of the cluster column."""
    if not isinstance(cluster, str) or not cluster:
        raise ValueError(f"The 'cluster' parameter of {function} must be the name of the column that holds each "
                         f"respondent's cluster (e.g. 'community_id'). Got {cluster!r} instead.")
    if cluster not in data.columns:
        raise DataError(f"The 'cluster' parameter of {function} names the column {cluster!r}, which the data do not "
                        f"have (their columns start {[str(c) for c in data.columns[:10]]}). Give the column that "
                        "holds each respondent's community, e.g. cluster='community_id'.")
    column = data[cluster]
    if isinstance(column, pd.DataFrame):
        raise DataError(f"{function}: the data have more than one column named {cluster!r} (the 'cluster' "
                        "parameter); rename or drop the extra column(s).")
    labels = column.astype("string").str.strip()
    has = labels.notna().to_numpy() & (labels.fillna("") != "").to_numpy()
    codes, uniques = pd.factorize(labels[has], sort=True)
    return has, codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _numeric_items(data: pd.DataFrame, cols: list[str], function: str) -> pd.DataFrame:
    """Item columns as float; text or an infinite value is refused with its column and row."""
    out = {}
    for c in cols:
        column = data[c]
        if isinstance(column, pd.DataFrame):
            raise ValueError(f"The 'data' parameter of {function} has more than one column named {c!r}; rename or "
                             "drop the extra column(s) so that each item has one column.")
        blank = column.isna() | (column.astype("string").str.strip() == "").fillna(True)
        x = pd.to_numeric(column.where(~blank), errors="coerce").astype(float)
        bad = (~blank & (x.isna() | np.isinf(x))).to_numpy()
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            where = (f"row {k + 2} (header = row 1)" if isinstance(data.index, pd.RangeIndex) and data.index.start == 0
                     and data.index.step == 1 else f"index {data.index[k]!r}")
            raise DataError(f"{function}: column {c!r} holds {column.iloc[k]!r} at {where}"
                            f"{f' and {int(bad.sum()) - 1} more values' if bad.sum() > 1 else ''} that are not "
                            "numbers; recode or blank them (or pass an Instrument, whose scales say which codes "
                            "are answers).")
        out[c] = x
    return pd.DataFrame(out, index=data.index)


def _categories(categories, described, x: pd.DataFrame, items: dict, function: str) -> tuple[dict, list]:
    """Categories A per item for the uniform null of rwg, and the notes on how they were found."""
    notes = []
    cols = list(x.columns)
    if categories is None:
        found = dict(described.categories)
        guessed = {}
        for cid, its in items.items():
            open_items = [i for i in its if i not in found]
            if open_items:
                lo, hi = np.nanmin(x[open_items].to_numpy()), np.nanmax(x[open_items].to_numpy())
                a = int(round(hi - lo)) + 1 if np.isfinite(lo) else 0
                for i in open_items:
                    found[i] = a
                guessed[cid] = (lo, hi, a)
        if guessed:
            notes.append("rwg: the number of categories A was taken from the observed range of each construct's items ("
                         + ", ".join(f"{c}: {lo:g}..{hi:g} -> {a}" for c, (lo, hi, a) in guessed.items())
                         + "); pass categories= (or an Instrument) if a scale has categories nobody chose.")
        return found, notes
    if isinstance(categories, (int, np.integer)) and not isinstance(categories, bool) and categories >= 2:
        return {c: int(categories) for c in cols}, notes
    if isinstance(categories, dict):
        bad = {k: v for k, v in categories.items() if isinstance(v, bool) or not isinstance(v, (int, np.integer))
               or v < 2}
        unknown = [k for k in categories if k not in cols and k not in items]
        if not bad and not unknown:
            found = {}
            for cid, its in items.items():
                for i in its:
                    found[i] = int(categories.get(i, categories.get(cid, 0)))
            missing = [i for i, a in found.items() if not a]
            if not missing:
                return found, notes
            raise ValueError(f"The 'categories' parameter of {function} must give a number for every item (or its "
                             f"construct). Got none for {missing} instead.")
    raise ValueError(f"The 'categories' parameter of {function} must be one of {{None, an integer >= 2, a mapping "
                     f"item or construct -> integer >= 2}}. Got {categories!r} instead.")


def _stats_row(y: np.ndarray, codes: np.ndarray, labels: np.ndarray, level: float, mixed: bool) -> tuple[dict, str]:
    r = one_way(y, codes, level)
    icc_mixed, note = float("nan"), ""
    if mixed and not r.msw > 0:  # MixedLM needs variance within clusters (its residual variance)
        note = "no MixedLM estimate: no variance within clusters"
    elif mixed:
        icc_mixed, note = mixed_icc(y, labels[codes], r)
    return {"n": r.n, "clusters": r.clusters, "singletons": r.singletons, "mean_size": r.mean_size, "icc1": r.icc1,
            "icc1_ci_lower": r.icc1_ci_lower, "icc1_ci_upper": r.icc1_ci_upper, "icc1_mixed": icc_mixed,
            "icc2": r.icc2, "design_effect": r.design_effect, "n_effective": r.n_effective}, note


def _rwg_summary(values: np.ndarray, categories: int) -> dict:
    ok = values[~np.isnan(values)]
    return {"categories": categories, "rwg_mean": float(ok.mean()) if len(ok) else np.nan,
            "rwg_median": float(np.median(ok)) if len(ok) else np.nan,
            "rwg_share": float((ok > RWG_CUTOFF).mean()) if len(ok) else np.nan, "rwg_clusters": len(ok)}


def _flags(row: dict) -> dict:
    # NaN compares False: a statistic that cannot be computed never supports aggregation
    return {"icc1_ok": bool(row["icc1"] > ICC1_CUTOFF), "icc2_ok": bool(row["icc2"] > ICC2_CUTOFF),
            "rwg_ok": bool(row["rwg_mean"] > RWG_CUTOFF),
            "model_clustering": bool(row["design_effect"] > DESIGN_EFFECT_CUTOFF)}


def multilevel(model, data: pd.DataFrame, cluster: str = "community_id", *, reverse: Sequence[str] = (),
               categories=None, level: float = 0.95, mixed: bool = True) -> MultilevelResults:
    """ICC(1) with CI, ICC(2), design effect, rwg(j) and within/between correlations per construct and item.

    Matches R's multilevel 2.7 (``ICC1``, ``ICC2`` on ``aov(y ~ factor(cluster))``, ``rwg``,
    ``rwg.j``) and psych 2.2.9 (``statsBy``: ICC1, ICC2, ``ci1``, ``rwg``, ``rbg``) to 1.1e-14 on
    the committed fixtures (tests/reference/multilevel/); the MixedLM ICC matches lme4's REML
    ``lmer(y ~ 1 + (1 | cluster))`` within 6.4e-6 on ri_asset_messy.csv.

    Parameters
    ----------
    model : Instrument, str or mapping
        An instrument (its scales give the categories of rwg's null, reverse-keyed items are
        reversed, declared missing codes are blanks and respondents with off-scale codes or
        without consent are left out), lavaan-style measurement syntax (``F =~ a + b + c``), or
        a mapping construct -> item columns.
    data : DataFrame
        One row per respondent with the item columns and the cluster column.
    cluster : str
        The column of each respondent's cluster (community). Rows without a label are left out
        and counted; clusters of one respondent count in the ICCs (as in ``aov``) and have no
        rwg.
    reverse : sequence of str
        Further reverse-keyed items, reversed before the construct scores are formed (an
        instrument's own are reversed anyway): by the scale's codes with an instrument, else within
        the observed range (max + min - code), as ``reliability``.
    categories : int or mapping, optional
        Number of answer categories A of rwg(j)'s uniform null ((A^2 - 1) / 12), for all items or
        per item or construct. Taken from the instrument's scales; without an instrument, from
        the observed range of each construct's items (said in ``notes``).
    level : float
        Confidence level of the ICC(1) interval.
    mixed : bool
        Also estimate ICC(1) by a random-intercept MixedLM (about 0.1 s per item and construct).

    Returns
    -------
    MultilevelResults

    Notes
    -----
    Blanks: each item is analysed on every respondent who answered it (pairwise per item, as
    statsBy); a construct score only for respondents who answered all its items (listwise per
    scale, as ``rwg.j``'s ``na.exclude``); the correlations pairwise (statsBy's default).

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import multilevel
    >>> df = pd.DataFrame({"c": list("AAABBBCCC"), "x1": [1, 2, 2, 4, 5, 4, 3, 3, 2],
    ...                    "x2": [2, 2, 1, 5, 4, 4, 3, 2, 3]})
    >>> res = multilevel({"F": ["x1", "x2"]}, df, cluster="c", categories=5, mixed=False)
    >>> res.table.loc["F", ["icc1", "icc2"]].round(3).tolist()
    [0.955, 0.985]
    """
    function = "multilevel"
    from govstats.instrument import Instrument

    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of {function} must be a pandas DataFrame. "
                         f"Got {type(data).__name__} instead.")
    if not 0 < level < 1 or isinstance(level, bool):
        raise ValueError(f"The 'level' parameter of {function} must be one of {{a number in (0, 1)}}. "
                         f"Got {level!r} instead.")
    if not isinstance(mixed, bool):
        raise ValueError(f"The 'mixed' parameter of {function} must be one of {{True, False}}. Got {mixed!r} instead.")
    described = model_items(model, reverse, function)
    items = described.items
    cols = list(dict.fromkeys(it for its in items.values() for it in its))
    unknown = [r for r in described.reverse if r not in cols]
    if unknown:
        raise ValueError(f"The 'reverse' parameter of {function} must name items of the model. Got {unknown} instead.")
    _cluster_codes(data, cluster, function)  # the cluster column is checked before the items
    exclusions: dict = {}
    if isinstance(model, Instrument):
        from govstats.data.analysis_frame import analysis_frame

        frame = analysis_frame(model, data, columns=cols, function=function)
        data, exclusions = frame.data, dict(frame.exclusions)
    else:
        absent = [c for c in cols if c not in data.columns]
        if absent:
            raise ValueError(f"The 'data' parameter of {function} must have a column for every item. "
                             f"Got no column for {absent} instead.")
    has, codes, labels = _cluster_codes(data, cluster, function)
    exclusions["no_cluster"] = int((~has).sum())
    x = _numeric_items(data, cols, function).loc[has].reset_index(drop=True)
    if len(labels) < 2:
        raise DataError(f"The cluster column {cluster!r} (the 'cluster' parameter of {function}) has "
                        f"{len(labels)} cluster{'' if len(labels) == 1 else 's'} among the {len(x)} respondents "
                        f"with a label{f': {labels[0]!r}' if len(labels) == 1 else ''}; ICCs and rwg compare "
                        "clusters and need at least two (and many more to be trustworthy).")
    for it in described.reverse:
        lo, hi = described.bounds.get(it, (x[it].min(), x[it].max()))
        x[it] = hi + lo - x[it]
    per_item, notes = _categories(categories, described, x, items, function)

    item_rows, construct_rows, rwg_columns = [], [], {}
    for cid, its in items.items():
        for it in its:
            answered = x[it].notna().to_numpy()
            if answered.sum() < 2 or len(np.unique(codes[answered])) < 2:
                raise DataError(f"{function}: item {it!r} is answered by {int(answered.sum())} respondent(s) in "
                                f"{len(np.unique(codes[answered]))} cluster(s); its ICC needs two clusters or more.")
            row, note = _stats_row(x[it].to_numpy()[answered], codes[answered], labels, level, mixed)
            if note:
                notes.append(f"{it}: {note}")
            row.update(_rwg_summary(rwg_j(x[[it]].to_numpy()[answered], codes[answered], per_item[it]),
                                    per_item[it]))
            item_rows.append({"name": it, "construct": cid, **row, **_flags(row)})
        complete = x[its].notna().all(axis=1).to_numpy()
        if complete.sum() < 2 or len(np.unique(codes[complete])) < 2:
            raise DataError(f"{function}: only {int(complete.sum())} respondent(s) answered every item of {cid!r} "
                            f"({its}); its score needs respondents in two clusters or more.")
        score = x.loc[complete, its].mean(axis=1).to_numpy()
        row, note = _stats_row(score, codes[complete], labels, level, mixed)
        if note:
            notes.append(f"{cid}: {note}")
        a = {per_item[i] for i in its}
        if len(a) == 1:
            values = rwg_j(x.loc[complete, its].to_numpy(), codes[complete], a.pop())
            values = np.concatenate([values, np.full(len(labels) - len(values), np.nan)])
            row.update(_rwg_summary(values, per_item[its[0]]))
        else:
            values = np.full(len(labels), np.nan)
            row.update(_rwg_summary(values, 0))
            notes.append(f"{cid}: no rwg(j): its items have different numbers of categories "
                         f"({ {i: per_item[i] for i in its} }), and rwg(j) has one null distribution per scale")
        rwg_columns[cid] = values
        construct_rows.append({"name": cid, "k": len(its), **row, **_flags(row)})
    table = pd.DataFrame(construct_rows).set_index("name")
    table.index.name = "Construct"
    item_table = pd.DataFrame(item_rows).set_index("name")
    item_table.index.name = "Item"
    scores = pd.DataFrame({cid: x[its].mean(axis=1, skipna=False) for cid, its in items.items()})
    within, between = within_between(scores, codes)
    within_items, between_items = within_between(x, codes)
    rwg = pd.DataFrame(rwg_columns, index=pd.Index(labels, name=cluster))
    return MultilevelResults(table=table[["k"] + STAT_COLUMNS], items=item_table[["construct"] + STAT_COLUMNS],
                             rwg=rwg, within=within, between=between, within_items=within_items,
                             between_items=between_items, cluster=cluster, nobs=len(x), n_clusters=len(labels),
                             exclusions=exclusions if isinstance(model, Instrument) or exclusions["no_cluster"]
                             else {}, notes=notes)
