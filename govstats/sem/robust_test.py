"""The Yuan-Bentler scaled test (Mplus variant) as lavaan computes it, plain and cluster-robust.

c = tr(U Gamma) / df with tr(U Gamma) = tr(B1 A1^-1) - tr(B0 E^-1): B1 and A1 the
first-order and ordinary information of the saturated model at the sample moments, B0
the first-order information of the model (summed within clusters with G/(G-1) when
clustered) and E the model information used for the test: expected, the Hessian (MLR), or the
h1 information at the implied moments (ML with several tests, e.g. with ``cluster``), as
lavaan's source (lav_test_yuan_bentler.R) chooses it.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from scipy.linalg import block_diag

from govstats.sem.ml_inference import cross_product, fixed_x_fitted, h1_trace, normal_theory_weight


def trace_ugamma(data, meanstructure, b0, e_inv, clustered, exo=()) -> float:
    """tr(U Gamma) = tr(B1 A1^-1) - tr(B0 E^-1), with E^-1 the inverse of the information the
    test uses (lavaan: expected, the Hessian, or the h1 information at the implied moments)."""
    return saturated_trace(data, meanstructure, clustered, exo) - np.sum(b0 * e_inv.T)


def saturated_trace(data, meanstructure: bool, clustered: bool, exo=()) -> float:
    """tr(B1 A1^-1) of the saturated model, summed over groups. With fixed.x covariates (``exo``:
    their positions) their own means and (co)variances are not estimated, so their rows leave
    B1 and A1 (lavaan: the scaling factor of a MIMIC model, 1.0095 with the x part left out,
    1.1022 with it)."""
    if len(exo):
        return sum(_explicit_saturated_trace(d, meanstructure, clustered, exo) for d in data)
    return cluster_h1_trace(data, meanstructure) if clustered else h1_trace(data, meanstructure)


def _explicit_saturated_trace(d, meanstructure: bool, clustered: bool, exo) -> float:
    """tr(B1 A1^-1) from the casewise saturated scores and the expected information of (mu,
    vech Sigma) at the sample moments, on the moments that are not the covariates' own."""
    p = d.cov.shape[0]
    inv = np.linalg.inv(d.cov)
    z = (d.raw - d.mean) @ inv
    rows, cols = np.tril_indices(p)
    diagonal = rows == cols
    scores = z[:, rows] * z[:, cols] - inv[rows, cols]
    scores[:, diagonal] *= 0.5
    info = normal_theory_weight(inv, rows, cols)
    is_x = np.zeros(p, dtype=bool)
    is_x[list(exo)] = True
    keep = ~(is_x[rows] & is_x[cols])
    scores, info = scores[:, keep], info[np.ix_(keep, keep)]
    if meanstructure:
        scores = np.hstack([z[:, ~is_x], scores])
        info = block_diag(inv[np.ix_(~is_x, ~is_x)], info)
    b1 = cross_product(scores, d.cluster if clustered else None) / d.n
    return float(np.sum(b1 * np.linalg.inv(info).T))


def moment_deviations(d, meanstructure: bool, exo=()) -> np.ndarray:
    """The n x k casewise sample moments, centred: (means,) then the covariances in
    ``np.tril_indices`` order. Their cross product over n is the sample's Gamma (N divisor); with
    fixed.x covariates (``exo``) lavaan's, from the moments less those of the fit on the
    covariates, so that the covariates' own moments drop out."""
    p = d.cov.shape[0]
    rows, cols = np.tril_indices(p)
    dev = d.raw - d.mean
    moments = dev[:, rows] * dev[:, cols]
    means = dev
    if len(exo):
        fitted = fixed_x_fitted(d, exo)
        moments = moments - fitted[:, rows] * fitted[:, cols]
        means = dev - fitted
    moments = moments - moments.mean(axis=0)
    return np.hstack([means, moments]) if meanstructure else moments


def moment_weight(inv: np.ndarray, meanstructure: bool) -> np.ndarray:
    """A1, the normal-theory weight of (means,) vech(Sigma) at the covariance matrix whose inverse
    is ``inv``, in the order of :func:`moment_deviations`."""
    rows, cols = np.tril_indices(inv.shape[0])
    weight = normal_theory_weight(inv, rows, cols)
    return block_diag(inv, weight) if meanstructure else weight


def gamma_trace(d, inv: np.ndarray, meanstructure: bool, exo=()) -> float:
    """tr(A1 Gamma) for one group: Gamma the sample's asymptotic covariance of (means, vech S)
    (N divisor; under fixed.x lavaan's, from the moments less those of the fit on the covariates)
    and A1 the normal-theory weight at the covariance matrix whose inverse is ``inv`` (the implied
    one for the model, the diagonal one for the baseline). The Satorra-Bentler test's first term."""
    z = moment_deviations(d, meanstructure, exo)
    return float(np.sum((z @ moment_weight(inv, meanstructure)) * z)) / d.n


def satorra_bentler_trace(models, data, theta, meanstructure, middle, e_inv, exo=()) -> float:
    """tr(U Gamma) = tr(A1 Gamma) - tr(E^-1 Delta' A1 Gamma A1 Delta) at the implied moments,
    summed over groups (lavaan's Satorra-Bentler test)."""
    first = sum(gamma_trace(d, np.linalg.inv(m.implied(theta)[0]), meanstructure, exo) for m, d in zip(models, data))
    return first - float(np.sum(middle * e_inv.T))


def h1_information(models, data, theta, meanstructure) -> np.ndarray:
    """The observed h1 information at the implied moments, summed over groups (lavaan's
    observed.information = "h1"; with it the cluster scaling factor matches lavaan's to 1e-5,
    the Hessian-based one is off by 1e-3)."""
    n_total = sum(d.n for d in data)
    return sum(d.n / n_total * h1_structured_information(m, d, theta, meanstructure) for m, d in zip(models, data))


def cluster_h1_trace(data, meanstructure) -> float:
    """tr(B1 A1^-1) with B1 from cluster-summed saturated scores and lavaan's G/(G-1).

    The saturated model's information is block diagonal at the sample moments, and for a
    covariance score t = D' vec(M) (M symmetric) t' A1^-1 t = 2 tr(M S M S), so each
    cluster costs two p x p products instead of a p* x p* inverse (0.45 s at p = 41).
    """
    total = 0.0
    for d in data:
        inv = np.linalg.inv(d.cov)
        z = (d.raw - d.mean) @ inv
        labels, inverse = np.unique(d.cluster, return_inverse=True)
        g = len(labels)
        value = 0.0
        for c in range(g):
            zc = z[inverse == c]
            m = 0.5 * (zc.T @ zc - len(zc) * inv)
            ms = m @ d.cov
            value += 2.0 * np.sum(ms * ms.T)
            if meanstructure:
                t = zc.sum(axis=0)
                value += t @ d.cov @ t
        total += g / (g - 1) * value / d.n
    return total


def h1_structured_information(model, d, theta, meanstructure) -> np.ndarray:
    """Delta' A1 Delta with A1 the observed information of the saturated model at the implied moments."""
    sigma, mu, B, C, M = model.implied(theta)
    dS, dmu = model.jacobian(theta, B, C, M)
    p = model.p
    rows, cols = np.tril_indices(p)
    delta = dS[rows, cols, :]
    inv = np.linalg.inv(sigma)
    w_mat = inv @ d.cov @ inv - 0.5 * inv
    a = (inv[rows][:, rows] * w_mat[cols][:, cols] + inv[rows][:, cols] * w_mat[cols][:, rows]
         + w_mat[rows][:, rows] * inv[cols][:, cols] + w_mat[rows][:, cols] * inv[cols][:, rows]) / 2
    weight = np.where(rows == cols, 1.0, 2.0)
    a = a * np.outer(weight, weight) / 2
    info = delta.T @ a @ delta
    if meanstructure:
        info = info + dmu.T @ inv @ dmu
    return info


def baseline_scaling(data, meanstructure: bool, base_df: float, clustered: bool, exo=(),
                     satorra_bentler: bool = False, free_x=()) -> float:
    """Yuan-Bentler (or, with ``satorra_bentler``, Satorra-Bentler) scaling factor of the
    independence model (for the robust CFI/TLI).

    The independence model's information is diagonal (1/s_jj for a mean, 1/(2 s_jj^2) for a
    variance), so its trace needs only the casewise scores (centred: the mean of d^2 is s_jj).
    ``free_x``: covariates that are not fixed.x; lavaan's baseline still keeps their block
    saturated (free covariances), whose part of the trace is that of a saturated model of them.
    """
    if satorra_bentler:  # tr(A1 Gamma) with A1 at the independence model's covariance matrix
        trace_h1 = 0.0
        for d in data:
            sigma0 = np.diag(np.diag(d.cov))
            x = list(exo) + list(free_x)
            sigma0[np.ix_(x, x)] = d.cov[np.ix_(x, x)]
            trace_h1 += gamma_trace(d, np.linalg.inv(sigma0), meanstructure, exo)
    else:
        trace_h1 = saturated_trace(data, meanstructure, clustered, exo)
    trace_h0 = 0.0
    free_x = list(free_x)
    for d in data:
        if free_x:
            sub = SimpleNamespace(n=d.n, raw=d.raw[:, free_x], mean=d.mean[free_x], cluster=d.cluster,
                                  cov=d.cov[np.ix_(free_x, free_x)])
            trace_h0 += (gamma_trace(sub, np.linalg.inv(sub.cov), meanstructure) if satorra_bentler
                         else saturated_trace([sub], meanstructure, clustered))
        # the covariates' moments are fixed (exo) or in their own saturated block (free_x)
        y = np.setdiff1d(np.arange(d.cov.shape[0]), list(exo) + free_x)
        s_jj = np.diag(d.cov)[y]
        centred = (d.raw - d.mean)[:, y]
        squares = centred ** 2
        if satorra_bentler and len(exo):  # lavaan's fixed.x Gamma: less the moments of the fit on x
            fitted = fixed_x_fitted(d, exo)[:, y]
            squares, centred = squares - fitted ** 2, centred - fitted
        scores = [0.5 * (squares - squares.mean(axis=0)) / s_jj ** 2]
        inv_info = [2 * s_jj ** 2]
        if meanstructure:
            scores.insert(0, centred / s_jj)
            inv_info.insert(0, s_jj)
        scores, inv_info = np.hstack(scores), np.concatenate(inv_info)
        outer = np.diag(cross_product(scores, d.cluster if clustered else None))
        # per group: the information and the first-order information carry the same weight n_g / N
        trace_h0 += np.sum(outer / d.n * inv_info)
    return (trace_h1 - trace_h0) / base_df


def second_order_traces(models, data, theta, meanstructure, e_inv, exo=()) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2) of the model, as lavaan's ``lav_test_satorra_bentler_trace_original``
    (every group at once, as lavaan since 0.6-13): U = V - V Delta E^-1 Delta' V with V the
    groups' A1 (at the implied moments) weighted f_g = N_g / N and Gamma the groups' Gamma over
    f_g, ``e_inv`` the inverse of the expected information. The two traces make MLMV's
    scaled-shifted and MLMVS's mean-and-variance adjusted tests."""
    pieces = moment_pieces(models, data, theta, meanstructure, exo)
    n_total = sum(n for *_, n in pieces)
    return ugamma_traces([(n / n_total, delta, w, gamma) for delta, w, gamma, n in pieces], e_inv)


def moment_pieces(models, data, theta, meanstructure: bool, exo=()) -> list:
    """Per group (Delta, A1, Gamma, N_g) of an ML fit on complete data: the Jacobian of (means,)
    vech(Sigma), the normal-theory weight at the implied moments, and the sample's Gamma (fixed.x
    version with covariates ``exo``); what the second-order tests and their difference tests use."""
    pieces = []
    for model, d in zip(models, data):
        sigma, mu, B, C, M = model.implied(theta)
        dS, dmu = model.jacobian(theta, B, C, M)
        rows, cols = np.tril_indices(model.p)
        delta = np.vstack([dmu, dS[rows, cols, :]]) if meanstructure else dS[rows, cols, :]
        z = moment_deviations(d, meanstructure, exo)
        pieces.append((delta, moment_weight(np.linalg.inv(sigma), meanstructure), z.T @ z / d.n, float(d.n)))
    return pieces


def ugamma_traces(parts, e_inv: np.ndarray) -> tuple[float, float]:
    """tr(U Gamma), tr((U Gamma)^2) from per-group (f_g, Delta_g, A1_g, Gamma_g), without the
    k x k matrix U: with H = Gamma W Delta and P = E^-1 sum f_g Delta' W H,
    tr(UG) = sum tr(W Gamma) - tr(P) and
    tr((UG)^2) = sum tr(W Gamma W Gamma) - 2 tr(E^-1 sum f_g H' W H) + tr(P P)
    (V and Gamma are block diagonal, so the f_g cancel in W Gamma)."""
    first = square = 0.0
    middle = cross = 0.0
    for f, delta, w, gamma in parts:
        wg = w @ gamma
        first += float(np.trace(wg))
        square += float(np.sum(wg * wg.T))
        h = gamma @ (w @ delta)
        middle = middle + f * (delta.T @ (w @ h))
        cross = cross + f * (h.T @ (w @ h))
    p_mat = e_inv @ middle
    trace = first - float(np.trace(p_mat))
    trace2 = square - 2 * float(np.sum(e_inv * cross)) + float(np.sum(p_mat * p_mat.T))
    return trace, trace2


def baseline_second_order_traces(data, meanstructure: bool, exo=(), free_x=()) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2) of the independence model (lavaan's baseline, fitted by ML):
    free means (with a mean structure) and variances, the covariates' block as in
    :func:`baseline_scaling` (fixed.x: fixed at the sample moments; ``free_x``: free). Its
    parameters are moments, so Delta selects them and the estimates are the sample's (N divisor)."""
    n_total = sum(d.n for d in data)
    blocks = []
    for d in data:
        p = d.cov.shape[0]
        rows, cols = np.tril_indices(p)
        is_exo = np.zeros(p, dtype=bool)
        is_exo[list(exo)] = True
        in_x = np.zeros(p, dtype=bool)
        in_x[list(exo) + list(free_x)] = True
        sigma0 = np.diag(np.diag(d.cov))
        sigma0[np.ix_(in_x, in_x)] = d.cov[np.ix_(in_x, in_x)]
        free = ((rows == cols) & ~is_exo[rows]) | (np.isin(rows, list(free_x)) & np.isin(cols, list(free_x)))
        if meanstructure:
            free = np.concatenate([~is_exo, free])
        selection = np.eye(len(free))[:, free]
        z = moment_deviations(d, meanstructure, exo)
        blocks.append((d.n / n_total, selection, moment_weight(np.linalg.inv(sigma0), meanstructure), z.T @ z / d.n))
    # the groups' parameters are their own: Delta is block diagonal across groups
    widths = [b[1].shape[1] for b in blocks]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    parts, information = [], np.zeros((offsets[-1], offsets[-1]))
    for (f, selection, w, gamma), start, stop in zip(blocks, offsets[:-1], offsets[1:]):
        delta = np.zeros((selection.shape[0], offsets[-1]))
        delta[:, start:stop] = selection
        information += f * (delta.T @ w @ delta)
        parts.append((f, delta, w, gamma))
    return ugamma_traces(parts, np.linalg.inv(information))
