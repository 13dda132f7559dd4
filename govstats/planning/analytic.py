"""Analytic power without simulation: RMSEA tests (MacCallum, Browne & Sugawara 1996) and the
power of a chi-square difference with a known noncentrality (Satorra & Saris 1985), as semPower.

Every test here is a chi-square test with ``df`` degrees of freedom whose statistic is
noncentral chi-square with noncentrality ``ncp = (N - 1) F`` under a population discrepancy
``F`` (semPower's convention). For RMSEA, ``F = df * rmsea**2``. Three questions are answered
from the same two distributions (the null's ``ncp0`` and the alternative's ``ncp1``):

- post hoc: the power at a given ``n``;
- a priori: the smallest ``n`` whose power reaches ``power``;
- compromise: at a given ``n``, the critical value at which alpha / beta equals ``abratio``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize
from scipy.stats import chi2, ncx2

__all__ = ["AnalyticPower", "chisq_power", "rmsea_power"]

MAX_N = 10 ** 8


def _sf(x: float, df: float, ncp: float) -> float:
    return float(chi2.sf(x, df) if ncp == 0 else ncx2.sf(x, df, ncp))


def _cdf(x: float, df: float, ncp: float) -> float:
    return float(chi2.cdf(x, df) if ncp == 0 else ncx2.cdf(x, df, ncp))


def _ppf(q: float, df: float, ncp: float) -> float:
    return float(chi2.ppf(q, df) if ncp == 0 else ncx2.ppf(q, df, ncp))


@dataclass(frozen=True)
class AnalyticPower:
    """One analytic power computation.

    Attributes
    ----------
    analysis : {"post hoc", "a priori", "compromise"}
    test : str
        What is tested (``"not-close fit"``, ``"close fit"``, ``"exact fit"``, ``"parameters"``).
    df : float
    f0, f1 : float
        The population discrepancy under the null and under the alternative.
    n : int
        The sample size (given, or the smallest with the requested power).
    alpha, power : float
        The type I error rate and the power (1 - beta) at ``n``.
    critical : float
        The critical value of the chi-square statistic.
    ncp0, ncp1 : float
        ``(n - 1) * f0`` and ``(n - 1) * f1``.
    """

    analysis: str
    test: str
    df: float
    f0: float
    f1: float
    n: int
    alpha: float
    power: float
    critical: float
    ncp0: float
    ncp1: float

    @property
    def beta(self) -> float:
        return 1.0 - self.power

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"beta": self.beta}

    def __str__(self) -> str:
        lines = [f"{self.analysis} power analysis, {self.test} (df = {self.df:g})",
                 f"  F0 = {self.f0:.6g}, F1 = {self.f1:.6g}",
                 f"  N = {self.n}, alpha = {self.alpha:.4g}, power = {self.power:.4f} (beta = {self.beta:.4f})",
                 f"  critical chi-square = {self.critical:.4f}; ncp0 = {self.ncp0:.4f}, ncp1 = {self.ncp1:.4f}"]
        return "\n".join(lines)


def _check_positive(name: str, func: str, value, integer: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(f"The '{name}' parameter of {func} must be {kind}. Got {value!r} instead.")


def _check_rate(name: str, func: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"The '{name}' parameter of {func} must be a number in (0, 1). Got {value!r} instead.")


def _test(f0: float, f1: float, df: float, alpha: float, n: int):
    """(critical value, power) at ``n``: reject for large statistics when f1 > f0, small ones otherwise."""
    ncp0, ncp1 = (n - 1) * f0, (n - 1) * f1
    if f1 > f0:
        critical = _ppf(1 - alpha, df, ncp0)
        return critical, _sf(critical, df, ncp1)
    critical = _ppf(alpha, df, ncp0)
    return critical, _cdf(critical, df, ncp1)


def _smallest_n(f0: float, f1: float, df: float, alpha: float, power: float) -> int:
    """The smallest N >= 2 whose power reaches ``power`` (power grows with N)."""
    if _test(f0, f1, df, alpha, 2)[1] >= power:
        return 2
    high = 4
    while _test(f0, f1, df, alpha, high)[1] < power:
        high *= 2
        if high > MAX_N:
            raise ValueError(f"No N up to {MAX_N} reaches power {power}: the alternative is too close to the null.")
    low = high // 2
    while high - low > 1:
        mid = (low + high) // 2
        if _test(f0, f1, df, alpha, mid)[1] >= power:
            high = mid
        else:
            low = mid
    return high


def chisq_power(f0: float, f1: float, df: float, alpha: float = 0.05, n: int | None = None,
                power: float | None = None, abratio: float | None = None, test: str = "parameters"
                ) -> AnalyticPower:
    """Power of a chi-square test of ``df`` degrees of freedom between population discrepancies
    ``f0`` (null) and ``f1`` (alternative), with ``ncp = (N - 1) F``.

    Give ``n`` (post hoc; with ``abratio`` as well: compromise, the critical value where
    alpha / beta = ``abratio``) or ``power`` (a priori: the smallest N).

    Examples
    --------
    >>> chisq_power(0.0, 0.05, df=1, power=0.8).n  # a parameter whose omission costs F = 0.05
    158
    """
    func = "chisq_power"
    _check_positive("df", func, df)
    for name, value in (("f0", f0), ("f1", f1)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"The '{name}' parameter of {func} must be a number >= 0. Got {value!r} instead.")
    if f0 == f1:
        raise ValueError(f"The 'f0' and 'f1' parameters of {func} must differ (the null and the alternative "
                         f"are the same population). Got {f0!r} and {f1!r}.")
    if (n is None) == (power is None):
        raise ValueError(f"{func} needs exactly one of 'n' (the power at that N) or 'power' (the smallest N); "
                         f"got n={n!r}, power={power!r}.")
    if abratio is not None:
        _check_positive("abratio", func, abratio)
        if n is None:
            raise ValueError(f"A compromise analysis ({func} with 'abratio') needs 'n'; got power={power!r}.")
        return _compromise(f0, f1, df, int(n), float(abratio), test)
    _check_rate("alpha", func, alpha)
    if n is not None:
        _check_positive("n", func, n, integer=True)
        if n < 2:
            raise ValueError(f"The 'n' parameter of {func} must be at least 2. Got {n!r} instead.")
        analysis, n = "post hoc", int(n)
    else:
        _check_rate("power", func, power)
        analysis, n = "a priori", _smallest_n(f0, f1, df, alpha, power)
    critical, achieved = _test(f0, f1, df, alpha, n)
    return AnalyticPower(analysis, test, df, f0, f1, n, alpha, achieved, critical, (n - 1) * f0, (n - 1) * f1)


def _compromise(f0: float, f1: float, df: float, n: int, abratio: float, test: str) -> AnalyticPower:
    """The critical value where alpha / beta = abratio (semPower's compromise analysis)."""
    ncp0, ncp1 = (n - 1) * f0, (n - 1) * f1
    upper_tail = f1 > f0

    def alpha_beta(c):
        if upper_tail:
            return _sf(c, df, ncp0), _cdf(c, df, ncp1)
        return _cdf(c, df, ncp0), _sf(c, df, ncp1)

    def gap(c):  # log(alpha) - log(beta * abratio): monotone in c
        a, b = alpha_beta(c)
        return math.log(max(a, 1e-300)) - math.log(max(b, 1e-300) * abratio)

    lo, hi = 1e-8, max(_ppf(1 - 1e-12, df, max(ncp0, ncp1)), 1.0)
    critical = optimize.brentq(gap, lo, hi, xtol=1e-12, rtol=1e-12)
    a, b = alpha_beta(critical)
    return AnalyticPower("compromise", test, df, f0, f1, n, a, 1 - b, critical, ncp0, ncp1)


def rmsea_power(df, rmsea0: float, rmsea1: float, alpha: float = 0.05, n: int | None = None,
                power: float | None = None, abratio: float | None = None) -> AnalyticPower:
    """Power of the RMSEA tests of MacCallum, Browne & Sugawara (1996), as semPower.

    ``F = df * rmsea**2`` and ``ncp = (N - 1) F``. With ``rmsea0 < rmsea1`` the test of
    close (``rmsea0 > 0``) or exact (``rmsea0 = 0``) fit rejects for large chi-squares; with
    ``rmsea0 > rmsea1`` the test of not-close fit rejects for small ones.

    Parameters
    ----------
    df : int
        The model's degrees of freedom.
    rmsea0, rmsea1 : float
        RMSEA under the null and under the alternative.
    alpha : float
    n : int, optional
        Post hoc: the power at this N (with ``abratio``: a compromise analysis).
    power : float, optional
        A priori: the smallest N whose power reaches this.
    abratio : float, optional
        Compromise: alpha / beta wanted at ``n`` (semPower's ``abratio``; 1 weighs both errors equally).

    Returns
    -------
    AnalyticPower

    Examples
    --------
    >>> rmsea_power(100, 0.0, 0.05, power=0.80).n  # semPower: N = 164
    164
    >>> round(rmsea_power(100, 0.05, 0.08, n=200).power, 4)
    0.9549
    """
    func = "rmsea_power"
    for name, value in (("rmsea0", rmsea0), ("rmsea1", rmsea1)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"The '{name}' parameter of {func} must be a number >= 0. Got {value!r} instead.")
    _check_positive("df", func, df)
    if rmsea0 == rmsea1:
        raise ValueError(f"The 'rmsea0' and 'rmsea1' parameters of {func} must differ. Got {rmsea0!r} for both.")
    test = "not-close fit" if rmsea0 > rmsea1 else ("exact fit" if rmsea0 == 0 else "close fit")
    try:
        return chisq_power(df * rmsea0 ** 2, df * rmsea1 ** 2, df, alpha=alpha, n=n, power=power, abratio=abratio,
                           test=test)
    except ValueError as exc:
        raise ValueError(str(exc).replace("chisq_power", func)) from None
