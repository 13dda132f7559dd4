"""Inference for WLSMV and ULSMV on stage-1 statistics, as lavaan computes it (every group).

With s the stage-1 statistics (thresholds, polychoric correlations; lavaan's ``wls.obs``),
m(theta) the model's, Gamma N times their asymptotic covariance and W the weights
(WLSMV: diag(Gamma)^-1, lavaan's DWLS; ULSMV: the identity):

    F(theta) = (s - m(theta))' W (s - m(theta))       (the objective: govstats.sem.objectives)
    vcov = A^-1 Delta' W Gamma W Delta A^-1 / (N - 1),   A = Delta' W Delta
    chisq = (N - 1) F;   U = W - W Delta A^-1 Delta' W
    scaled-shifted: a = sqrt(df / tr((U Gamma)^2)), chisq_scaled = a chisq + df - a tr(U Gamma)

The (N - 1) divisors are lavaan's (measured on tests/reference/sem_ordinal: with N instead,
chisq is off by exactly N / (N - 1) and the SEs by its square root; with N - 1 the SEs agree
to 4e-6 relative). The parameter vector holds the thresholds too, so the formulas above
are the same in the delta and the theta parameterization. The traces use
tr(U Gamma) = tr(W Gamma) - tr(A^-1 H' W Delta) with H = Gamma W Delta, and the square's
trace likewise, so that no moments x moments product of three matrices is formed: O(K^2 q)
instead of O(K^3) for K moments (K = 555 for 30 five-point items).

With several groups the test's sums run over groups with weights c_g = N_g - 1: A = sum c_g
Delta_g' W_g Delta_g, B = sum c_g Delta_g' W_g Gamma_g W_g Delta_g, and U Gamma is block-structured,
so its traces are sums of per-group products; the covariance of the estimates is lavaan's
E^-1 (sum f_g Delta_g' W_g Gamma_g W_g Delta_g) E^-1 / (N - G) with f_g = N_g / N and
E = sum f_g Delta_g' W_g Delta_g (the same as above with one group).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import block_diag


@dataclass
class OrdinalInference:
    vcov: np.ndarray | None
    chisq: float
    df: int
    trace: float              # tr(U Gamma)
    trace2: float             # tr((U Gamma)^2)
    residuals: list           # per group: s - m(theta)
    jacobians: list           # per group: Delta
    a_inv: np.ndarray | None  # (sum c_g Delta' W Delta)^-1
    chisq_groups: list


def inference(bound, theta: np.ndarray, constraints=None) -> OrdinalInference:
    """Robust covariance of the estimates and the pieces of the scaled-shifted test."""
    q = len(theta)
    a = np.zeros((q, q))
    b = np.zeros((q, q))
    a_f, b_f = np.zeros((q, q)), np.zeros((q, q))   # weighted by f_g = N_g / N, for vcov
    n_total = bound.statistics.ntotal
    trace_wg = trace_wg2 = 0.0
    parts = []
    chisq_groups, n_moments = [], 0
    for block, d in zip(bound.blocks, bound.statistics.blocks):
        c, w = d.n - 1.0, d.weights
        m, sigma, pieces = block.moments(theta)
        resid = d.values - m
        J = block.jacobian(theta, sigma, pieces)
        wj = w[:, None] * J
        h = d.gamma @ wj                           # Gamma W Delta
        a += c * (J.T @ wj)
        b += c * (wj.T @ h)                        # Delta' W Gamma W Delta
        a_f += d.n / n_total * (J.T @ wj)
        b_f += d.n / n_total * (wj.T @ h)
        wg = w[:, None] * d.gamma                  # W Gamma
        trace_wg += float(np.trace(wg))
        trace_wg2 += float(np.sum(wg * wg.T))
        parts.append((c, w, h, resid, J))
        chisq_groups.append(c * float(resid @ (w * resid)))
        n_moments += len(resid)
    df = n_moments - bound.model.n_parameters
    residuals = [p[3] for p in parts]
    jacobians = [p[4] for p in parts]
    inverse = np.linalg.inv if constraints is None else constraints.inverse
    try:
        a_inv = inverse(a)
    except np.linalg.LinAlgError:
        return OrdinalInference(None, sum(chisq_groups), df, float("nan"), float("nan"), residuals, jacobians,
                                None, chisq_groups)
    # lavaan's robust.sem: E^-1 (sum f_g Delta' W Gamma W Delta) E^-1 / (N - G), E = sum f_g Delta' W Delta
    # (with c_g weights instead the SEs of group g were off by a factor 1 + (1/N_g - G/N) / 2)
    a_f_inv = inverse(a_f)
    vcov = a_f_inv @ b_f @ a_f_inv / (n_total - len(parts))
    p_mat = a_inv @ b                              # A^-1 B
    # tr((UG)^2) = tr(WGWG) - 2 tr(A^-1 sum c H' W H) + tr((A^-1 B)^2), with H = Gamma W Delta
    hwh = sum(c * ((w[:, None] * h).T @ h) for c, w, h, _, _ in parts)
    cross = float(np.sum(a_inv * hwh))
    trace = trace_wg - float(np.trace(p_mat))
    trace2 = trace_wg2 - 2 * cross + float(np.sum(p_mat * p_mat.T))
    return OrdinalInference(vcov, sum(chisq_groups), df, trace, trace2, residuals, jacobians, a_inv,
                            chisq_groups)


def baseline(bound) -> tuple[float, int, float, float]:
    """(chisq, df, tr(U Gamma), tr((U Gamma)^2)) of the independence model: thresholds, means and
    variances free (saturated), correlations zero, so U is W on the correlations, 0 elsewhere."""
    chisq = trace = trace2 = 0.0
    df = 0
    for block, d in zip(bound.blocks, bound.statistics.blocks):
        k = block.layout.pair
        r = d.values[k]
        wc = d.weights[k]
        wg = wc[:, None] * d.gamma[np.ix_(k, k)]
        chisq += (d.n - 1) * float(r @ (wc * r))
        df += len(r)
        trace += float(np.trace(wg))
        trace2 += float(np.sum(wg * wg.T))
    return chisq, df, trace, trace2


@dataclass
class CatMLRobust:
    """lavaan's ingredients of the robust CFI, TLI and RMSEA for ordered data (Savalei 2021)."""

    chisq: float         # ML discrepancy of the polychoric matrix at the WLSMV estimates, times N
    scaling: float       # c.hat3
    baseline_chisq: float
    baseline_scaling: float


def catml_robust(bound, inf: OrdinalInference) -> CatMLRobust | None:
    """Savalei's (2021) robust fit ingredients, as lavaan's ``lav_fit_catml_dwls``.

    The normal-theory (ML) discrepancy between each group's polychoric matrix R_g and the
    implied correlations at the DWLS estimates (lavaan refits nothing when every variable is
    ordered), times N_g and summed, is scaled by c = tr(U' V U Gamma) / df, with, over the
    correlations of every group stacked: V the ML weights at the implied matrices (times
    f_g = N_g / N), Gamma the polychorics' Gamma (over f_g), and U = I - Delta E^-1 Delta' W with
    E the DWLS information; the baseline by tr(Gamma) / p*. None where lavaan gives NA: with
    continuous variables or covariates, or when some R_g is not positive definite (an eigenvalue
    below sqrt(machine epsilon)), or when an equality (a shared label or an explicit constraint)
    involves a threshold or an intercept: lavaan's catML refit drops those rows, its ``==``
    rows then name parameters that are gone, the refit fails and lavaan reports NA (checked on
    group_equal thresholds and intercepts, and on a label shared by two thresholds).
    """
    if inf.a_inv is None or _equalities_on_dropped_rows(bound.model):
        return None
    n_total = bound.statistics.ntotal
    chisq = base_chisq = 0.0
    v_blocks, g_blocks, w_blocks, d_rows = [], [], [], []
    for block, d, resid, J in zip(bound.blocks, bound.statistics.blocks, inf.residuals, inf.jacobians):
        lay = block.layout
        if len(lay.mean) or len(lay.var) or len(lay.slope):
            return None
        r = d.stage1.correlations.loc[block.items, block.items].to_numpy()
        if np.linalg.eigvalsh(r).min() < np.sqrt(np.finfo(float).eps):
            return None
        a, b = lay.pair_a, lay.pair_b
        implied = np.eye(len(block.items))
        implied[a, b] = implied[b, a] = d.values[lay.pair] - resid[lay.pair]
        try:
            inv = np.linalg.inv(implied)
        except np.linalg.LinAlgError:
            return None
        f_ml = np.linalg.slogdet(implied)[1] + np.sum(r * inv) - np.linalg.slogdet(r)[1] - len(block.items)
        chisq += d.n * f_ml
        base_chisq += -d.n * np.linalg.slogdet(r)[1]
        fg = d.n / n_total
        v_blocks.append(fg * (inv[np.ix_(a, a)] * inv[np.ix_(b, b)] + inv[np.ix_(a, b)] * inv[np.ix_(b, a)]))
        g_blocks.append(d.gamma[np.ix_(lay.pair, lay.pair)] / fg)
        # Delta E^-1 Delta' W with lavaan's E = A / N and W = (N_g - 1) / N times ours: A^-1 c_g W_g
        w_blocks.append((d.n - 1.0) * d.weights[lay.pair])
        d_rows.append(J[lay.pair])
    delta = np.vstack(d_rows)
    v_all, g_all = block_diag(*v_blocks), block_diag(*g_blocks)
    u = np.eye(len(delta)) - (delta @ inf.a_inv @ delta.T) * np.concatenate(w_blocks)[None, :]
    ks = float(np.sum((u.T @ v_all @ u) * g_all.T))
    return CatMLRobust(chisq=chisq, scaling=ks / inf.df, baseline_chisq=base_chisq,
                       baseline_scaling=float(np.trace(g_all)) / len(delta))



def _equalities_on_dropped_rows(model) -> bool:
    """Whether an equality involves a threshold or intercept row (see :func:`catml_robust`)."""
    table = model.table
    dropped = table.op.isin(["|", "~1"]).to_numpy()
    labels = table.label.to_numpy()
    free = table.free.to_numpy() > 0
    counts = pd.Series(labels[free & (labels != "")]).value_counts()
    shared = set(counts.index[counts > 1])
    if any(lab in shared for lab in labels[dropped & free]):
        return True
    constrained = table[table.op.isin(["==", "<", ">"])]
    if len(constrained):
        dropped_labels = {lab for lab in labels[dropped] if lab}
        text = " ".join(list(constrained.lhs) + list(constrained.rhs))
        return any(re.search(rf"(?<![\w.]){re.escape(lab)}(?![\w.])", text) for lab in dropped_labels)
    return False
