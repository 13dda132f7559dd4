"""Two-level FIML for the one optimizer: the objective on incomplete two-level data
(:mod:`govstats.sem.two_level_missing` holds the likelihood) and lavaan 0.6.14's unrestricted (h1)
model of such data.

lavaan has no EM for two-level data with blanks: ``lav_h1_implied_logl`` fits the unrestricted
model as an ordinary model (``lav_partable_unrestricted_chol``: per level Sigma = Lambda Lambda' +
1e-4 I, every mean free, fixed.x = FALSE) by its optimizer with rel.tol 1e-7. The maximum is the
saturated model's, so here the unrestricted model (every covariance of each level, the between
means and the means of within-only variables) is fitted by the same optimizer as the model, to a
tighter tolerance; the covariates' moments are estimated too, as lavaan's h1 does.
"""

from __future__ import annotations

import numpy as np

from govstats.sem import two_level as tl
from govstats.sem import two_level_missing as tm
from govstats.sem.two_level_objective import TwoLevelObjective


class TwoLevelMissingObjective(TwoLevelObjective):
    """Two-level ML on incomplete data: F = -2 log L / N with lavaan's value (no 2 pi constant).

    The first scoring steps use the complete-data expected information at the same cluster sizes
    (an approximation that only steers the first steps; BFGS takes over from there). Standard
    errors use the observed information (central differences of the analytic gradient)."""

    scoring_steps = 3

    def __init__(self, bound):
        super().__init__(bound)
        self.both = ~bound.model.within_only

    def _terms(self, theta: np.ndarray):
        if self._last is not None and np.array_equal(self._last[0], theta):
            return self._last[1]
        m, within, between = self.moments(theta)
        pieces = tm.evaluate(self.stats, m, self.both)
        terms = None if pieces is None else (m, within, between, pieces)
        self._last = (theta.copy(), terms)
        return terms

    def value(self, theta: np.ndarray) -> float:
        terms = self._terms(theta)
        return np.inf if terms is None else terms[3].value / self.scale

    def gradient_from(self, terms) -> np.ndarray:
        m, within, between, pieces = terms
        g_w, g_b, g_mu = (g.sum(axis=0) for g in tm.cluster_gradients(self.stats, pieces))
        pos = self.position
        return (self.within.gradient(*within, g_w, g_mu[self.stats.p_z:])
                + self.between.gradient(*between, g_b[np.ix_(pos, pos)], g_mu[pos]))

    def approximate_information(self, theta: np.ndarray) -> np.ndarray:
        """The complete-data expected Hessian of F at the same cluster sizes (optimizer steps only)."""
        m, within, between = self.moments(theta)
        inverses = np.linalg.inv(tl.cluster_covariances(self.stats, m))
        w_inv = np.linalg.inv(m.sigma_w)
        dW, dB, dmu = self.jacobians(theta, within, between)
        return tl.expected_hessian(self.stats, (inverses,), w_inv, dW, dB, dmu) / self.scale

    def expected_hessian(self, theta: np.ndarray) -> np.ndarray:
        raise NotImplementedError("the expected information of two-level FIML is not available")

    def evaluate(self, theta: np.ndarray, information: bool = True):
        terms = self._terms(theta)
        if terms is None:
            return np.inf, None, None
        grad = self.gradient_from(terms) / self.scale
        hess = None
        if information:
            try:
                hess = self.approximate_information(theta)
            except np.linalg.LinAlgError:
                hess = np.eye(len(theta))
        return terms[3].value / self.scale, grad, hess

    def observed_hessian(self, theta: np.ndarray) -> np.ndarray:
        from govstats.sem.two_level_hessian import observed_hessian_stepwise

        return observed_hessian_stepwise(self, theta)

    def loglik(self, theta: np.ndarray, fixed_x: bool) -> float:
        """lavaan's logl at theta (with the 2 pi constant, less loglik.x with fixed.x covariates)."""
        terms = self._terms(theta)
        if terms is None:
            return -np.inf
        return -0.5 * terms[3].value + self.stats.constant() - (self.stats.loglik_x if fixed_x else 0.0)


def loglik(stats: tm.MissingClusterStatistics, m: tl.Moments2L, within_only: np.ndarray, fixed_x: bool) -> float:
    """lavaan's logl of implied moments on incomplete two-level data."""
    pieces = tm.evaluate(stats, m, ~within_only)
    if pieces is None:
        return -np.inf
    return -0.5 * pieces.value + stats.constant() - (stats.loglik_x if fixed_x else 0.0)


def start_moments(stats: tm.MissingClusterStatistics, within_only: np.ndarray) -> tl.H1:
    """Available-case moments in the layout of :class:`~govstats.sem.two_level.H1` (start values
    of the unrestricted model): the pooled within covariance, the between covariance of the
    cluster means less the within part, both raised to positive definite."""
    from govstats.sem.two_level_inference import force_pd

    pz = stats.p_z
    mean, cov = stats.between_moments()
    average = (stats.n - np.sum(stats.cluster_size ** 2) / stats.n) / (stats.n_clusters - 1)
    sigma_w = force_pd(stats.s_pw.copy(), tol=1e-3 * float(np.mean(np.diag(stats.s_pw))))
    both = ~within_only
    between = cov.copy()
    between[pz:, pz:] -= stats.s_pw / average
    keep = np.concatenate([np.ones(pz, bool), both])
    between = between * np.outer(keep, keep)
    floor = 0.05 * np.concatenate([np.diag(cov)[:pz], np.diag(stats.total_cov)])
    np.fill_diagonal(between, np.where(keep, np.maximum(np.diag(between), floor), 0.0))
    k = np.flatnonzero(keep)
    between[np.ix_(k, k)] = force_pd(between[np.ix_(k, k)], tol=1e-3 * float(np.mean(np.diag(between)[k])))
    mu_w = np.where(within_only, stats.total_mean, 0.0)
    mu_b = np.concatenate([mean[:pz], np.where(within_only, 0.0, stats.total_mean)])
    return tl.H1(sigma_w=sigma_w, sigma_b=between, mu_w=mu_w, mu_b=mu_b, logl=np.nan, iterations=0,
                 converged=False)


def fiml_h1(model, statistics, fixed_x: bool) -> tl.H1:
    """lavaan's unrestricted model of incomplete two-level data: the saturated two-level model
    (every moment free, the covariates' too) fitted by maximum likelihood; its logl less loglik.x
    when the model has fixed.x covariates (as lavaan's, so that the chi-square is the difference)."""
    from govstats.sem.fit import estimate
    from govstats.sem.two_level_model import TwoLevelModel, baseline_names
    from govstats.sem.two_level_robust import h1_values, saturated_partable

    stats = statistics.blocks[0]
    table = saturated_partable(model.level_names, fixed_x=False)
    saturated = TwoLevelModel(model.syntax, table, baseline_names(model.level_names, False), model.level_labels, [])
    start = start_moments(stats, model.within_only)
    theta, moments = h1_values(saturated, start)
    bound = saturated.bind(statistics, moments)
    opt = estimate(bound, theta)
    objective = TwoLevelMissingObjective(bound)
    m = objective.moments(opt.theta)[0]
    pz = stats.p_z
    mu_w = np.where(model.within_only, m.mu[pz:], 0.0)
    mu_b = m.mu.copy()
    mu_b[pz:] = np.where(model.within_only, 0.0, m.mu[pz:])
    return tl.H1(sigma_w=m.sigma_w, sigma_b=m.sigma_b, mu_w=mu_w, mu_b=mu_b,
                 logl=objective.loglik(opt.theta, fixed_x), iterations=opt.iterations, converged=opt.converged)
