"""Multilevel regression of construct scores: random intercepts and slopes, community-level predictors.

A thin, checked layer over statsmodels' ``MixedLM`` (formulas as ``statsmodels.formula.api.mixedlm``
takes them) that returns the tidy tables a paper reports: fixed effects with SEs and CIs,
variance components, the ICC and Nakagawa's pseudo-R2. Tested against lme4's ``lmer`` (REML
and ML) in tests/reference/multilevel/.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from govstats.errors import ConvergenceWarning, DataError


@dataclass
class MixedResults:
    """A fitted multilevel regression.

    Attributes
    ----------
    params : DataFrame
        One row per fixed effect (statsmodels' term names, e.g. ``Intercept``, ``IC``,
        ``IC:IC_cm``): ``estimate, se, z, pvalue, ci_lower, ci_upper``. SEs as lme4's ``vcov()``
        (GLS at the estimated variance components, see :func:`gls_standard_errors`); Wald z
        tests and intervals with normal quantiles, as lme4's ``confint(method = "Wald")``.
    variance : DataFrame
        Variance components: one row per random-effect variance (``var(Intercept)``,
        ``var(IC)``), covariance (``cov(Intercept,IC)``) and the residual variance ``residual``,
        with ``estimate`` and ``sd`` (NaN for covariances; their correlation is in ``corr``).
    icc : float
        Adjusted ICC (Nakagawa, Johnson & Schielzeth 2017): var_random / (var_random + residual),
        var_random as below. With random intercepts only it is tau00 / (tau00 + sigma2).
    icc_null : float
        The ICC of the empty model ``y ~ 1 + (1 | cluster)`` on the same rows, fitted the same way.
    r2_marginal, r2_conditional : float
        Nakagawa and Schielzeth's (2013) pseudo-R2 with Johnson's (2014) random-slope term:
        var_f / (var_f + var_random + sigma2) and (var_f + var_random) / (...), where var_f is the
        variance (n - 1 divisor, as R's ``var``) of the fixed part X b and var_random the mean over
        respondents of z_i' T z_i (T the random-effects covariance, z_i the random-effect
        design row).
    nobs, n_clusters : int
    loglik, aic, bic : float
        The (REML or ML) log-likelihood, and with ML, AIC and BIC as lme4's (parameters: fixed
        effects, variance components and the residual variance).
    reml, converged : bool
    formula, random, cluster : str
    notes : list of str
    """

    params: pd.DataFrame
    variance: pd.DataFrame
    icc: float
    icc_null: float
    r2_marginal: float
    r2_conditional: float
    nobs: int
    n_clusters: int
    loglik: float
    aic: float
    bic: float
    reml: bool
    converged: bool
    formula: str
    random: str
    cluster: str
    notes: list = field(default_factory=list)

    def summary(self, digits: int = 3) -> str:
        """Fixed effects, variance components and the model's ICC and R2, as plain text."""
        from govstats.measurement.tables import text_table

        fixed = self.params.copy()
        fixed.index.name = "Term"
        variance = self.variance.copy()
        variance.index.name = "Component"
        how = "REML" if self.reml else "ML"
        head = (f"Multilevel regression ({how}, statsmodels MixedLM): {self.formula}; random: {self.random} | "
                f"{self.cluster}; N = {self.nobs} in {self.n_clusters} clusters"
                f"{'' if self.converged else '; NOT CONVERGED'}")
        fit = (f"ICC (adjusted) = {self.icc:.3f}; ICC of the empty model = {self.icc_null:.3f}; "
               f"R2 marginal = {self.r2_marginal:.3f}, conditional = {self.r2_conditional:.3f} "
               f"(Nakagawa & Schielzeth; Johnson's random-slope term); log-likelihood ({how}) = {self.loglik:.3f}"
               + (f"; AIC = {self.aic:.2f}, BIC = {self.bic:.2f}" if not self.reml else ""))
        parts = [head, text_table("Table. Fixed effects", fixed, "Note. Wald z tests and 95% CIs.", digits),
                 text_table("Table. Variance components", variance, "", digits), fit]
        parts += [f"note: {n}" for n in self.notes]
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from govstats.measurement.tables import html_table

        return html_table("Fixed effects", self.params.round(4)) + html_table("Variance components",
                                                                                self.variance.round(4))


def add_cluster_means(data: pd.DataFrame, columns, cluster: str = "community_id") -> pd.DataFrame:
    """A copy of ``data`` with, per column ``X``, ``X_cm`` (its cluster's mean: a community-level
    predictor) and ``X_cwc`` (the deviation from it: the within-cluster part).

    Cluster means are taken over the answered values (blanks skipped).

    >>> d = add_cluster_means(pd.DataFrame({"g": ["a", "a", "b"], "x": [1.0, 3.0, 5.0]}), ["x"], "g")
    >>> d[["x_cm", "x_cwc"]].values.tolist()
    [[2.0, -1.0], [2.0, 1.0], [5.0, 0.0]]
    """
    if cluster not in data.columns:
        raise DataError(f"The 'cluster' parameter of add_cluster_means names the column {cluster!r}, which the data "
                        f"do not have (their columns start {[str(c) for c in data.columns[:10]]}).")
    columns = [columns] if isinstance(columns, str) else list(columns)
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise ValueError(f"The 'columns' parameter of add_cluster_means must name columns of the data. "
                         f"Got {absent} instead.")
    out = data.copy()
    for c in columns:
        x = pd.to_numeric(out[c], errors="coerce").astype(float)
        mean = x.groupby(out[cluster]).transform("mean")
        out[f"{c}_cm"] = mean
        out[f"{c}_cwc"] = x - mean
    return out


def _random_formula(random: str) -> str:
    text = random.strip()
    if text.startswith("~"):
        text = text[1:].strip()
    if not text:
        raise ValueError("The 'random' parameter of multilevel_regression must be one of {'1', '1 + x', '~x', ...} "
                         f"(statsmodels' re_formula). Got {random!r} instead.")
    return "~" + text


def multilevel_regression(formula: str, data: pd.DataFrame, cluster: str = "community_id", *, random: str = "1",
                          reml: bool = True, level: float = 0.95) -> MixedResults:
    """Fit ``formula`` with random effects ``random`` by cluster: statsmodels MixedLM with tidy output.

    Parameters
    ----------
    formula : str
        The fixed part in statsmodels' (patsy/formulaic) conventions: ``"GR_mean ~ IC_mean + PS_mean"``;
        a community-level predictor is just a column constant within clusters (see
        :func:`add_cluster_means`); a cross-level interaction is ``IC_cwc:IC_cm`` or ``IC_cwc * IC_cm``.
    data : DataFrame
        One row per respondent; rows with a blank in a variable of the model are left out
        (statsmodels' ``missing="drop"``) and counted in ``notes``.
    cluster : str
        The column of each respondent's cluster.
    random : str
        The random part as statsmodels' ``re_formula``: ``"1"`` (random intercepts), ``"1 + IC_cwc"``
        or ``"~IC_cwc"`` (random intercepts and slopes, correlated), ``"0 + IC_cwc"`` (slopes only).
    reml : bool
        REML (default, as lme4's ``lmer``) or ML (needed to compare fixed parts by likelihood ratio).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    MixedResults

    Examples
    --------
    >>> from govstats import load_instrument, simulate, score
    >>> from govstats.measurement.mixed_model import add_cluster_means, multilevel_regression
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> df = simulate(inst, 600, seed=1).responses
    >>> s = score(inst, df).assign(community_id=df["community_id"].astype(str))
    >>> s = add_cluster_means(s, ["IC_mean"])
    >>> m = multilevel_regression("GR_mean ~ IC_mean_cwc + IC_mean_cm", s, random="1")
    >>> list(m.params.index)
    ['Intercept', 'IC_mean_cwc', 'IC_mean_cm']
    >>> bool(0 < m.r2_marginal < m.r2_conditional < 1)
    True
    """
    # not statsmodels.api or .formula.api: they import all of statsmodels (3.5 s here)
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning

    function = "multilevel_regression"
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"The 'formula' parameter of {function} must be a statsmodels formula 'y ~ x1 + x2'. "
                         f"Got {formula!r} instead.")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of {function} must be a pandas DataFrame. "
                         f"Got {type(data).__name__} instead.")
    if not isinstance(reml, bool):
        raise ValueError(f"The 'reml' parameter of {function} must be one of {{True, False}}. Got {reml!r} instead.")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"The 'level' parameter of {function} must be one of {{a number in (0, 1)}}. "
                         f"Got {level!r} instead.")
    if not isinstance(random, str):
        raise ValueError(f"The 'random' parameter of {function} must be one of {{'1', '1 + x', '~x', ...}} "
                         f"(statsmodels' re_formula). Got {random!r} instead.")
    re_formula = _random_formula(random)
    if not isinstance(cluster, str) or cluster not in data.columns:
        raise DataError(f"The 'cluster' parameter of {function} names the column {cluster!r}, which the data do not "
                        f"have (their columns start {[str(c) for c in data.columns[:10]]}).")
    frame = data[data[cluster].notna()].reset_index(drop=True)
    frame[cluster] = frame[cluster].astype(str)
    groups = frame[cluster].to_numpy()
    if len(np.unique(groups)) < 2:
        raise DataError(f"The cluster column {cluster!r} (the 'cluster' parameter of {function}) has "
                        f"{len(np.unique(groups))} cluster(s); a multilevel model needs two or more (and, for "
                        "variance components worth reporting, many more).")
    notes = []
    if len(frame) < len(data):
        notes.append(f"{len(data) - len(frame)} rows without a '{cluster}' label left out")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # groups by column name: statsmodels then drops the rows with blanks from it too
        model = MixedLM.from_formula(formula, frame, groups=cluster, re_formula=re_formula, missing="drop")
        fitted = model.fit(reml=reml)
    left_out = len(frame) - int(model.nobs)
    if left_out:
        notes.append(f"{left_out} rows with a blank in a variable of the model left out")
    for w in caught:
        if issubclass(w.category, SMConvergenceWarning):
            notes.append(f"statsmodels: {' '.join(str(w.message).split())}")
    if not fitted.converged:
        warnings.warn(f"multilevel_regression: MixedLM did not converge for {formula!r} with random {random!r}; "
                      "the estimates are not trustworthy (simplify the random part, rescale the predictors).",
                      ConvergenceWarning, stacklevel=2)

    fe = fitted.fe_params
    cov_re = np.asarray(fitted.cov_re, dtype=float)
    sigma2 = float(fitted.scale)
    se = pd.Series(gls_standard_errors(model, cov_re, sigma2), index=fe.index)
    z = fe / se
    q = norm.ppf(0.5 + level / 2)
    params = pd.DataFrame({"estimate": fe, "se": se, "z": z, "pvalue": 2 * norm.sf(np.abs(z)),
                           "ci_lower": fe - q * se, "ci_upper": fe + q * se})

    # statsmodels names the random intercept after the grouping variable; lme4 and readers call it Intercept
    names = ["Intercept" if str(n) in (cluster, "Group", "Intercept") else str(n) for n in model.data.exog_re_names]
    rows = []
    for i, a in enumerate(names):
        rows.append({"component": f"var({a})", "estimate": cov_re[i, i], "sd": np.sqrt(max(cov_re[i, i], 0.0)),
                     "corr": np.nan})
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            denom = np.sqrt(cov_re[i, i] * cov_re[j, j])
            rows.append({"component": f"cov({a},{names[j]})", "estimate": cov_re[i, j], "sd": np.nan,
                         "corr": cov_re[i, j] / denom if denom > 0 else np.nan})
    if len(names) > 1 and np.linalg.eigvalsh(cov_re).min() <= 1e-6 * max(np.trace(cov_re), 1e-300):
        notes.append("the random-effects covariance matrix is singular (a variance near 0 or a correlation near "
                     "+-1: lme4 would say 'boundary (singular) fit'); simplify the random part")
    rows.append({"component": "residual", "estimate": sigma2, "sd": np.sqrt(sigma2), "corr": np.nan})
    variance = pd.DataFrame(rows).set_index("component")

    x = model.exog
    zmat = model.exog_re
    var_f = float(np.var(x @ fe.to_numpy(), ddof=1))
    var_r = float(np.mean(np.einsum("ij,jk,ik->i", zmat, cov_re, zmat)))
    total = var_f + var_r + sigma2

    # the empty model on the same rows, fitted the same way: the ICC a reader compares with
    used = frame.loc[model.data.row_labels] if model.data.row_labels is not None else frame
    y = np.asarray(model.endog, dtype=float)
    null = _null_icc(y, np.asarray(used[cluster].astype(str)), reml)

    k_params = len(fe) + len(names) * (len(names) + 1) // 2 + 1
    loglik = float(fitted.llf)
    n = int(model.nobs)
    aic = -2 * loglik + 2 * k_params if not reml else np.nan
    bic = -2 * loglik + np.log(n) * k_params if not reml else np.nan
    return MixedResults(params=params, variance=variance, icc=var_r / (var_r + sigma2), icc_null=null,
                        r2_marginal=var_f / total, r2_conditional=(var_f + var_r) / total, nobs=n,
                        n_clusters=len(np.unique(np.asarray(used[cluster].astype(str)))), loglik=loglik, aic=aic,
                        bic=bic, reml=reml, converged=bool(fitted.converged), formula=formula,
                        random=re_formula[1:], cluster=cluster, notes=notes)


def gls_standard_errors(model, cov_re: np.ndarray, sigma2: float) -> np.ndarray:
    """SEs of the fixed effects from (sum_g X_g' V_g^-1 X_g)^-1, V_g = Z_g T Z_g' + sigma2 I, at the
    estimated variance components: lme4's ``vcov()``. statsmodels' ``bse_fe`` comes from the
    Hessian of all parameters and differed from lme4 by 0.4% on the random-slope fixture, this by
    6e-6 (REML) and 5e-5 (ML)."""
    k = model.exog.shape[1]
    info = np.zeros((k, k))
    for label in model.group_labels:
        rows = model.row_indices[label]
        x, z = model.exog[rows], model.exog_re[rows]
        v = z @ cov_re @ z.T
        v[np.diag_indices_from(v)] += sigma2
        info += x.T @ np.linalg.solve(v, x)
    return np.sqrt(np.diag(np.linalg.inv(info)))


def _null_icc(y: np.ndarray, groups: np.ndarray, reml: bool) -> float:
    from statsmodels.regression.mixed_linear_model import MixedLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = MixedLM(y, np.ones((len(y), 1)), groups=groups).fit(reml=reml)
    tau = float(np.asarray(fitted.cov_re)[0, 0])
    return tau / (tau + float(fitted.scale))
