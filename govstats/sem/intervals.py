"""Bootstrap confidence intervals from draws: percentile, BC, BCa, normal, basic.

The formulas are lavaan 0.6.14's ``parameterEstimates(boot.ci.type = ...)``, which are those
of the boot package (Davison and Hinkley 1997, ch. 5): quantiles interpolated on the normal
scale between order statistics (``norm.inter``), BC as lavaan's ``"bca.simple"`` (z0 from the
share of draws below the estimate, no acceleration). BCa takes its acceleration from the
jackknife (Efron 1987): a = sum(L^3) / (6 (sum L^2)^1.5) with L_i = mean(jack) - jack_i; lavaan's
undocumented ``"bca"`` estimates the same influence values by regressing the draws on the
resampling counts instead.
"""

from __future__ import annotations

import warnings

import numpy as np

from govstats.sem.distributions import norm_ppf, norm_sf

__all__ = ["interval", "bootstrap_se", "jackknife_acceleration", "norm_inter"]


def norm_inter(t: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Quantiles ``alpha`` of the draws ``t``, interpolated on the normal scale (boot's norm.inter).

    Examples
    --------
    >>> float(norm_inter(np.arange(1.0, 100.0), np.array([0.5]))[0])
    50.0
    """
    t = np.sort(t[np.isfinite(t)])
    r = len(t)
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    out = np.full(len(alpha), np.nan)
    if r == 0:
        return out
    rk = (r + 1) * alpha
    k = np.trunc(rk).astype(int)
    for i, (a, rki, ki) in enumerate(zip(alpha, rk, k)):
        if ki <= 0:
            out[i] = t[0]
        elif ki >= r:
            out[i] = t[-1]
        elif ki == rki:
            out[i] = t[ki - 1]
        else:
            lo, hi = norm_ppf(ki / (r + 1)), norm_ppf((ki + 1) / (r + 1))
            out[i] = t[ki - 1] + (norm_ppf(a) - lo) / (hi - lo) * (t[ki] - t[ki - 1])
    return out


def bootstrap_se(draws: np.ndarray) -> np.ndarray:
    """Standard deviation of each column of the draws, with divisor B as lavaan's bootstrap
    covariance (``cov(BOOT) * (B - 1) / B``; checked on lavaan's draws)."""
    draws = np.asarray(draws, dtype=float)
    if len(draws) < 2:
        return np.full(draws.shape[1], np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column with no finite draw: NaN, said elsewhere
        return np.nanstd(draws, axis=0)


def jackknife_acceleration(jack: np.ndarray) -> np.ndarray:
    """BCa's acceleration per column from leave-one-out (or leave-one-cluster-out) estimates."""
    L = np.nanmean(jack, axis=0) - jack
    num = np.nansum(L ** 3, axis=0)
    den = 6 * np.nansum(L ** 2, axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, 0.0)


def interval(draws: np.ndarray, estimate: np.ndarray, kind: str, level: float = 0.95,
             acceleration: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bootstrap intervals, one per column of ``draws`` (B x k).

    Parameters
    ----------
    draws : array (B x k)
        The statistic in each successful draw; NaN entries are left out column by column.
    estimate : array (k,)
        The statistic on the data.
    kind : {"perc", "bc", "bca", "norm", "basic"}
    level : float
    acceleration : array (k,), optional
        Needed for ``"bca"`` (see :func:`jackknife_acceleration`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = rng.normal(1.0, 0.5, size=(4000, 1))
    >>> lo, hi = interval(t, np.array([1.0]), "perc")
    >>> bool(abs(lo[0] - 0.02) < 0.05 and abs(hi[0] - 1.98) < 0.05)
    True
    """
    draws = np.asarray(draws, dtype=float)
    estimate = np.asarray(estimate, dtype=float)
    k = draws.shape[1]
    a = (1 - level) / 2
    lower, upper = np.full(k, np.nan), np.full(k, np.nan)
    if kind == "norm":
        # lavaan: (est - bias) -/+ z se, bias = mean(draws) - est
        z = norm_ppf(1 - a)
        bias = np.nanmean(draws, axis=0) - estimate
        se = bootstrap_se(draws)
        return estimate - bias - z * se, estimate - bias + z * se
    if kind == "bca" and acceleration is None:
        raise ValueError("BCa intervals need the jackknife acceleration ('acceleration').")
    zalpha = norm_ppf(np.array([a, 1 - a]))
    for j in range(k):
        t = draws[:, j]
        t = t[np.isfinite(t)]
        if len(t) < 2 or np.var(t) == 0:  # lavaan: a constant statistic keeps the estimate
            lower[j] = upper[j] = estimate[j]
            continue
        if kind == "perc":
            lower[j], upper[j] = norm_inter(t, np.array([a, 1 - a]))
        elif kind == "basic":
            q = norm_inter(t, np.array([1 - a, a]))
            lower[j], upper[j] = 2 * estimate[j] - q
        elif kind in ("bc", "bca"):
            share = np.mean(t < estimate[j])
            if share in (0.0, 1.0):
                # every draw on one side of the estimate: z0 is infinite and the corrected levels
                # are 0 (or 1) for both ends; the limit is the extreme draw (lavaan's norm.inter)
                lower[j] = upper[j] = t.min() if share == 0.0 else t.max()
                continue
            w = norm_ppf(share)
            acc = 0.0 if kind == "bc" else float(acceleration[j])
            adjusted = norm_sf(-(w + (w + zalpha) / (1 - acc * (w + zalpha))))
            lower[j], upper[j] = norm_inter(t, adjusted)
        else:
            raise ValueError(f"The 'kind' parameter of interval must be one of {{'perc', 'bc', 'bca', 'norm', "
                             f"'basic'}}. Got {kind!r} instead.")
    return lower, upper
