"""Measurement invariance across groups: the nested sequence, its difference tests, partial
invariance by score tests, and latent means.

Continuous items follow lavaan's ``group.equal`` and its identification (the marker item's
loading 1; equal intercepts free the latent means of groups 2+): configural -> metric
(loadings) -> scalar (+ intercepts) -> strict (+ residual variances), optionally -> means
(+ latent means).

Ordered items follow Wu & Estabrook (2016) as ``semTools::measEq.syntax(ID.fac = "std.lv",
ID.cat = "Wu.Estabrook.2016")`` writes the models: configural (latent means 0, variances 1,
latent-response intercepts 0 and scales 1 in every group) -> thresholds (equal thresholds;
intercepts and scales free in groups 2+) -> metric (+ loadings; factor variances free in groups
2+) -> scalar (+ intercepts, all 0; latent means free in groups 2+) -> strict (+ residual
variances; semTools fits it under the theta parameterization, with the latent responses'
residual variances free in groups 2+, which the engine does not fit yet: refused). With three categories (two thresholds), the
thresholds step has the configural model's degrees of freedom: it is not testable and is
reported so.

The difference tests are those of :func:`govstats.sem.compare.compare` (lavaan's
``lavTestLRT``); the fit changes are judged against Chen (2007): a drop in CFI of .010 or more
together with a rise in RMSEA of .015 or more or in SRMR of .030 (metric) or .010 (later steps).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govstats.sem.compare import CHEN_2007, Comparison, compare
from govstats.sem.options import partial_kinds
from govstats.sem.score_tests import ScoreTests, score_tests

__all__ = ["invariance", "InvarianceResults", "wu_estabrook_syntax", "index_suffix", "LEVELS"]

# what each step adds to the equalities of the steps before it
LEVELS = {"configural": (), "thresholds": ("thresholds",), "metric": ("loadings",), "scalar": ("intercepts",),
          "strict": ("residuals",), "means": ("means",)}
CONTINUOUS_LEVELS = ("configural", "metric", "scalar", "strict")
ORDINAL_LEVELS = ("configural", "thresholds", "metric", "scalar")


@dataclass
class InvarianceResults:
    """The invariance sequence (:func:`invariance`).

    Attributes
    ----------
    fits : dict
        Step name -> :class:`~govstats.SEMResults`, in the order fitted.
    comparison : Comparison
        Each step against the one before (:func:`govstats.compare`).
    table : DataFrame
        One row per step: the difference test, the fit measures and their changes, Chen's
        (2007) flags and ``decision`` ("holds", "fails", "not testable").
    syntax : dict
        Step name -> the model syntax fitted (ordered items: written as semTools does).
    group_labels : list
    ordinal : bool
    notes : list of str
    """

    fits: dict
    comparison: Comparison
    table: pd.DataFrame
    syntax: dict
    group_labels: list
    ordinal: bool
    alpha: float = 0.05
    notes: list = field(default_factory=list)
    _data: pd.DataFrame | None = field(default=None, repr=False)

    def score_tests(self, level: str) -> ScoreTests:
        """Score tests for releasing each equality of a step (``lavTestScore``), ML-family fits."""
        return score_tests(self._fit(level))

    def suggest_partial(self, level: str, max_free: int = 10) -> pd.DataFrame:
        """A sequence of equalities to free at a failing step, one at a time, by score tests.

        At each round the equality with the largest univariate score statistic (p < ``alpha``)
        is freed across all groups (lavaan's ``group.partial``), the step is refitted, and its
        difference test against the step before is recomputed; the rounds stop when that test
        and Chen's criteria hold, when no score test is significant, or after ``max_free``.
        A suggestion to weigh against the items' content, not a rule: ML-family fits only.

        Returns
        -------
        DataFrame
            One row per freed parameter: ``free`` (the group_partial entry), ``score_X2`` and
            ``score_pvalue`` of its largest univariate test, then the refitted step's
            ``chisq_diff``, ``df_diff``, ``pvalue_diff``, ``delta_cfi`` and ``decision``.
            Pass ``list(table.free)`` as ``partial=`` to :func:`invariance` to fit the result.
        """
        from govstats.sem.fit import fit

        steps = list(self.fits)
        if level not in steps or steps.index(level) == 0:
            raise ValueError(f"The 'level' parameter of suggest_partial must be a step after the first: "
                             f"{steps[1:]}. Got {level!r} instead.")
        if self.ordinal:
            raise ValueError("suggest_partial uses score tests, which govstats computes for ML-family fits; "
                             "for ordered items, free parameters by content and refit with partial=.")
        previous = self.fits[steps[steps.index(level) - 1]]
        current = self.fits[level]
        opts = dict(current.options)
        partial = list(opts.get("group_partial") or ())
        rows = []
        for _ in range(max_free):
            uni = score_tests(current).univariate
            uni = uni[~uni.parameter.isin(partial)].sort_values("X2", ascending=False)
            if uni.empty or uni.pvalue.iat[0] >= self.alpha:
                break
            top = uni.iloc[0]
            partial.append(top.parameter)
            opts["group_partial"] = tuple(partial)
            current = fit(current.syntax, self._data, **opts)
            step_table = _decide(compare(previous, current, names=["previous", level]).table, self.alpha)
            row = step_table.iloc[1]
            rows.append({"free": top.parameter, "groups": top.groups, "score_X2": top.X2, "score_pvalue": top.pvalue,
                         "chisq_diff": row.chisq_diff, "df_diff": row.df_diff, "pvalue_diff": row.pvalue_diff,
                         "delta_cfi": row.get("delta_cfi", np.nan), "decision": row.decision})
            if row.decision == "holds":
                break
        return pd.DataFrame(rows, columns=["free", "groups", "score_X2", "score_pvalue", "chisq_diff", "df_diff",
                                           "pvalue_diff", "delta_cfi", "decision"])

    def _fit(self, level: str):
        if level not in self.fits:
            raise ValueError(f"The 'level' parameter must be one of {list(self.fits)}. Got {level!r} instead.")
        return self.fits[level]

    def latent_means(self, level: str | None = None) -> pd.DataFrame:
        """Latent means of groups 2+ against the first group (its means are fixed at 0) in the
        last step that identifies them (scalar, or the given ``level``): est, se, z, pvalue, and the
        standardized mean (std.lv, the group's own factor SD) with its delta-method SE, as lavaan's
        ``standardizedSolution()``."""
        if level is None:
            level = next((lv for lv in ("scalar", "strict") if lv in self.fits and
                          self.table.at[lv, "decision"] != "fails"), None)
            if level is None:
                raise ValueError("latent_means: no scalar (or strict) step holds, so latent means are not comparable; "
                                 "pass level= to see them anyway, or free non-invariant intercepts (partial=).")
        res = self._fit(level)
        p = res.params
        lv = set(res._bound.model.names.lv)
        rows = p[(p.op == "~1") & p.lhs.isin(lv) & (p.free > 0)]
        if rows.empty:
            raise ValueError(f"latent_means: the {level} step has no free latent means (they are identified only "
                             "once intercepts, or thresholds and intercepts, are held equal).")
        std = res.standardized
        std = std[(std.op == "~1") & std.lhs.isin(lv)]
        out = rows[["lhs", "group", "est", "se", "z", "pvalue"]].rename(columns={"lhs": "factor"}).copy()
        out["group_label"] = [res.group_labels[g - 1] for g in out.group]
        merged = out.merge(std[["lhs", "group", "est_std", "se"]].rename(
            columns={"lhs": "factor", "est_std": "std", "se": "std_se"}), on=["factor", "group"], how="left")
        return merged[["factor", "group", "group_label", "est", "se", "z", "pvalue", "std", "std_se"]]

    def summary(self) -> str:
        kind = "ordered items (Wu & Estabrook 2016)" if self.ordinal else "continuous items (lavaan's group.equal)"
        fits = list(self.fits.values())
        lines = [f"Measurement invariance across {len(self.group_labels)} groups ({', '.join(map(str, self.group_labels))}), "
                 f"{kind}; estimator {fits[0].estimator}", ""]
        x = index_suffix(self.table)
        cols = [c for c in ("df", "chisq", "chisq_diff", "df_diff", "pvalue_diff", f"cfi{x}", f"delta_cfi{x}",
                            f"rmsea{x}", f"delta_rmsea{x}", "srmr", "delta_srmr", "chen_flags", "decision")
                if c in self.table]
        lines.append(self.table[cols].to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))
        lines += ["", self._method_note()]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _method_note(self) -> str:
        m = self.comparison.method
        test = {"standard": "chi-square difference", "satorra.bentler.2001": "Satorra-Bentler (2001) scaled difference",
                "satorra.2000": "Satorra (2000) scaled-shifted difference"}[m]
        return (f"Difference test: {test} (lavaan's lavTestLRT); a step fails when p < {self.alpha} or, by Chen (2007), "
                "CFI drops by .010 or more together with RMSEA rising .015 or more or SRMR .030 (metric) / .010.")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.table.to_html(float_format=lambda v: f"{v:.3f}",
                                                                              na_rep="")


def invariance(model, data: pd.DataFrame, group: str, ordered=None, estimator: str | None = None,
               levels=None, partial=(), alpha: float = 0.05, **fit_options) -> InvarianceResults:
    """Fit the measurement-invariance sequence across groups and test each step.

    Parameters
    ----------
    model : str or Instrument
        lavaan-style measurement syntax (``=~`` lines; factor covariances allowed), or an
        instrument (its measurement part).
    data : DataFrame
    group : str
        Column of group labels (districts, respondent roles).
    ordered : True or list of str, optional
        Ordered items (WLSMV by default): the Wu & Estabrook (2016) sequence.
    estimator : str, optional
        As :func:`govstats.fit` (ML, MLR, WLSMV, ...).
    levels : sequence of str, optional
        Steps, in order: continuous ``configural, metric, scalar, strict`` (default) and
        optionally ``means``; ordered ``configural, thresholds, metric, scalar`` (``strict`` is
        refused: see the module's docstring).
    partial : sequence of str
        Parameters left free across groups in every step (lavaan's ``group.partial``):
        ``"f=~x2"``, ``"x3~1"``, ``"x1|t2"``.
    alpha : float
        Level of the difference tests.
    **fit_options
        Further options of :func:`govstats.fit` (``missing``, ``cluster``, ``std_lv`` ...).

    Returns
    -------
    InvarianceResults

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import invariance
    >>> from govstats.resources import instruments_dir
    >>> d = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> inv = invariance("AU =~ AU1 + AU2 + AU3 + AU4", d, group="district")
    >>> list(inv.table.index)
    ['configural', 'metric', 'scalar', 'strict']
    """
    from govstats.sem.fit import fit

    if not isinstance(group, str) or not group:
        raise ValueError(f"The 'group' parameter of invariance must be a column name. Got {group!r} instead.")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of invariance must be a DataFrame. Got {type(data).__name__} instead.")
    if group not in data.columns:
        raise ValueError(f"The 'group' parameter of invariance names {group!r}, which is not a column of the data.")
    if "group_equal" in fit_options or "group" in fit_options:
        raise ValueError("invariance chooses group_equal for each step; pass the steps as levels= and exceptions as "
                         "partial=.")
    if not 0 < alpha < 1:
        raise ValueError(f"The 'alpha' parameter of invariance must be between 0 and 1. Got {alpha!r} instead.")
    syntax, frame = _measurement(model, data, group)
    measurement = _factors(syntax)
    is_ordinal = ordered is not None and ordered is not False
    allowed = ORDINAL_LEVELS + ("strict",) if is_ordinal else CONTINUOUS_LEVELS + ("means",)
    levels = tuple(ORDINAL_LEVELS if is_ordinal else CONTINUOUS_LEVELS) if levels is None else tuple(levels)
    bad = [lv for lv in levels if lv not in allowed]
    if bad or not levels or len(set(levels)) != len(levels):
        raise ValueError(f"The 'levels' parameter of invariance must list distinct steps of {list(allowed)} "
                         f"({'ordered' if is_ordinal else 'continuous'} items). Got {list(levels)!r} instead.")
    if levels[0] != "configural":
        raise ValueError(f"The 'levels' parameter of invariance must start with 'configural'. Got {list(levels)!r}.")
    partial = [partial] if isinstance(partial, str) else list(partial or [])
    unknown = [p for p in partial if not partial_kinds(p)]
    if unknown:
        raise ValueError(f"The 'partial' parameter of invariance must list single parameters such as 'f=~x2', "
                         f"'x3~1' or 'x1|t2'. Got {unknown!r} instead.")
    notes: list[str] = []
    fits, syntaxes = {}, {}
    equal: list[str] = []
    n_groups = frame[group].dropna().nunique()
    if n_groups < 2:
        raise ValueError(f"invariance needs at least two groups in column {group!r}; it has {n_groups}.")
    if is_ordinal:
        items = [it for its in measurement.values() for it in its]
        ordered_items = items if ordered is True else [str(v) for v in ordered]
        if sorted(ordered_items) != sorted(items):
            raise ValueError("invariance with ordered items treats every item of the model as ordered; "
                             f"pass ordered=True. Got ordered={ordered!r} for items {items}.")
        thresholds = {it: int(pd.to_numeric(frame[it], errors="coerce").dropna().nunique()) - 1 for it in items}
        if "strict" in levels:
            # semTools tests it under the theta parameterization, where the residual variances of the
            # latent responses are parameters free in groups 2+; the engine fixes them (issue 14)
            raise ValueError("invariance: strict invariance of ordered items needs residual variances of the latent "
                             "responses free in groups 2+ (theta parameterization), which govstats does not fit yet; "
                             "use levels=('configural', 'thresholds', 'metric', 'scalar').")
        parameterization = "delta"
        if min(thresholds.values()) <= 2 and "thresholds" in levels:
            notes.append("with three categories the thresholds step is equivalent to the configural model "
                         "(Wu & Estabrook 2016): not testable.")
    for lv in levels:
        equal += list(LEVELS[lv])
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            if is_ordinal:
                text = wu_estabrook_syntax(measurement, syntax, n_groups, thresholds, equal, partial,
                                           parameterization)
                res = fit(text, frame, group=group, ordered=ordered_items, estimator=estimator,
                          parameterization=parameterization, **fit_options)
            else:
                text = syntax
                # lavaan ignores a group.partial entry no equality covers; fit refuses it, so each
                # step gets the entries its equalities cover
                covered = tuple(p for p in partial if set(partial_kinds(p)) & set(equal))
                res = fit(text, frame, group=group, estimator=estimator, group_equal=tuple(equal),
                          group_partial=covered, **fit_options)
        fits[lv], syntaxes[lv] = res, text
    comparison = compare(*fits.values(), names=list(fits))
    table = comparison.table.reindex(list(fits))
    table = _decide(table, alpha)
    labels = list(next(iter(fits.values())).group_labels)
    return InvarianceResults(fits, comparison, table, syntaxes, labels, is_ordinal, alpha, notes, frame)


def index_suffix(table: pd.DataFrame) -> str:
    """Which CFI/RMSEA judge the steps: robust where every step has them (MLR; WLSMV's only
    before equalities touch thresholds, as lavaan), else scaled (WLSMV), else the plain ones."""
    for suffix in ("_robust", "_scaled"):
        if f"cfi{suffix}" in table and table[f"cfi{suffix}"].notna().all():
            return suffix
    return ""


def _decide(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    table = table.copy()
    suffix = index_suffix(table)
    d_cfi = table[f"cfi{suffix}"].diff()
    d_rmsea = table[f"rmsea{suffix}"].diff()
    d_srmr = table["srmr"].diff() if "srmr" in table else pd.Series(np.nan, index=table.index)
    flags, decisions = [], []
    for k, step in enumerate(table.index):
        if k == 0:
            flags.append("")
            decisions.append("")
            continue
        srmr_limit = CHEN_2007["srmr_loadings"] if step == "metric" else CHEN_2007["srmr_intercepts"]
        f = []
        if d_cfi.iat[k] <= CHEN_2007["cfi"]:
            f.append("CFI")
        if d_rmsea.iat[k] >= CHEN_2007["rmsea"]:
            f.append("RMSEA")
        if d_srmr.iat[k] >= srmr_limit:
            f.append("SRMR")
        flags.append(",".join(f))
        chen_fails = "CFI" in f and ("RMSEA" in f or "SRMR" in f)
        if table["df_diff"].iat[k] == 0:
            decisions.append("not testable")
        elif table["pvalue_diff"].iat[k] < alpha or chen_fails:
            decisions.append("fails")
        else:
            decisions.append("holds")
    table["chen_flags"] = flags
    table["decision"] = decisions
    return table


def _measurement(model, data: pd.DataFrame, group: str) -> tuple[str, pd.DataFrame]:
    """The measurement syntax and the data to fit (an instrument's frame prepared as fit does)."""
    if hasattr(model, "constructs"):
        from govstats.data.analysis_frame import analysis_frame

        constructs = [c for c in model.modeled_constructs if len(c.item_ids) >= 2]
        syntax = "\n".join(f"{c.id} =~ {' + '.join(c.item_ids)}" for c in constructs)
        cols = [i for c in constructs for i in c.item_ids]
        frame = analysis_frame(model, data, cols + [group], "invariance").data
        return syntax, frame
    if not isinstance(model, str):
        raise ValueError(f"The 'model' parameter of invariance must be lavaan-style syntax or an Instrument. "
                         f"Got {type(model).__name__} instead.")
    return model, data


def _factors(syntax: str) -> dict[str, list[str]]:
    from govstats.sem.syntax import parse_model

    formulas = parse_model(syntax)
    factors: dict[str, list[str]] = {}
    for f in formulas:
        if f.op == "=~":
            factors.setdefault(f.lhs, []).extend(t.name for t in f.terms)
        elif f.op != "~~":
            raise ValueError(f"invariance tests a measurement model: line {f.line} ('{f.lhs} {f.op} ...') is not part "
                             "of one. Give the '=~' lines (and factor covariances); test structural paths across "
                             "groups with fit(..., group_equal=['regressions']) and compare().")
    if not factors:
        raise ValueError("invariance needs a measurement model: at least one 'factor =~ item + item' line.")
    return factors


def wu_estabrook_syntax(measurement: dict, syntax: str, groups: int, thresholds: dict, equal, partial=(),
                        parameterization: str = "delta") -> str:
    """The model of one step for ordered items, written as ``semTools::measEq.syntax(ID.fac =
    "std.lv", ID.cat = "Wu.Estabrook.2016")`` writes it (``equal``: the group.equal kinds so far;
    ``partial``: parameters left free across groups)."""
    equal, partial = set(equal), set(partial)
    later = lambda fixed, free_later: "c(" + ", ".join([fixed] + [free_later] * (groups - 1)) + ")"
    each = lambda value: "c(" + ", ".join([value] * groups) + ")"
    per_group = lambda stem: "c(" + ", ".join(f"{stem}.g{g}" for g in range(1, groups + 1)) + ")"
    lines = ["## LOADINGS:"]
    for f, items in measurement.items():
        for it in items:
            name = f"lambda.{it}.{f}"
            labels = each(name) if "loadings" in equal and f"{f}=~{it}" not in partial else per_group(name)
            lines.append(f"{f} =~ {each('NA')}*{it} + {labels}*{it}")
    lines.append("## THRESHOLDS:")
    items = [it for its in measurement.values() for it in its]
    for it in dict.fromkeys(items):
        for k in range(1, thresholds[it] + 1):
            name = f"{it}.thr{k}"
            labels = each(name) if "thresholds" in equal and f"{it}|t{k}" not in partial else per_group(name)
            lines.append(f"{it} | {each('NA')}*t{k} + {labels}*t{k}")
    lines.append("## INTERCEPTS:")
    thresholds_equal = "thresholds" in equal
    for it in dict.fromkeys(items):
        if "intercepts" in equal and f"{it}~1" not in partial:
            values = each("0")
        else:
            values = later("0", "NA") if thresholds_equal else each("0")
        lines.append(f"{it} ~ {values}*1")
    if parameterization == "delta":
        lines.append("## SCALING FACTORS:")
        for it in dict.fromkeys(items):
            lines.append(f"{it} ~*~ {later('1', 'NA') if thresholds_equal else each('1')}*{it}")
    else:
        lines.append("## UNIQUE-FACTOR VARIANCES:")
        for it in dict.fromkeys(items):
            free_later = thresholds_equal and not ("residuals" in equal and f"{it}~~{it}" not in partial)
            lines.append(f"{it} ~~ {later('1', 'NA') if free_later else each('1')}*{it}")
    lines.append("## LATENT MEANS:")
    for f in measurement:
        means_free = "intercepts" in equal and "means" not in equal
        lines.append(f"{f} ~ {later('0', 'NA') if means_free else each('0')}*1")
    lines.append("## COMMON-FACTOR VARIANCES:")
    for f in measurement:
        lines.append(f"{f} ~~ {later('1', 'NA') if 'loadings' in equal else each('1')}*{f}")
    factors = list(measurement)
    if len(factors) > 1:
        lines.append("## COMMON-FACTOR COVARIANCES:")
        for i, a in enumerate(factors):
            for b in factors[i + 1:]:
                lines.append(f"{a} ~~ {each('NA')}*{b}")
    return "\n".join(lines) + "\n"
