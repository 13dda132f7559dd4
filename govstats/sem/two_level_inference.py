"""Inference after a two-level ML fit, as lavaan 0.6.14: standard errors from the observed
information (lavaan's default for two-level models: the numerical Hessian of the log-likelihood)
or the expected one; with MLR the sandwich with cluster-level scores and the Yuan-Bentler (Mplus)
scaled test; the chi-square against the unrestricted model (lavaan's EM estimate), the two-level
independence model for CFI/TLI, and SRMR per level (``srmr_within``, ``srmr_between``) from the
unrestricted model's correlations, as ``lav_fit_srmr_twolevel``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govstats.sem import fit_measures as fm
from govstats.sem import trouble
from govstats.sem import two_level as tl
from govstats.sem.inference import Inference, checked_inverse
from govstats.sem.objectives import objective_for
from govstats.sem.two_level_model import TwoLevelModel
from govstats.sem.two_level_objective import TwoLevelObjective


@dataclass
class TwoLevelInference(Inference):
    """Inference with MLR's scaling factors of h0 and h1 (lavaan's summary prints them)."""

    scaling_factors: tuple | None = None


def cluster_score_matrix(objective: TwoLevelObjective, theta: np.ndarray) -> np.ndarray:
    """J x q: each cluster's d logL_j / d theta (the casewise scores of two-level data), with lavaan's
    Jacobian (see :meth:`TwoLevelObjective.jacobians`)."""
    m, within, between = objective.moments(theta)
    g_w, g_b, g_mu = tl.cluster_scores(objective.stats, m)
    dW, dB, dmu = objective.jacobians(theta, within, between, split_means=False)
    J, q = g_w.shape[0], len(theta)
    return (g_w.reshape(J, -1) @ dW.reshape(-1, q) + g_b.reshape(J, -1) @ dB.reshape(-1, q) + g_mu @ dmu)


def force_pd(matrix: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """lavaan's lav_matrix_symmetric_force_pd: eigenvalues below ``tol`` raised to it."""
    values, vectors = np.linalg.eigh(matrix)
    if values.min() >= tol:
        return matrix
    return (vectors * np.maximum(values, tol)) @ vectors.T


def _correlation(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def srmr_levels(h1: tl.H1, implied: tl.Moments2L, model: TwoLevelModel) -> dict:
    """SRMR within and between as lavaan's lav_fit_srmr_twolevel (correlation residuals against the
    unrestricted model, means left out), and their sum (lavaan's srmr)."""
    pos = model.between_position
    out = {}
    pairs = (("srmr_within", h1.sigma_w, implied.sigma_w),
             ("srmr_between", h1.sigma_b[np.ix_(pos, pos)], force_pd(implied.sigma_b[np.ix_(pos, pos)])))
    for name, sample, fitted in pairs:
        p = sample.shape[0]
        if np.all(np.diag(fitted) > 0):
            r = _correlation(sample) - _correlation(fitted)
            rows, cols = np.tril_indices(p)
            out[name] = float(np.sqrt(np.sum(r[rows, cols] ** 2) / (p * (p + 1) / 2)))
        else:
            out[name] = float("nan")
    out["srmr"] = out["srmr_within"] + out["srmr_between"]
    return out


def h1_parameter_count(model: TwoLevelModel, fixed_x: bool) -> int:
    """Free moments of the unrestricted model: Sigma_W, Sigma_B, the between means and the means of
    within-only variables, less the fixed.x covariates' own moments (not fitted)."""
    p1, p2 = len(model.level_names[0].ov), len(model.level_names[1].ov)
    count = p1 * (p1 + 1) // 2 + p2 * (p2 + 1) // 2 + p2 + int(model.within_only.sum())
    table = model.table
    n_exo = int(((table.exo == 1) & (table.free == 0)).sum()) if fixed_x else 0
    return count - n_exo


def infer_two_level(bound, opt, options, h1: tl.H1, baseline) -> Inference:
    """Inference of a fitted two-level model; ``baseline`` is the fitted independence model (bound
    model, optimum)."""
    messages = list(bound.statistics.messages)
    if not opt.converged:
        trouble.not_converged(opt.message, messages, "two-level model")
    if not h1.converged:
        trouble.not_converged(f"the estimate of the unrestricted two-level model did not settle in {h1.iterations} "
                              "iterations", messages, "unrestricted (h1) model")
    model, stats = bound.model, bound.statistics.blocks[0]
    objective = objective_for(bound)  # complete cluster statistics or, with blanks, two-level FIML
    theta = opt.theta
    n = stats.n
    constraints = opt.constraints
    fixed_x = bool(((model.table.exo == 1) & (model.table.free == 0)).any())
    robust = options.se == "robust.huber.white"
    scaled = options.test == "yuan.bentler.mplus"
    info = None
    if options.se != "none" or scaled:
        if options.information == "expected":
            info = 0.5 * objective.expected_hessian(theta)
        else:
            info = 0.5 * objective.observed_hessian(theta)
    info_inv = checked_inverse(info, messages, constraints) if info is not None else None
    b0 = None
    if robust or scaled:
        scores = cluster_score_matrix(objective, theta)
        b0 = scores.T @ scores / n
    vcov = None
    if info_inv is not None and options.se != "none":
        vcov = (info_inv @ b0 @ info_inv if robust else info_inv) / n

    implied, _, _ = objective.moments(theta)
    logl = objective.loglik(theta, fixed_x)
    chisq = max(2.0 * (h1.logl - logl), 0.0)
    q = model.n_parameters
    df = h1_parameter_count(model, fixed_x) - q
    base_bound, base_opt = baseline
    base_chisq = max(2.0 * (h1.logl - objective_for(base_bound).loglik(base_opt.theta, fixed_x)), 0.0)
    base_df = h1_parameter_count(model, fixed_x) - base_bound.model.n_parameters
    measures = fm.standard_measures(chisq=chisq, df=df, n=n, groups=1, npar=q, logl=logl,
                                    unrestricted_logl=h1.logl, baseline_chisq=base_chisq, baseline_df=base_df,
                                    srmr=srmr_levels(h1, implied, model))
    # lavaan's fmin for two-level models is its own objective's scale (3.663 on Demo.twolevel), not
    # chisq / 2N: left out rather than reported under its name with another meaning
    test_type = "standard"
    factors = None
    if scaled and info_inv is not None and df > 0:
        from govstats.sem.two_level_robust import scaled_test

        test_type = "yuan.bentler.mplus"
        robust_measures, factors = scaled_test(bound, objective, theta, b0, info_inv, h1, chisq, df, base_bound,
                                               base_opt, base_chisq, base_df, fixed_x,
                                               options.information == "expected")
        measures.update(robust_measures)
    return TwoLevelInference(vcov, measures, options.se, test_type, messages, scaling_factors=factors)
