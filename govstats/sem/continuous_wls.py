"""Least-squares estimators on continuous data, as lavaan's GLS, ULS, DWLS and WLS.

The statistics are lavaan's ``wls.obs`` for continuous variables: the means (with a mean
structure), then vech(S) column by column (x1~~x1, x1~~x2, ..., x2~~x2, ...), S with the N - 1
divisor for these estimators. The weights:

- GLS: the normal-theory weight at S, 1/2 D'(S^-1 x S^-1)D (and S^-1 for the means);
- WLS: Gamma^-1, Gamma the asymptotic covariance of the statistics (ADF, N divisor);
- DWLS: diag(Gamma)^-1;  ULS: the identity.

F = sum_g c_g (s_g - m_g)' W_g (s_g - m_g) / C with c_g = N_g - 1 and chisq = C F; the standard
errors are lavaan's "standard" ones, (sum_g c_g Delta_g' W_g Delta_g)^-1, for every one of them.
(Measured on Political Democracy: with S divided by N and c_g = N_g, every chi-square differed from
lavaan's by a factor N / (N - 1) or its inverse.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from govstats.sem.ml_inference import fixed_x_fitted, normal_theory_weight
from govstats.sem.statistics import Moments

WLS_ESTIMATORS = ("GLS", "WLS", "DWLS", "ULS")


@dataclass
class LeastSquaresStatistics:
    """One group's continuous statistics for a least-squares estimator."""

    n: int
    values: np.ndarray
    weights: np.ndarray          # a vector (diagonal weights) or a matrix
    moments: Moments             # the sample moments (start values, residuals, SRMR)
    meanstructure: bool

    kind = "least_squares"

    @property
    def mean(self):
        return self.moments.mean

    @property
    def cov(self):
        return self.moments.cov

    @property
    def raw(self):
        return self.moments.raw

    @property
    def logdet(self):
        return self.moments.logdet

    @property
    def weight_n(self) -> float:
        return self.n - 1.0

    @property
    def fitted_cov(self) -> np.ndarray:
        """S with the N - 1 divisor: the covariances these estimators fit."""
        return self.moments.cov * self.n / (self.n - 1)


def _vech_indices(p: int):
    """lavaan's vech order: the lower triangle column by column."""
    cols, rows = np.triu_indices(p)
    return rows, cols


def least_squares_statistics(moments: Moments, estimator: str, meanstructure: bool, exo=()) -> LeastSquaresStatistics:
    """The statistics and weights of one group (``moments`` with its raw rows). With fixed.x
    covariates (``exo``: their positions) WLS and DWLS weigh by lavaan's fixed.x Gamma, that of the
    moments less those of the fit on the covariates, whose own moments then have zero variance and
    zero weight (lavaan's WLS.V; they are fitted exactly anyway)."""
    p = moments.cov.shape[0]
    rows, cols = _vech_indices(p)
    unbiased = moments.cov * moments.n / (moments.n - 1)
    values = unbiased[rows, cols]
    if meanstructure:
        values = np.concatenate([moments.mean, values])
    if estimator == "ULS":
        weights = np.ones(len(values))
    elif estimator == "GLS":
        inv = np.linalg.inv(unbiased)
        weights = normal_theory_weight(inv, rows, cols)
        if meanstructure:
            weights = block_diag(inv, weights)
    else:
        dev = moments.raw - moments.mean
        z = dev[:, rows] * dev[:, cols]
        means = dev
        if len(exo):
            fitted = fixed_x_fitted(moments, exo)
            z = z - fitted[:, rows] * fitted[:, cols]
            means = dev - fitted
        if meanstructure:
            z = np.hstack([means, z])
        z = z - z.mean(axis=0)
        gamma = z.T @ z / moments.n
        # the fixed covariates' own moments: no sampling variance under fixed.x, weight zero
        keep = np.diag(gamma) > 1e-12 * np.max(np.diag(gamma)) if len(exo) else np.ones(len(gamma), dtype=bool)
        if estimator == "DWLS":
            weights = np.zeros(len(gamma))
            weights[keep] = 1.0 / np.diag(gamma)[keep]
        else:
            try:
                weights = np.zeros_like(gamma)
                weights[np.ix_(keep, keep)] = np.linalg.inv(gamma[np.ix_(keep, keep)])
            except np.linalg.LinAlgError:
                raise ValueError("estimator='WLS' needs an invertible asymptotic covariance matrix of the sample "
                                 "moments (ADF Gamma); it is singular here (too few rows for the number of "
                                 "variables?). Use 'DWLS' or 'ML'.") from None
    return LeastSquaresStatistics(n=moments.n, values=values, weights=weights, moments=moments,
                                  meanstructure=meanstructure)


class LeastSquaresBlock:
    """A group's RAM model seen through lavaan's continuous wls.obs: (means,) vech(Sigma)."""

    def __init__(self, ram, meanstructure: bool):
        self.ram = ram
        self.meanstructure = meanstructure
        self.rows, self.cols = _vech_indices(ram.p)

    def bind(self, stats) -> "LeastSquaresBlock":
        # fixed.x cells take the moments these estimators fit (S with the N - 1 divisor), so their
        # residuals are zero, as lavaan's
        return LeastSquaresBlock(self.ram.with_exogenous(stats.mean, stats.fitted_cov), self.meanstructure)

    def moments(self, theta: np.ndarray):
        sigma, mu, B, C, M = self.ram.implied(theta)
        m = sigma[self.rows, self.cols]
        if self.meanstructure:
            m = np.concatenate([mu, m])
        return m, sigma, (B, C, M)

    def jacobian(self, theta: np.ndarray, sigma=None, pieces=None) -> np.ndarray:
        if pieces is None:
            _, sigma, pieces = self.moments(theta)
        dS, dmu = self.ram.jacobian(theta, *pieces)
        out = dS[self.rows, self.cols, :]
        return np.vstack([dmu, out]) if self.meanstructure else out

    def implied(self, theta: np.ndarray):
        return self.ram.implied(theta)


def fitted_moments(stats: LeastSquaresStatistics) -> Moments:
    """The moments these estimators fit: S with the N - 1 divisor."""
    m = stats.moments
    cov = stats.fitted_cov
    return Moments(n=m.n, mean=m.mean, cov=cov, raw=m.raw, logdet=float(np.linalg.slogdet(cov)[1]))


def weighted(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """W x for diagonal (vector) or full weights; x a vector or a matrix of columns."""
    if weights.ndim == 1:
        return weights * x if x.ndim == 1 else weights[:, None] * x
    return weights @ x


def baseline_chisq(bound, x_index=(), fixed_x: bool = False) -> tuple[float, float]:
    """The independence model fitted by the same estimator: free variances (and means), no
    covariances, except among the exogenous covariates (``x_index``), whose block stays saturated
    as in lavaan's baseline: free, or with ``fixed_x`` fixed at the sample moments (their means too).
    Linear in its parameters, so its least-squares solution is closed form.

    (Measured on HolzingerSwineford1939 with two covariates: with the covariates' covariance set
    to zero as well, GLS's baseline chi-square was 193.11 on 28 df where lavaan has 188.24 on 27.)"""
    chisq = df = 0.0
    x_index = list(x_index)
    for block, d in zip(bound.blocks, bound.statistics.blocks):
        p = d.cov.shape[0]
        rows, cols = block.rows, block.cols
        offset = p if d.meanstructure else 0
        in_x = np.isin(rows, x_index) & np.isin(cols, x_index)
        kept = np.flatnonzero((rows == cols) | in_x)            # the covariance elements in the model
        columns = [offset + kept]
        fixed = [in_x[kept] & fixed_x]
        if d.meanstructure:
            columns.insert(0, np.arange(p))
            fixed.insert(0, np.isin(np.arange(p), x_index) & fixed_x)
        columns, fixed = np.concatenate(columns), np.concatenate(fixed)
        design = np.zeros((len(d.values), len(columns)))
        design[columns, np.arange(len(columns))] = 1.0
        # fixed at the sample moments: those statistics are fitted exactly, the rest by least squares
        target = d.values - design[:, fixed] @ d.values[columns[fixed]]
        free = design[:, ~fixed]
        wd = weighted(d.weights, free)
        estimate = np.linalg.solve(free.T @ wd, wd.T @ target)
        r = target - free @ estimate
        chisq += d.weight_n * float(r @ weighted(d.weights, r))
        nx = len(x_index)
        df += p * (p - 1) / 2 - nx * (nx - 1) / 2
    return chisq, df
