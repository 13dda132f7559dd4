"""The statistics layer for FIML: one group's missing-data patterns, coverage, and the
unrestricted (h1) model estimated by EM.

The h1 model is needed for the chi-square test, the baseline model's test and the SRMR, not for
the estimates: it is computed on first use, so that a bootstrap draw that wants estimates only
does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from govstats.sem.fiml import (LOG_2PI, PatternSet, all_padded_inverses, loglik, minus_two_loglik,
                               n_observed_cells, pattern_sets)
from govstats.sem.ml import inverse_logdet

EM_TOLERANCE = 1e-10
EM_MAX_ITERATIONS = 5000


@dataclass
class H1:
    """The unrestricted model of incomplete data: ML means and covariances (EM) and its log-likelihood."""

    mean: np.ndarray
    cov: np.ndarray
    logl: float
    iterations: int
    converged: bool


@dataclass
class MissingPatterns:
    """One group's incomplete data for FIML.

    ``raw`` holds the rows used (blanks as NaN; rows blank on every model variable are left out
    before), ``sets`` the patterns batched by number of blanks, ``pattern_of_row`` each row's
    pattern. ``mean`` and ``cov`` are available-case moments (each mean over the rows observed,
    each covariance over the pairs observed, made positive definite if needed): only for starting
    values and for fixed.x covariates, which are complete. ``coverage`` is the proportion of rows
    observing each pair of variables (lavaan's ``lavInspect(fit, "coverage")``).
    """

    n: int
    raw: np.ndarray
    sets: list[PatternSet]
    pattern_of_row: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    coverage: np.ndarray
    cluster: np.ndarray | None = None
    _h1: H1 | None = field(default=None, repr=False)
    # what depends on the data alone (the unrestricted model's information), computed once a fit
    cache: dict = field(default_factory=dict, repr=False)

    kind = "missing"

    @classmethod
    def from_rows(cls, x: np.ndarray, cluster: np.ndarray | None = None) -> "MissingPatterns":
        sets, pattern_of_row = pattern_sets(x)
        observed = (~np.isnan(x)).astype(float)
        coverage = observed.T @ observed / len(x)
        mean, cov = available_case_moments(x)
        return cls(n=len(x), raw=x, sets=sets, pattern_of_row=pattern_of_row, mean=mean, cov=cov,
                   coverage=coverage, cluster=cluster)

    @property
    def n_patterns(self) -> int:
        return int(sum(len(s.freq) for s in self.sets))

    @property
    def share_missing(self) -> float:
        return float(np.isnan(self.raw).mean())

    @property
    def h1(self) -> H1:
        if self._h1 is None:
            self._h1 = em_h1(self.sets, self.mean, self.cov, self.n)
        return self._h1

    def independence_logl(self, covariates=(), fixed: bool = True) -> float:
        """The log-likelihood of the independence model (lavaan's baseline): variables
        uncorrelated, each with its own mean and variance, whose ML estimates under blanks are the
        available-case mean and (N-divided) variance. The covariates' block stays joint, as
        lavaan's: ``fixed`` (fixed.x) at their pairwise-available moments (lavaan's cov.x), else
        free (their own unrestricted model, by EM)."""
        x = self.raw
        total = 0.0
        covariates = list(covariates)
        for j in range(x.shape[1]):
            if j in covariates:
                continue
            v = x[~np.isnan(x[:, j]), j]
            total += -0.5 * len(v) * (LOG_2PI + np.log(v.var()) + 1.0)
        if covariates:
            block = x[:, covariates]
            sets, _ = pattern_sets(block)
            if fixed:
                mean, cov = pairwise_moments(block)
                total += loglik(sets, mean, cov)
            else:
                start = available_case_moments(block)
                total += em_h1(sets, start[0], start[1], len(block)).logl
        return float(total)


def pairwise_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lavaan's moments of fixed.x covariates with blanks: the available-case means and R's
    pairwise-complete covariances (each pair's own means, divisor n_pair - 1) times (N - 1) / N."""
    n, p = x.shape
    cov = np.empty((p, p))
    for i in range(p):
        for j in range(i + 1):
            both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            a, b = x[both, i], x[both, j]
            cov[i, j] = cov[j, i] = np.sum((a - a.mean()) * (b - b.mean())) / (both.sum() - 1)
    return np.nanmean(x, axis=0), cov * (n - 1) / n


def x_marginal_logl(n: int, cov: np.ndarray) -> float:
    """-N/2 (p log 2 pi + log|S_xx| + p): what lavaan subtracts from the log-likelihoods for
    fixed.x covariates (the covariates' own complete-data likelihood at S_xx)."""
    p = cov.shape[0]
    return float(-0.5 * n * (p * LOG_2PI + np.linalg.slogdet(cov)[1] + p))


def available_case_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means over the rows observed, covariances over the pairs observed (N-divided), shrunk
    towards the diagonal until positive definite (starting values only)."""
    observed = ~np.isnan(x)
    mean = np.nanmean(x, axis=0)
    z = np.where(observed, x - mean, 0.0)
    counts = observed.T.astype(float) @ observed
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(counts > 0, (z.T @ z) / np.maximum(counts, 1), 0.0)
    diag = np.diag(np.diag(cov))
    for shrink in (1.0, 0.9, 0.7, 0.5, 0.0):
        candidate = shrink * cov + (1 - shrink) * diag
        if inverse_logdet(candidate) is not None:
            return mean, candidate
    return mean, diag


def em_h1(sets, mean0: np.ndarray, cov0: np.ndarray, n: int) -> H1:
    """ML means and covariances of incomplete normal data by EM (Dempster, Laird and Rubin 1977),
    from the patterns' sufficient statistics: each E step regresses a pattern's blanks on its
    observed variables (coefficients K_mm^-1 K_mo, residual covariance K_mm^-1 with K =
    Sigma^-1), so that the conditional expectations of a pattern's sums and cross-products follow
    from its observed mean and covariance.

    Accelerated by SQUAREM (Varadhan and Roland 2008, scheme S3): two EM steps give a direction
    and a step length for an extrapolation, which one more EM step stabilizes; an extrapolation
    that leaves the positive definite matrices falls back to the plain EM steps (41 items, 538
    patterns, on a loaded machine: 23 EM steps in 0.62 s -> 16 in 0.46 s). Stops when no mean or covariance changes by more
    than 1e-10 in an EM step (lavaan: 1e-5); the result is checked to be a stationary point of the
    likelihood in the tests."""
    p = len(mean0)
    rows, cols = np.tril_indices(p)

    def pack(mu, sigma):
        return np.concatenate([mu, sigma[rows, cols]])

    def unpack(theta):
        sigma = np.zeros((p, p))
        sigma[rows, cols] = sigma[cols, rows] = theta[p:]
        return theta[:p], sigma

    def step(theta):
        return pack(*_em_step(sets, *unpack(theta), n, p))

    theta = pack(mean0, cov0)
    scale = max(1.0, float(np.max(np.abs(cov0))))
    converged, steps = False, 0
    while steps < EM_MAX_ITERATIONS:
        first = step(theta)
        steps += 1
        if np.max(np.abs(first - theta)) < EM_TOLERANCE * scale:
            theta, converged = first, True
            break
        second = step(first)
        steps += 1
        r, v = first - theta, second - 2 * first + theta
        alpha = -min(np.sqrt((r @ r) / (v @ v)), 1e6) if v @ v > 0 else -1.0
        candidate = second
        if alpha < -1.0:
            extrapolated = theta - 2 * alpha * r + alpha ** 2 * v
            if inverse_logdet(unpack(extrapolated)[1]) is not None:
                stabilized = step(extrapolated)
                steps += 1
                if inverse_logdet(unpack(stabilized)[1]) is not None:
                    candidate = stabilized
        change = np.max(np.abs(candidate - theta))
        theta = candidate
        if change < EM_TOLERANCE * scale:
            converged = True
            break
    mu, sigma = unpack(theta)
    inverses = all_padded_inverses(sets, sigma)
    logl = -0.5 * (minus_two_loglik(sets, mu, inverses) + n_observed_cells(sets) * LOG_2PI)
    return H1(mean=mu, cov=sigma, logl=float(logl), iterations=steps, converged=converged)


def _em_step(sets, mu: np.ndarray, sigma: np.ndarray, n: int, p: int):
    K = np.linalg.inv(sigma)
    sum_x = np.zeros(p)
    sum_xx = np.zeros((p, p))
    for s in sets:
        f = s.freq
        if s.k == 0:
            sum_x += f @ s.mean
            sum_xx += np.tensordot(f, s.cov + s.mean[:, :, None] * s.mean[:, None, :], axes=1)
            continue
        npat, m = len(f), s.missing
        index = np.arange(npat)[:, None]
        kmm = K[m[:, :, None], m[:, None, :]]
        kmm_inv = np.linalg.inv(kmm)
        coefficients = np.matmul(kmm_inv, K[m] * s.observed[:, None, :])        # (npat, k, p)
        z = (s.mean - mu) * s.observed
        xhat = s.mean.copy()
        xhat[index, m] = mu[m] - np.einsum("nkp,np->nk", coefficients, z)
        A = np.zeros((npat, p, p))
        A[:, np.arange(p), np.arange(p)] = s.observed
        A[index, m, :] = -coefficients
        conditional = np.zeros((npat, p, p))
        conditional[index[:, :, None], m[:, :, None], m[:, None, :]] = kmm_inv
        second = (np.matmul(np.matmul(A, s.cov), A.transpose(0, 2, 1)) + conditional
                  + xhat[:, :, None] * xhat[:, None, :])
        sum_x += f @ xhat
        sum_xx += np.tensordot(f, second, axes=1)
    new_mu = sum_x / n
    new_sigma = sum_xx / n - np.outer(new_mu, new_mu)
    return new_mu, 0.5 * (new_sigma + new_sigma.T)
