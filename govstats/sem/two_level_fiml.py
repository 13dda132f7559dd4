"""Two-level FIML for the one optimizer: the objective on incomplete two-level data
(:mod:`govstats.sem.two_level_missing` holds the likelihood) and lavaan 0.6.14's unrestricted (h1)
model of such data.

lavaan has no EM for two-level data with blanks: ``lav_h1_implied_logl`` fits the unrestricted
model as an ordinary model (``lav_partable_unrestricted_chol``: per level Sigma = LL' + 1e-4 I, every
mean free, fixed.x = FALSE) by its optimizer with rel.tol 1e-7. The same model is fitted here by the
one optimizer, to its tighter tolerance: the Demo.twolevel fixtures' unrestricted log-likelihoods
agree with lavaan's own h1 refitted at rel.tol 1e-13 to 2e-6 (lavaan's default stop is up to 2e-3
short). The 1e-4 floor matters: on a seed instrument's communities (ICCs near zero) the unconstrained
maximum has an indefinite between matrix.

lavaan also takes the fixed.x covariates' moments from this h1 (``lav_start``); at its maximum
those are the covariates' sample moments (the covariates are complete), which are used here.
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
        g_w, g_b, g_mu = tm.matrix_gradient(self.stats, pieces)
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


H1_FLOOR = 1e-4  # lavaan's lav_partable_unrestricted_chol: every ov residual variance fixed at 1e-4 ("Force PD")
H1_PREFIX = "h1chol{}."  # factor names per level (with a dot: never a name the user's model can give)


def cholesky_syntax(level_names) -> str:
    """lavaan's unrestricted model of incomplete two-level data as syntax: per level one factor per
    observed variable (variance 1, uncorrelated), loadings forming a lower-triangular L, residual
    variances fixed at 1e-4, so that Sigma = L L' + 1e-4 I; means as the two-level rule leaves them."""
    lines = []
    for block, names in enumerate(level_names, start=1):
        ov = list(names.ov)
        lines.append(f"level: {block}")
        for k, v in enumerate(ov):
            factor = H1_PREFIX.format(block) + v
            lines.append(f"  {factor} =~ NA*{ov[k]}" + "".join(f" + {w}" for w in ov[k + 1:]))
            lines.append(f"  {factor} ~~ 1*{factor}")
            lines.append(f"  {v} ~~ {H1_FLOOR}*{v}")
    return "\n".join(lines)


def fiml_h1(model, statistics, fixed_x: bool) -> tl.H1:
    """lavaan's unrestricted model of incomplete two-level data (``lav_h1_implied_logl``): per level
    Sigma = L L' + 1e-4 I (L lower triangular), every mean free (within: those of within-only
    variables), the covariates' moments too (fixed.x = FALSE), fitted by maximum likelihood. The
    1e-4 floor matters where a between variance is near zero (a seed instrument's ICC of .0003):
    the unconstrained maximum would put it at zero. Its logl is less loglik.x when the model has
    fixed.x covariates (as lavaan's, so that the chi-square is the difference)."""
    from govstats.sem.fit import estimate
    from govstats.sem.two_level_model import TwoLevelModel, split_levels, two_level_partable

    stats = statistics.blocks[0]
    syntax = cholesky_syntax(model.level_names)
    labels, formulas = split_levels(syntax)
    table, names = two_level_partable(formulas, fixed_x=False, orthogonal=True)
    chol = TwoLevelModel(syntax, table, names, labels, [f for level in formulas for f in level])
    theta = cholesky_start(chol, start_moments(stats, model.within_only))
    bound = chol.bind(statistics, [(np.zeros(len(n.ov)), np.zeros((len(n.ov), len(n.ov)))) for n in names])
    opt = estimate(bound, theta)
    objective = TwoLevelMissingObjective(bound)
    m = objective.moments(opt.theta)[0]
    pz = stats.p_z
    mu_w = np.where(model.within_only, m.mu[pz:], 0.0)
    mu_b = m.mu.copy()
    mu_b[pz:] = np.where(model.within_only, 0.0, m.mu[pz:])
    return tl.H1(sigma_w=m.sigma_w, sigma_b=m.sigma_b, mu_w=mu_w, mu_b=mu_b,
                 logl=objective.loglik(opt.theta, fixed_x), iterations=opt.iterations, converged=opt.converged)


def cholesky_start(chol, start: tl.H1) -> np.ndarray:
    """Parameters of the Cholesky model at start moments: L = chol(Sigma - 1e-4 I) per level."""
    from govstats.sem.two_level_inference import force_pd

    pos = chol.between_position
    pz = len(chol.between_only)
    mean_b = start.mu_b.copy()
    mean_b[pz:] += np.where(chol.within_only, 0.0, start.mu_w)
    moments = [(start.mu_w, start.sigma_w), (mean_b[pos], start.sigma_b[np.ix_(pos, pos)])]
    factors = []
    for mean, cov in moments:
        shifted = force_pd(cov - H1_FLOOR * np.eye(len(cov)), tol=1e-6 * max(1.0, float(np.max(np.diag(cov)))))
        factors.append(np.linalg.cholesky(shifted))
    theta = np.zeros(chol.n_free)
    table = chol.table
    for lhs, op, rhs, block, free in zip(table.lhs, table.op, table.rhs, table.group, table.free):
        if free <= 0:
            continue
        ov = list(chol.level_names[block - 1].ov)
        mean = moments[block - 1][0]
        if op == "~1":
            theta[free - 1] = mean[ov.index(lhs)]
        elif op == "=~":
            theta[free - 1] = factors[block - 1][ov.index(rhs), ov.index(lhs[len(H1_PREFIX.format(block)):])]
    return theta
