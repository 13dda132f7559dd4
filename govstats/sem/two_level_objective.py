"""The two-level ML objective for the one optimizer: F = -2 log L / N (lavaan's value without the
constant), its gradient through each level's RAM, and the exact expected Hessian for the scoring
steps (:mod:`govstats.sem.two_level` holds the likelihood)."""

from __future__ import annotations

import numpy as np

from govstats.sem import two_level as tl


class TwoLevelObjective:
    """ML on two-level data: level 1's RAM gives Sigma_W and the within means, level 2's Sigma_B and
    the between means (placed in the cluster vector (z, y))."""

    scoring_steps = 3

    def __init__(self, bound):
        self.bound = bound
        self.stats = bound.statistics.blocks[0]
        self.within, self.between = bound.blocks
        self.position = bound.model.between_position
        self.scale = float(self.stats.n)
        self._last = None
        self.batch_cells = None  # govstats.sem.two_level_hessian's index arrays, built on first use

    def moments(self, theta: np.ndarray):
        """(Moments2L, level-1 RAM pieces (B, C, M), level-2 RAM pieces)."""
        sw, mw, B1, C1, M1 = self.within.implied(theta)
        sb, mb, B2, C2, M2 = self.between.implied(theta)
        pc = self.stats.p_z + self.stats.p_y
        sigma_b = np.zeros((pc, pc))
        sigma_b[np.ix_(self.position, self.position)] = sb
        mu = np.zeros(pc)
        mu[self.position] = mb
        mu[self.stats.p_z:] += mw
        return tl.Moments2L(sigma_w=sw, sigma_b=sigma_b, mu=mu), (B1, C1, M1), (B2, C2, M2)

    def _terms(self, theta: np.ndarray):
        if self._last is not None and np.array_equal(self._last[0], theta):
            return self._last[1]
        m, within, between = self.moments(theta)
        out = tl.minus2_loglik(self.stats, m, terms=True)
        terms = None if out is None else (m, within, between, out)
        self._last = (theta.copy(), terms)
        return terms

    def value(self, theta: np.ndarray) -> float:
        terms = self._terms(theta)
        return np.inf if terms is None else terms[3][0] / self.scale

    def gradient_from(self, terms) -> np.ndarray:
        m, within, between, (_, pieces, w_inv) = terms
        g_w, g_b, g_mu = tl.matrix_gradient(self.stats, m, pieces, w_inv)
        pos = self.position
        return (self.within.gradient(*within, g_w, g_mu[self.stats.p_z:])
                + self.between.gradient(*between, g_b[np.ix_(pos, pos)], g_mu[pos]))

    def jacobians(self, theta: np.ndarray, within, between, split_means: bool = True):
        """d Sigma_W (p_y x p_y x q), d Sigma_B and d mu in the cluster layout. ``split_means=False``
        leaves out the level-1 part of the means of variables in both levels (their within implied
        mean, e.g. lambda gamma' mu_x with a regression on covariates), as lavaan's Jacobian of the
        two-level moments does for the casewise scores of MLR (B0 then agrees with lavaan's to 6e-5
        on Demo.twolevel; with the part, the differences reach 2e-3)."""
        dW, dmu1 = self.within.jacobian(theta, *within)
        if not split_means:
            dmu1 = np.where(self.bound.model.within_only[:, None], dmu1, 0.0)
        dS2, dmu2 = self.between.jacobian(theta, *between)
        pc, q = self.stats.p_z + self.stats.p_y, len(theta)
        pos = self.position
        dB = np.zeros((pc, pc, q))
        dB[pos[:, None], pos[None, :], :] = dS2
        dmu = np.zeros((pc, q))
        dmu[pos] = dmu2
        dmu[self.stats.p_z:] += dmu1
        return dW, dB, dmu

    def expected_hessian(self, theta: np.ndarray) -> np.ndarray:
        terms = self._terms(theta)
        m, within, between, (_, pieces, w_inv) = terms
        dW, dB, dmu = self.jacobians(theta, within, between)
        return tl.expected_hessian(self.stats, pieces, w_inv, dW, dB, dmu) / self.scale

    def evaluate(self, theta: np.ndarray, information: bool = True):
        """(F, gradient, expected Hessian of F or None); (inf, None, None) outside the admissible region."""
        terms = self._terms(theta)
        if terms is None:
            return np.inf, None, None
        grad = self.gradient_from(terms) / self.scale
        hess = self.expected_hessian(theta) if information else None
        return terms[3][0] / self.scale, grad, hess

    def observed_hessian(self, theta: np.ndarray) -> np.ndarray:
        """Hessian of F by central differences of the analytic gradient (batched)."""
        from govstats.sem.two_level_hessian import observed_hessian

        return observed_hessian(self, theta)

    def loglik(self, theta: np.ndarray, fixed_x: bool) -> float:
        """lavaan's logl at theta (with the 2 pi constant, less loglik.x with fixed.x covariates)."""
        return tl.loglik(self.stats, self.moments(theta)[0], fixed_x)

    def gradient(self, theta: np.ndarray):
        terms = self._terms(theta)
        return None if terms is None else self.gradient_from(terms) / self.scale
