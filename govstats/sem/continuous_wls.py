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

from govstats.sem.ml_inference import normal_theory_weight
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


def _vech_indices(p: int):
    """lavaan's vech order: the lower triangle column by column."""
    cols, rows = np.triu_indices(p)
    return rows, cols


def least_squares_statistics(moments: Moments, estimator: str, meanstructure: bool) -> LeastSquaresStatistics:
    """The statistics and weights of one group (``moments`` with its raw rows)."""
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
        if meanstructure:
            z = np.hstack([dev, z])
        z = z - z.mean(axis=0)
        gamma = z.T @ z / moments.n
        if estimator == "DWLS":
            weights = 1.0 / np.diag(gamma)
        else:
            try:
                weights = np.linalg.inv(gamma)
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
        return LeastSquaresBlock(self.ram.with_exogenous(stats.mean, stats.cov), self.meanstructure)

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
    cov = m.cov * m.n / (m.n - 1)
    return Moments(n=m.n, mean=m.mean, cov=cov, raw=m.raw, logdet=float(np.linalg.slogdet(cov)[1]))


def weighted(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """W x for diagonal (vector) or full weights; x a vector or a matrix of columns."""
    if weights.ndim == 1:
        return weights * x if x.ndim == 1 else weights[:, None] * x
    return weights @ x


def baseline_chisq(bound) -> tuple[float, float]:
    """The independence model fitted by the same estimator: free variances (and means), no
    covariances; linear in its parameters, so its least-squares solution is closed form."""
    chisq = df = 0.0
    for block, d in zip(bound.blocks, bound.statistics.blocks):
        p = d.cov.shape[0]
        rows, cols = block.rows, block.cols
        k = len(d.values)
        design = np.zeros((k, 2 * p if d.meanstructure else p))
        offset = p if d.meanstructure else 0
        if d.meanstructure:
            design[np.arange(p), np.arange(p)] = 1.0
        diagonal = np.flatnonzero(rows == cols)
        design[offset + diagonal, (p if d.meanstructure else 0) + rows[diagonal]] = 1.0
        wd = weighted(d.weights, design)
        estimate = np.linalg.solve(design.T @ wd, wd.T @ d.values)
        r = d.values - design @ estimate
        chisq += d.weight_n * float(r @ weighted(d.weights, r))
        df += p * (p - 1) / 2
    return chisq, df

