"""ML information matrices, casewise scores, and the pieces of the sandwich.

All informations are per observation (lavaan's convention): the covariance matrix of the
estimates is ``inv(A) / N`` (standard) or ``inv(A) B inv(A) / N`` (sandwich, with ``B``
the mean outer product of casewise scores, summed within clusters when clustered).
"""

from __future__ import annotations

import numpy as np

from govstats.sem.ml import gradient_and_information

HESSIAN_STEP = 1e-5


def expected_information(models, data, theta, meanstructure) -> np.ndarray:
    """E[-d2 logL / N]: half the expected Hessian of the discrepancy F."""
    _, _, hess = gradient_and_information(models, data, theta, meanstructure)
    return 0.5 * hess


def observed_information(models, data, theta, meanstructure) -> np.ndarray:
    """-d2 logL / N: half the Hessian of F, by central differences of the analytic gradient.

    The step is 1e-5 relative: the truncation error (order step^2) is 1e-10, far below the
    1e-3 agreement asked of the standard errors; against lavaan's numerical Hessian the
    robust SEs agree to 1e-5 relative on every fixture.
    """
    q = len(theta)
    out = np.empty((q, q))
    for k in range(q):
        h = HESSIAN_STEP * max(1.0, abs(theta[k]))
        for _ in range(30):  # a step that leaves the admissible region (tiny variances) is halved
            e = np.zeros(q)
            e[k] = h
            _, g_plus, _ = gradient_and_information(models, data, theta + e, meanstructure, information=False)
            _, g_minus, _ = gradient_and_information(models, data, theta - e, meanstructure, information=False)
            if g_plus is not None and g_minus is not None:
                break
            h /= 4
        else:
            raise np.linalg.LinAlgError("no admissible step for the observed information")
        out[:, k] = (g_plus - g_minus) / (2 * h)
    return 0.25 * (out + out.T)


def casewise_scores(models, data, theta, meanstructure) -> list[np.ndarray]:
    """Per group, an n_g x q matrix of d logL_i / d theta for each case."""
    out = []
    for model, d in zip(models, data):
        sigma, mu, B, C, M = model.implied(theta)
        inv = np.linalg.inv(sigma)
        centre = mu if meanstructure else d.mean
        out.append(model.casewise(B, C, M, inv, (d.raw - centre) @ inv, meanstructure))
    return out


def gamma_middle(models, data, theta, meanstructure, exo=()) -> np.ndarray:
    """Delta' A1 Gamma A1 Delta (per observation, groups weighted N_g / N): the middle of lavaan's
    robust.sem (MLM) sandwich and of the Satorra-Bentler trace, with Gamma the sample's
    asymptotic covariance of the moments (N divisor) and A1 the normal-theory weight at the
    implied moments. It is the covariance of the casewise scores of the data centred at the
    sample means: each score is Delta' A1 (s_i - sigma) and their mean removes sigma."""
    total_n = sum(d.n for d in data)
    out = 0.0
    for model, d in zip(models, data):
        sigma, mu, B, C, M = model.implied(theta)
        inv = np.linalg.inv(sigma)
        scores = model.casewise(B, C, M, inv, (d.raw - d.mean) @ inv, meanstructure)
        if len(exo):  # lavaan's fixed.x Gamma: moments of the data less those of their fit on x
            fitted = fixed_x_fitted(d, exo)
            scores = scores - model.casewise(B, C, M, inv, fitted @ inv, meanstructure)
        scores = scores - scores.mean(axis=0)
        out = out + scores.T @ scores / total_n
    return out


def fixed_x_fitted(d, exo) -> np.ndarray:
    """The centred data with every variable but the fixed.x covariates replaced by its least-squares
    fit on them (lavaan's YHAT in lav_samplestats_Gamma): Gamma under fixed.x is the covariance of
    the moments of the data less those of this fit, so the covariates' own moments drop out."""
    exo = list(exo)
    x = np.column_stack([np.ones(d.n), d.raw[:, exo]])
    coefficients = np.linalg.lstsq(x, d.raw, rcond=None)[0]
    fitted = x @ coefficients
    fitted[:, exo] = d.raw[:, exo]
    return fitted - fitted.mean(axis=0)


def normal_theory_weight(inv: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """1/2 D' (Sigma^-1 x Sigma^-1) D on the covariance elements (rows[k], cols[k]), each counted once:
    the normal-theory information of vech(Sigma) (and GLS's weight), from Sigma^-1 (``inv``)."""
    f = np.where(rows == cols, 0.5, 1.0)
    return (inv[rows][:, rows] * inv[cols][:, cols] + inv[rows][:, cols] * inv[cols][:, rows]) * np.outer(f, f)


def cross_product(scores: np.ndarray, cluster: np.ndarray | None = None) -> np.ndarray:
    """sum_i s_i s_i' of casewise scores (rows); with ``cluster`` (each row's cluster id), of the
    scores summed within clusters, times lavaan's small-sample factor G / (G - 1) (robust.cluster)."""
    if cluster is None:
        return scores.T @ scores
    labels, inverse = np.unique(cluster, return_inverse=True)
    summed = np.zeros((len(labels), scores.shape[1]))
    np.add.at(summed, inverse, scores)
    g = len(labels)
    return g / (g - 1) * summed.T @ summed


def first_order_information(scores: list[np.ndarray], data, cluster: bool) -> np.ndarray:
    """B: mean outer product of casewise scores; with clusters, of the scores summed per cluster,
    with the small-sample factor G / (G - 1) of lavaan's robust.cluster."""
    total_n = sum(d.n for d in data)
    return sum(cross_product(s, d.cluster if cluster else None) for s, d in zip(scores, data)) / total_n


def h1_trace(data, meanstructure: bool) -> float:
    """tr(B1 A1^-1) of the saturated model per group, summed (Yuan-Bentler, Mplus variant).

    With u_i = d_i' S^-1 d_i (d_i = x_i - xbar), the casewise saturated scores give
    s_i' A1^-1 s_i = ((u_i - 1)^2 + p - 1) / 2 for the covariances, plus u_i for the means
    (the two blocks of A1 are orthogonal), so the trace needs no p* x p* matrix.
    """
    total = 0.0
    for d in data:
        p = d.cov.shape[0]
        centred = d.raw - d.mean
        u = np.einsum("ij,ij->i", centred @ np.linalg.inv(d.cov), centred)
        value = 0.5 * ((u - 1) ** 2 + p - 1)
        if meanstructure:
            value = value + u
        total += value.mean()
    return total
