"""Inference after a FIML fit: information matrices, sandwich, tests and fit measures.

As lavaan 0.6 with ``missing = "ml"``:

- the information is the observed one by default (the Hessian of the casewise log-likelihood);
  here it is analytic: the second derivatives over missing-data patterns in (Sigma, mu)
  (:func:`govstats.sem.fiml.second_derivatives`) contracted with the model's Jacobian, plus the
  model's own curvature (sum of dlogL/dSigma times the second derivatives of Sigma), taken by
  central differences of the model gradient at fixed dlogL/dSigma, which costs a few model
  evaluations and no pass over the data;
- the chi-square is twice the difference between the log-likelihoods of the unrestricted model
  (EM) and the model; the baseline is the independence model fitted by FIML;
- MLR: sandwich standard errors from casewise scores at the implied moments (summed within
  clusters) and the Yuan-Bentler (Mplus) scaled test, whose h1 parts are the observed (or
  expected) and the first-order information of the unrestricted model at the EM moments (lavaan
  forces h1.information = "unstructured" for this test).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from scipy.linalg import block_diag

from govstats.sem import fit_measures as fm
from govstats.sem.fiml import (LOG_2PI, all_padded_inverses, casewise_moment_scores, n_observed_cells,
                               second_derivatives, value_and_derivative, vech_index)
from govstats.sem.ml_inference import cross_product, first_order_information, normal_theory_weight

CURVATURE_STEP = 1e-5


class GroupTerms:
    """One group at the estimate: implied moments, padded inverses, Jacobian, casewise scores."""

    def __init__(self, model, d, theta: np.ndarray):
        self.model, self.d = model, d
        self.sigma, self.mu, B, C, M = model.implied(theta)
        self.inverses = all_padded_inverses(d.sets, self.sigma)
        self.dS, self.dmu = model.jacobian(theta, B, C, M)
        self.value, self.W, self.w_mean = value_and_derivative(d.sets, self.mu, self.inverses)

    @property
    def logl(self) -> float:
        return -0.5 * (self.value + n_observed_cells(self.d.sets) * LOG_2PI)

    def moment_scores(self):
        """Casewise d logL_i / d(Sigma as p^2, mu) at the implied moments."""
        return casewise_moment_scores(self.d.raw, self.d.sets, self.d.pattern_of_row, self.mu, self.inverses)

    def parameter_scores(self) -> np.ndarray:
        d_sigma, d_mu = self.moment_scores()
        p, _, q = self.dS.shape
        return d_sigma @ self.dS.reshape(p * p, q) + d_mu @ self.dmu


def information(groups, theta: np.ndarray, kind: str) -> np.ndarray:
    """Per-observation information (lavaan's convention: vcov = inv(A) / N): "observed" or "expected"."""
    n_total = sum(g.d.n for g in groups)
    total = 0.0
    for g in groups:
        second = second_derivatives(g.d.sets, g.mu, g.inverses, expected=(kind == "expected"))
        total = total + second.contract(g.dS, g.dmu)
    if kind == "observed":
        total = total + model_curvature(groups, theta)
    return 0.5 * total / n_total


def model_curvature(groups, theta: np.ndarray) -> np.ndarray:
    """sum_uv dValue/dSigma_uv d2Sigma_uv/dtheta dtheta' (and the same for mu), by central
    differences of the model's gradient with dValue/dSigma held at the estimate (exact for the
    Hessian's second term, to the step's second order)."""
    q = len(theta)
    out = np.empty((q, q))

    def gradient(t):
        total = np.zeros(q)
        for g in groups:
            _, _, B, C, M = g.model.implied(t)
            total += g.model.gradient(B, C, M, g.W, g.w_mean)
        return total

    for k in range(q):
        h = CURVATURE_STEP * max(1.0, abs(theta[k]))
        e = np.zeros(q)
        e[k] = h
        out[:, k] = (gradient(theta + e) - gradient(theta - e)) / (2 * h)
    return 0.5 * (out + out.T)


def first_order(groups, clustered: bool) -> np.ndarray:
    scores = [g.parameter_scores() for g in groups]
    return first_order_information(scores, [g.d for g in groups], clustered)


def h1_logl(groups) -> float:
    return float(sum(g.d.h1.logl for g in groups))


def baseline(groups, covariates: list[int], fixed_x: bool) -> tuple[float, float]:
    """(chisq, df) of the independence model fitted by FIML against the unrestricted model; the
    covariates' block is kept (fixed with fixed_x, else free), as lavaan's."""
    chisq = df = 0.0
    nx = len(covariates)
    for g in groups:
        p = g.mu.shape[0]
        chisq += 2.0 * (g.d.h1.logl - g.d.independence_logl(covariates, fixed_x))
        df += p * (p - 1) / 2 - nx * (nx - 1) / 2
    return float(chisq), float(df)


def srmr(groups, implied) -> dict:
    """The SRMR family against the EM estimates of the means and covariances (lavaan's
    "sample" statistics with missing = "ml")."""
    h1 = [SimpleNamespace(n=g.d.n, cov=g.d.h1.cov, mean=g.d.h1.mean) for g in groups]
    return fm.srmr_measures(h1, implied, True)


def saturated_information(d, clustered: bool):
    """(Wm, Jm, Wc) of the unrestricted model per unit, in (mu, vech Sigma), at the group's EM
    moments (lavaan's h1.information = "unstructured"): Wm the observed information under FIML,
    Jm the mean outer product of its casewise scores (cluster sums with G / (G - 1)), Wc the
    complete-data (normal-theory) information."""
    if ("saturated", clustered) not in d.cache:
        d.cache["saturated", clustered] = _saturated_information(d, clustered)
    return d.cache["saturated", clustered]


def _saturated_information(d, clustered: bool):
    h1 = d.h1
    p = len(h1.mean)
    rows, cols = vech_index(p)
    inverses = all_padded_inverses(d.sets, h1.cov)
    wm = 0.5 * second_derivatives(d.sets, h1.mean, inverses).vech() / d.n
    d_sigma, d_mu = casewise_moment_scores(d.raw, d.sets, d.pattern_of_row, h1.mean, inverses)
    full = d_sigma.reshape(-1, p, p)
    # a vech coordinate moves Sigma_rc and Sigma_cr together
    scores = np.hstack([d_mu, full[:, rows, cols] * np.where(rows == cols, 1.0, 2.0)])
    jm = cross_product(scores, d.cluster if clustered else None) / d.n
    inv = np.linalg.inv(h1.cov)
    wc = block_diag(inv, normal_theory_weight(inv, rows, cols))
    return wm, jm, wc


def expected_saturated_information(d) -> np.ndarray:
    """The unrestricted model's expected information under FIML per unit, in (mu, vech Sigma), at
    the EM moments: what lavaan uses in place of the observed one with information = "expected"."""
    if "expected" not in d.cache:
        h1 = d.h1
        inverses = all_padded_inverses(d.sets, h1.cov)
        d.cache["expected"] = 0.5 * second_derivatives(d.sets, h1.mean, inverses, expected=True).vech() / d.n
    return d.cache["expected"]


def free_moments(p: int, fixed_x: list[int]) -> np.ndarray:
    """Mask over (mu, vech Sigma): False for the fixed.x covariates' own means and covariances,
    which lavaan leaves out of the unrestricted model's information (it zeroes them)."""
    rows, cols = vech_index(p)
    is_x = np.zeros(p, dtype=bool)
    is_x[list(fixed_x)] = True
    return np.concatenate([~is_x, ~(is_x[rows] & is_x[cols])])


def saturated_identified(groups, clustered: bool) -> bool:
    """Whether the unrestricted model's observed information is invertible in every group (it is
    not when a pair of variables is never observed together)."""
    for g in groups:
        if "identified" not in g.d.cache:
            eig = np.linalg.eigvalsh(saturated_information(g.d, clustered)[0])
            g.d.cache["identified"] = bool(eig.min() > 1e-10 * max(eig.max(), 1.0))
        if not g.d.cache["identified"]:
            return False
    return True


def saturated_trace(groups, clustered: bool, fixed_x: list[int], expected: bool = False) -> float:
    """tr(B1 A1^-1) of the unrestricted model, summed over groups, with A1 and B1 its observed (or,
    with ``expected``, expected) and first-order information at the EM moments (lavaan forces
    h1.information = "unstructured" for the Yuan-Bentler test), without the fixed.x covariates' own
    moments."""
    total = 0.0
    for g in groups:
        wm, jm, _ = saturated_information(g.d, clustered)
        if expected:
            wm = expected_saturated_information(g.d)
        keep = free_moments(len(g.mu), fixed_x)
        total += float(np.sum(jm[np.ix_(keep, keep)] * np.linalg.inv(wm[np.ix_(keep, keep)]).T))
    return total


def baseline_trace_h0(groups, clustered: bool, exo: list[int]) -> float:
    """tr(B0 E^-1) of the independence model fitted by FIML: per variable, its mean and variance
    from the rows that observe it; the observed information is diagonal (n_j / v for the mean,
    n_j / (2 v^2) for the variance at the estimate), so only the casewise scores are needed."""
    total_n = sum(g.d.n for g in groups)
    trace = 0.0
    for g in groups:
        x = g.d.raw
        for j in range(x.shape[1]):
            if j in exo:
                continue
            seen = ~np.isnan(x[:, j])
            v = x[seen, j]
            m, var = v.mean(), v.var()
            dev = np.where(seen, x[:, j] - m, 0.0)
            scores = np.column_stack([dev / var, np.where(seen, 0.5 * (dev ** 2 / var ** 2 - 1.0 / var), 0.0)])
            inv_info = np.array([var, 2 * var ** 2]) / seen.sum() * total_n
            outer = np.diag(cross_product(scores, g.d.cluster if clustered else None))
            trace += float(np.sum(outer / total_n * inv_info))
    return trace
