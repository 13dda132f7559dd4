"""Statistics of respondents nested in clusters: one-way ICCs, rwg(j), within and between correlations.

Pure numpy on one variable (or one scale) at a time, with the cluster of every row given as an
integer code 0..J-1. Each formula is the one of R's multilevel 2.7 or psych 2.2.9 named in its
docstring; ``multilevel()`` (:mod:`govstats.measurement.multilevel`) decides which rows go in.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import f as f_dist

# Conventional cut-offs (LeBreton & Senter 2008; Bliese 2000; Muthen & Satorra 1995)
ICC1_CUTOFF = 0.059
ICC2_CUTOFF = 0.70
RWG_CUTOFF = 0.70
DESIGN_EFFECT_CUTOFF = 2.0


@dataclass(frozen=True)
class OneWay:
    """A one-way random-effects ANOVA of one variable by cluster and the ICCs it gives.

    ``mean_size`` is N / J (clusters of one respondent included), the group size of
    ``multilevel::ICC1`` and of ``psych::statsBy``'s ICC1 (its ``npr``).
    """

    n: int
    clusters: int
    singletons: int
    mean_size: float
    msb: float
    msw: float
    icc1: float
    icc1_ci_lower: float
    icc1_ci_upper: float
    icc2: float
    design_effect: float
    n_effective: float


def one_way(y: np.ndarray, codes: np.ndarray, level: float = 0.95) -> OneWay:
    """ICC(1), its F-based CI, ICC(2) and the design effect of ``y`` (no NaN) by cluster ``codes``.

    ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW) and ICC(2) = (MSB - MSW) / MSB with k = N / J, as
    ``multilevel::ICC1``/``ICC2`` on ``aov(y ~ factor(cluster))`` and ``psych::statsBy``. The
    interval is statsBy's ``ci1``: with F = MSB / MSW on (J - 1, N - J) degrees of freedom,
    F_L = F / F(1 - a/2; J-1, N-J), F_U = F * F(1 - a/2; N-J, J-1), bound = (F_x - 1) / (F_x + k - 1)
    (exact for equal cluster sizes, Searle's approximation otherwise). The design effect is
    1 + (k - 1) ICC(1) (Kish), the effective sample size N / design effect.

    >>> r = one_way(np.array([1., 2, 3, 4, 5, 6]), np.array([0, 0, 0, 1, 1, 1]))
    >>> round(r.icc1, 4), round(r.icc2, 4)
    (0.8065, 0.9259)
    """
    n = len(y)
    sizes = np.bincount(codes)
    present = sizes > 0
    sizes = sizes[present]
    j = len(sizes)
    means = np.bincount(codes, weights=y)[present] / sizes
    grand = y.mean()
    df_b, df_w = j - 1, n - j
    nan = float("nan")
    # numpy floats: a variable without variance gives NaN (and no ZeroDivisionError) below
    msb = np.float64(sizes @ (means - grand) ** 2 / df_b) if df_b > 0 else np.float64(nan)
    dev = y - (np.bincount(codes, weights=y) / np.maximum(np.bincount(codes), 1))[codes]
    msw = np.float64(dev @ dev / df_w) if df_w > 0 else np.float64(nan)
    k = n / j
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msb - msw) / (msb + (k - 1) * msw)
        icc2 = (msb - msw) / msb
        f = msb / msw
        a = 1 - level
        f_lo = f / f_dist.ppf(1 - a / 2, df_b, df_w) if df_b > 0 and df_w > 0 else nan
        f_hi = f * f_dist.ppf(1 - a / 2, df_w, df_b) if df_b > 0 and df_w > 0 else nan
        lower = (f_lo - 1) / (f_lo + k - 1)
        upper = (f_hi - 1) / (f_hi + k - 1)
        deff = 1 + (k - 1) * icc1
    return OneWay(n=n, clusters=j, singletons=int((sizes == 1).sum()), mean_size=float(k), msb=float(msb),
                  msw=float(msw),
                  icc1=float(icc1), icc1_ci_lower=float(lower), icc1_ci_upper=float(upper), icc2=float(icc2),
                  design_effect=float(deff), n_effective=float(n / deff) if deff > 0 else nan)


def uniform_null_variance(categories: int) -> float:
    """(A^2 - 1) / 12: the variance of answers spread evenly over A categories (``ranvar`` of rwg)."""
    return (categories ** 2 - 1) / 12.0


def rwg_j(x: np.ndarray, codes: np.ndarray, categories: int) -> np.ndarray:
    """rwg(j) per cluster of the complete rows ``x`` (n, J items), as ``multilevel::rwg.j``.

    With S the mean of the items' within-cluster variances (n - 1 divisor) and s2 = (A^2 - 1)/12:
    rwg(j) = J (1 - S/s2) / (J (1 - S/s2) + S/s2), S capped at s2 (so rwg(j) >= 0); NaN for a
    cluster of one respondent. One item: rwg = 1 - S/s2 (``multilevel::rwg``). Clusters without
    rows are NaN too (indexed by code).

    >>> rwg_j(np.array([[3., 3], [3, 4], [5, 1]]), np.array([0, 0, 1]), 5)
    array([0.93333333,        nan])
    """
    x = np.asarray(x, dtype=float)
    j_items = x.shape[1]
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    sizes = np.bincount(codes, minlength=n_codes).astype(float)
    sums = np.stack([np.bincount(codes, weights=x[:, i], minlength=n_codes) for i in range(j_items)], axis=1)
    squares = np.stack([np.bincount(codes, weights=x[:, i] ** 2, minlength=n_codes) for i in range(j_items)], axis=1)
    out = np.full(n_codes, np.nan)
    ok = sizes > 1
    var = (squares[ok] - sums[ok] ** 2 / sizes[ok, None]) / (sizes[ok, None] - 1)
    s2 = uniform_null_variance(categories)
    ratio = np.minimum(np.clip(var, 0, None).mean(axis=1), s2) / s2
    out[ok] = j_items * (1 - ratio) / (j_items * (1 - ratio) + ratio)
    return out


def within_between(x: pd.DataFrame, codes: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Within- and between-cluster correlations, as ``psych::statsBy(x, group)``'s ``rwg`` and ``rbg``.

    Within: Pearson correlations of the deviations of every answer from its cluster's mean (the
    pooled within-cluster correlation). Between: Pearson correlations, over respondents, of the
    means of their clusters (so every cluster weighs as many respondents as it has in ``x``).
    Blanks pairwise, as statsBy's ``use = "pairwise"``: cluster means from the answers there are.
    """
    means = x.groupby(codes).mean()
    attached = means.reindex(codes)
    attached.index = x.index
    return (x - attached).corr(), attached.corr()


def mixed_icc(y: np.ndarray, labels: np.ndarray, start: OneWay | None = None) -> tuple[float, str]:
    """ICC = tau00 / (tau00 + sigma2) of the random-intercept model ``y ~ 1 + (1 | cluster)`` (REML),
    fitted by statsmodels' ``MixedLM``; and a note ("" when the fit converged inside the space).

    The fit starts from the ANOVA estimates (``start``): from statsmodels' own start, MixedLM stopped
    at a lower REML likelihood on the CD score of ri_asset_messy.csv (ICC .0812 where lme4 finds
    .1012, no warning); from the ANOVA start it agrees with lme4. If that fit does not converge,
    statsmodels' default start is tried and the higher REML likelihood kept.
    """
    # statsmodels.api would import all of statsmodels (3.5 s here); the module is enough
    from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams
    from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning

    model = MixedLM(y, np.ones((len(y), 1)), groups=labels)
    fits = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if start is not None and start.msw > 0:
            ratio = max((start.msb - start.msw) / start.mean_size, 0.01 * start.msw) / start.msw
            begin = MixedLMParams.from_components(fe_params=np.array([float(np.mean(y))]),
                                                  cov_re=np.array([[ratio]]))
            fits.append(model.fit(reml=True, start_params=begin, method="lbfgs"))
        if not fits or not fits[0].converged:
            fits.append(model.fit(reml=True))
    fitted = max(fits, key=lambda f: f.llf if f.converged else -np.inf)
    tau = float(np.asarray(fitted.cov_re)[0, 0])
    sigma2 = float(fitted.scale)
    note = ""
    if not fitted.converged:
        note = "MixedLM did not converge"
    elif any(issubclass(w.category, SMConvergenceWarning) for w in caught) and tau < 1e-6 * sigma2:
        note = "MixedLM: between-cluster variance on the boundary (0)"
    return tau / (tau + sigma2), note
