"""SEMResults: estimates, fit measures, a lavaan-like summary, HTML for notebooks, JSON."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SECTIONS = [("=~", "Latent Variables"), ("<~", "Composites"), ("~", "Regressions"), ("~~", "Covariances"), ("~1", "Intercepts"),
            ("|", "Thresholds"), ("~*~", "Scales y*"), (":=", "Defined Parameters")]


@dataclass
class SEMResults:
    """The result of :func:`govstats.fit`.

    Attributes
    ----------
    params : DataFrame
        One row per parameter, as lavaan's ``parameterEstimates(fit, standardized=TRUE)``:
        ``lhs, op, rhs, user, group, level, free, label, est, se, z, pvalue, ci_lower, ci_upper,
        std_lv, std_all``. ``free`` numbers the estimated parameters (0 when fixed); parameters
        held equal by a shared label or ``group_equal`` share one number (lavaan numbers each
        and adds ``==`` rows). ``level`` is 1 (0 for ``:=`` rows). Fixed parameters have ``se`` 0
        and ``z`` NaN.
    fit_measures : dict
        lavaan's ``fitMeasures()`` names with ``.`` written ``_``.
    standardized : DataFrame
        lavaan's ``standardizedSolution()``: std.all estimates with delta-method SEs.
    nobs, n_dropped : int
        Rows used, and rows left out because a model variable was missing (listwise).
    nobs_groups, group_labels : list
        Rows used per group, and the groups' labels in lavaan's order (first appearance).
    options : dict
        The normalized options: ``fit(model, data, **results.options)`` reproduces the fit.
    converged : bool
    seconds : float
        Wall time of estimation and inference, without reading data.
    """

    params: pd.DataFrame
    fit_measures: dict
    standardized: pd.DataFrame
    nobs: int
    n_dropped: int
    estimator: str
    converged: bool
    iterations: int
    seconds: float
    syntax: str
    group_labels: list = field(default_factory=list)
    warnings_: list = field(default_factory=list)
    se_type: str = "standard"
    test_type: str = "standard"
    options: dict = field(default_factory=dict)
    nobs_groups: list = field(default_factory=list)
    # With an Instrument: respondents left out before fitting and why (govstats.data.analysis_frame)
    exclusions: dict = field(default_factory=dict)
    _bound: object = field(default=None, repr=False)
    _theta: np.ndarray | None = field(default=None, repr=False)
    _vcov: np.ndarray | None = field(default=None, repr=False)
    # se="bootstrap" / test="bollen.stine": the draws (govstats.sem.bootstrap.BootstrapResult)
    bootstrap: object = field(default=None, repr=False)
    # efa blocks: (bound model, estimate) of the unrotated model, whose table is lavaan's parTable
    # (the user-7 rows fixed), while _bound is the rotated model (those rows free) that params,
    # vcov and predict() use
    _unrotated: tuple | None = field(default=None, repr=False)

    @property
    def _unrotated_table(self):
        return None if self._unrotated is None else self._unrotated[0].model.table

    @classmethod
    def from_estimate(cls, bound, opt, options, inference, seconds: float) -> "SEMResults":
        """Results of an estimate: the tables are built here, once."""
        from govstats.sem import trouble
        from govstats.sem.tables import results_tables

        params, standardized = results_tables(bound, opt.theta, inference.vcov)
        messages = list(inference.messages)
        trouble.heywood(params, messages)
        stats = bound.statistics
        return cls(params=params, fit_measures=inference.fit_measures, standardized=standardized,
                   nobs=stats.ntotal, n_dropped=stats.n_dropped, estimator=options.estimator,
                   converged=opt.converged, iterations=opt.iterations, seconds=seconds, syntax=bound.model.syntax,
                   group_labels=list(stats.group_labels), warnings_=messages, se_type=inference.se_type,
                   test_type=inference.test_type, options=options.to_dict(),
                   nobs_groups=[int(b.n) for b in stats.blocks], _bound=bound, _theta=opt.theta,
                   _vcov=inference.vcov)

    # -- lavaan's accessors -----------------------------------------------------------------
    def _free_rows(self) -> pd.DataFrame:
        p = self.params
        return p[p.free > 0]

    def _coef_names(self, rows: pd.DataFrame) -> list[str]:
        return _lavaan_names(rows)

    @property
    def coef(self) -> pd.Series:
        """Free parameters named as lavaan's ``coef()`` (``visual=~x2``, a label when given,
        ``.g2`` appended in later groups); parameters held equal appear once per row, as lavaan."""
        rows = self._free_rows()
        return pd.Series(rows.est.to_numpy(), index=self._coef_names(rows), name="est")

    @property
    def vcov(self) -> pd.DataFrame | None:
        """Covariance matrix of the estimates, aligned with :attr:`coef` (lavaan's ``vcov()``)."""
        if self._vcov is None:
            return None
        rows = self._free_rows()
        index = rows.free.to_numpy() - 1
        names = self._coef_names(rows)
        return pd.DataFrame(self._vcov[np.ix_(index, index)], index=names, columns=names)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals of the free and defined parameters (lavaan's ``parameterEstimates(level=)``):
        Wald, or after ``se="bootstrap"`` the bootstrap intervals of the fit's ``ci`` type."""
        if not 0 < level < 1:
            raise ValueError(f"The 'level' parameter of conf_int must be between 0 and 1. Got {level!r} instead.")
        if self.bootstrap is not None and self.bootstrap.requested:
            from govstats.sem.bootstrap import bootstrap_intervals

            return bootstrap_intervals(self, level)
        from govstats.sem.distributions import norm_ppf

        crit = float(norm_ppf(0.5 + level / 2))
        p = self.params[(self.params.free > 0) | (self.params.op == ":=")]
        return pd.DataFrame({"lhs": p.lhs, "op": p.op, "rhs": p.rhs, "group": p.group, "est": p.est,
                             "ci_lower": p.est - crit * p.se, "ci_upper": p.est + crit * p.se}).reset_index(drop=True)

    def fitted(self, group: int = 1) -> dict:
        """Model-implied moments (lavaan's ``fitted()``): ``cov`` and (with a mean structure)
        ``mean`` of the observed variables; for ordered items the implied correlations of the latent responses and the
        implied thresholds (``th``)."""
        block = self._bound.blocks[group - 1]
        names = list(self._bound.model.names.ov)
        if self._bound.model.is_ordinal:
            m, sigma, pieces = block.moments(self._theta)
            d = block.scale_factors(self._theta, sigma)
            cov = sigma * np.outer(d, d)
            np.fill_diagonal(cov, np.where(block.is_ordered, 1.0, np.diag(sigma)))
            th = pd.Series(m[block.layout.th], index=block.layout.threshold_names)
            return {"cov": pd.DataFrame(cov, index=names, columns=names), "th": th}
        sigma, mu = block.implied(self._theta)[:2]
        out = {"cov": pd.DataFrame(sigma, index=names, columns=names)}
        if self._bound.model.meanstructure:  # as lavaan: no implied means without a mean structure
            out["mean"] = pd.Series(mu, index=names)
        return out

    def predict(self, data: pd.DataFrame | None = None, method: str = "regression") -> pd.DataFrame:
        """Factor scores (lavaan's ``lavPredict``): ``"regression"`` (Thurstone) or ``"Bartlett"``;
        continuous ML fits (several groups: a ``group`` column), on the fitted data or new ``data``."""
        from govstats.sem.scores import factor_scores

        return factor_scores(self, data, method)

    def partable(self) -> pd.DataFrame:
        """The parameter table, as lavaan's ``parTable()``: ``id, lhs, op, rhs, user, group, free,
        ustart, exo, label`` (with efa blocks the unrotated model's, whose ``user = 7`` rows are fixed
        as lavaan's; the estimates are rotated). Parameters held equal (by a shared label or ``group_equal``) share one
        ``free`` number, where lavaan numbers each and adds ``==`` rows."""
        t = self._bound.model.table if self._unrotated_table is None else self._unrotated_table
        out = t[["lhs", "op", "rhs", "user", "group", "free", "ustart", "exo", "label"]].copy()
        out.insert(0, "id", np.arange(1, len(out) + 1))
        return out.reset_index(drop=True)

    def coverage(self, group: int = 1) -> pd.DataFrame:
        """Proportion of the respondents used who answered both variables of each pair (lavaan's
        ``lavInspect(fit, "coverage")``): below 1 only with ``missing="fiml"``, where it shows
        which covariances rest on few joint answers; 1 everywhere after listwise deletion."""
        block = self._bound.statistics.blocks[group - 1]
        names = list(self._bound.model.names.ov)
        if block.kind == "missing":
            values = block.coverage
        elif block.kind == "moments":
            values = np.ones((len(names), len(names)))
        else:
            raise ValueError("coverage() is for continuous fits (listwise or FIML); with ordered items each "
                             "statistic's rows are in the stage-1 results.")
        return pd.DataFrame(values, index=names, columns=names)

    def sample_statistics(self, group: int = 1):
        """What the fit read from the data for a group (lavaan's ``lavInspect(fit, "sampstat")``):
        :class:`~govstats.sem.statistics.Moments` (``n``, ``mean``, ``cov``) or
        :class:`~govstats.sem.statistics.OrdinalStatistics` (``stage1`` with thresholds, polychorics
        and Gamma; ``values`` in lavaan's ``wls.obs`` order), or with FIML
        :class:`~govstats.sem.missing_data.MissingPatterns` (the patterns; ``h1.mean`` and ``h1.cov``
        are the EM estimates, lavaan's ``lavInspect(fit, "sampstat.h1")``)."""
        return self._bound.statistics.blocks[group - 1]

    def __repr__(self) -> str:
        f = self.fit_measures
        chisq = f.get("chisq_scaled", f.get("chisq", float("nan")))
        return (f"<SEMResults {self.estimator}: {'converged' if self.converged else 'NOT converged'}, "
                f"N = {self.nobs}, npar = {int(f.get('npar', 0))}, chisq = {chisq:.3f}, df = {f.get('df', 0):.0f}, "
                f"CFI = {f.get('cfi', float('nan')):.3f}, RMSEA = {f.get('rmsea', float('nan')):.3f}>")

    # -- derived tables -------------------------------------------------------------------
    def r2(self) -> pd.Series:
        """R-squared of every endogenous variable (1 - standardized residual variance)."""
        p = self.params
        endogenous = set(p.loc[p.op.isin(["~", "<~"]), "lhs"]) | set(p.loc[p.op == "=~", "rhs"])
        rows = p[(p.op == "~~") & (p.lhs == p.rhs) & p.lhs.isin(endogenous)]
        return pd.Series(1 - rows.std_all.to_numpy(), index=rows.lhs.to_numpy(), name="r2")

    def residual_correlations(self, group: int = 1) -> pd.DataFrame:
        """Observed minus implied correlations (lavaan's residuals(type = "cor"))."""
        if self._bound.model.is_ordinal:
            implied = self.fitted(group)["cov"].to_numpy()
            block, d = self._bound.blocks[group - 1], self._bound.statistics.blocks[group - 1]
            sample = block.sample_moments(d).cov
        else:
            implied = self._bound.blocks[group - 1].implied(self._theta)[0]
            sample = self._bound.statistics.blocks[group - 1].cov
        sd_s, sd_m = np.sqrt(np.diag(sample)), np.sqrt(np.diag(implied))
        resid = sample / np.outer(sd_s, sd_s) - implied / np.outer(sd_m, sd_m)
        names = list(self._bound.model.names.ov)
        return pd.DataFrame(resid, index=names, columns=names)

    def effects(self, level: float = 0.95) -> pd.DataFrame:
        """Direct, specific indirect, total indirect and total effects and the effect ratio
        (indirect / total) of every predictor and outcome joined by a chain of regressions, with
        estimates, std.all values, SEs and the fit's intervals (bootstrap draws, Monte Carlo, or
        the delta method): see :mod:`govstats.sem.effects`."""
        from govstats.sem.effects import effects_table

        return effects_table(self, level)

    def bootstrap_draws(self) -> pd.DataFrame:
        """The bootstrap draws, one row per draw (``status``, each free and defined parameter,
        their std.all values), for plots of their distribution; left-out draws are NaN."""
        if self.bootstrap is None or not self.bootstrap.requested:
            raise ValueError("This fit has no bootstrap draws; fit with se='bootstrap' (bootstrap=N, seed=...).")
        return self.bootstrap.draws()

    def modindices(self, top: int | None = None) -> pd.DataFrame:
        """Modification indices with EPC and standardized EPC, largest first (lavaan's modindices)."""
        from govstats.sem.modindices import modification_indices

        if self._bound.model.is_ordinal:
            raise ValueError("Modification indices are available for ML and MLR fits, not yet for ordered items "
                             f"({self.estimator}); refit with estimator='MLR' on the codes to screen for them.")
        return modification_indices(self, top=top)

    # -- output ---------------------------------------------------------------------------
    def summary(self) -> str:
        """The fit as lavaan's ``summary(fit, fit.measures = TRUE, standardized = TRUE)`` prints it
        (see :mod:`govstats.sem.summary`), followed by the fit's warnings."""
        from govstats.sem.summary import summary_text

        return summary_text(self)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from govstats.sem.summary import summary_html

        return summary_html(self)

    def to_dict(self) -> dict:
        clean = lambda v: None if isinstance(v, float) and not np.isfinite(v) else v
        records = [{k: clean(v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                   for r in self.params.to_dict("records")]
        import govstats

        labels = [None if label is None else (label.item() if hasattr(label, "item") else label)
                  for label in self.group_labels]
        return {
            "params": records, "fit": {k: clean(v) for k, v in self.fit_measures.items()}, "nobs": self.nobs,
            "nobs_groups": self.nobs_groups, "group_labels": labels, "n_dropped": self.n_dropped,
            "estimator": self.estimator, "options": self.options, "converged": self.converged,
            "iterations": self.iterations, "seconds": self.seconds, "warnings": list(self.warnings_),
            "provenance": {"govstats": govstats.__version__, "python": platform.python_version(),
                           "numpy": np.__version__, "pandas": pd.__version__, "model": self.syntax,
                           "se": self.se_type, "test": self.test_type},
        }

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _lavaan_names(rows: pd.DataFrame) -> list[str]:
    """lavaan's names of free parameters: the user's label, else ``lhs op rhs`` (``x1~1`` for an
    intercept), with ``.g<k>`` in groups after the first."""
    out = []
    for r in rows.itertuples():
        if r.label:
            out.append(r.label)
            continue
        name = f"{r.lhs}{r.op}{r.rhs}"
        out.append(name if r.group <= 1 else f"{name}.g{r.group}")
    return out
