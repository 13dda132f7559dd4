"""Robust CFI, TLI and RMSEA for incomplete data: lavaan 0.6.14's "FIML-corrected" statistics
(Zhang and Savalei), which lavaan reports as ``cfi.robust``, ``rmsea.robust``, ... whenever
``missing = "ml"``, with ML (version V6) and with a scaled test (MLR: version V3).

XX3 is the complete-data ML statistic of the model's estimates against the EM moments
(N F_ML, not re-optimized); its scaling factor comes from the saturated model's observed
information Wm and first-order information Jm under FIML, and the normal-theory information Wc,
all at the EM moments (lav_fit_fiml_corrected):

    U = Wm - Wm Delta (Delta' Wm Delta)^-1 Delta' Wm
    V3: k = tr(U Wm^-1 Wc Wm^-1 U Gamma), Gamma = Wm^-1 Jm Wm^-1;   V6: k = tr(Wc Wm^-1 U Wm^-1)

and c = k / df; the same for the independence model (its FIML estimates: available-case means
and variances). Groups are stacked block-diagonally with the weights N_g / N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from govstats.sem.fiml import pattern_sets, vech_index
from govstats.sem.fiml_inference import expected_saturated_information, free_moments, saturated_information
from govstats.sem.missing_data import available_case_moments, em_h1


@dataclass
class FimlCorrected:
    xx3: float
    c: float
    xx3_null: float
    c_null: float


def complete_data_statistic(n: int, mean: np.ndarray, cov: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> float:
    """N F_ML of implied (mu, Sigma) against the moments (mean, cov), with the means."""
    inv = np.linalg.inv(sigma)
    diff = mean - mu
    f = (np.linalg.slogdet(sigma)[1] - np.linalg.slogdet(cov)[1] + np.sum(cov * inv) - len(mu)
         + diff @ inv @ diff)
    return float(n * f)


def _trace(U, wmi, wc, gamma, version: str) -> float:
    """tr(XY) as sum(X * Y'): four matrix products instead of six for V3."""
    if version == "V3":
        return float(np.sum((U @ wmi @ wc @ wmi) * (U @ gamma).T))
    return float(np.sum((wc @ wmi) * (U @ wmi).T))


def fiml_corrected(groups, df: float, base_df: float, version: str, clustered: bool, covariates: list[int],
                   fixed_x: bool, inverse=np.linalg.inv, expected: bool = False) -> FimlCorrected:
    """``groups``: :class:`govstats.sem.fiml_inference.GroupTerms` at the estimate; ``base_df`` the
    independence model's degrees of freedom; ``covariates`` the exogenous covariates' positions,
    fixed (``fixed_x``: their own moments leave every matrix, as lavaan zeroes them) or free;
    ``inverse`` inverts the information (under constraints, the constrained inverse); ``expected``:
    the information inverted is the expected one at the EM moments (lavaan follows information[1]
    there; the observed one otherwise). As lavaan,
    the baseline here is always the independence model, even when the fit's own baseline is
    another (auxiliary variables: semTools' baseline)."""
    n_total = sum(g.d.n for g in groups)
    wm_all, wmi_all, wc_all, gamma_all, deltas, base_deltas, we_all = [], [], [], [], [], [], []
    xx3 = xx3_null = 0.0
    x = list(covariates)
    for g in groups:
        d, h1 = g.d, g.d.h1
        f = d.n / n_total
        p = len(h1.mean)
        rows, cols = vech_index(p)
        keep = free_moments(p, x if fixed_x else [])
        wm, jm, wc = (m[np.ix_(keep, keep)] for m in saturated_information(d, clustered))
        if x and not fixed_x:
            # lavaan's complete-data refit behind Wc takes fixed.x at its default (TRUE): the covariates'
            # own moments are zeroed there even when the fit frees them
            wc = wc * np.outer(free_moments(p, x), free_moments(p, x))[np.ix_(keep, keep)]
        wmi = np.linalg.inv(wm)
        wm_all.append(f * wm)
        we_all.append(f * expected_saturated_information(d)[np.ix_(keep, keep)] if expected else f * wm)
        wmi_all.append(wmi / f)
        wc_all.append(f * wc)
        gamma_all.append(wmi @ jm @ wmi / f)
        deltas.append(np.vstack([g.dmu, g.dS[rows, cols, :]])[keep])
        xx3 += complete_data_statistic(d.n, h1.mean, h1.cov, g.mu, g.sigma)
        # the independence model's FIML estimates: available-case means and variances; the
        # covariates' block at the EM moments, fixed or (free) estimated from the covariates alone
        mean0, cov0 = np.nanmean(d.raw, axis=0), np.diag(np.nanvar(d.raw, axis=0))
        y = np.setdiff1d(np.arange(p), x)
        free = [(j, j) for j in y] + ([] if fixed_x else [(i, j) for i in x for j in x if i >= j])
        if x:
            if fixed_x:
                mean0[x], cov0[np.ix_(x, x)] = h1.mean[x], h1.cov[np.ix_(x, x)]
            else:
                block = em_h1(*_sets_and_start(d.raw[:, x]), d.n)
                mean0[x], cov0[np.ix_(x, x)] = block.mean, block.cov
        xx3_null += complete_data_statistic(d.n, h1.mean, h1.cov, mean0, cov0)
        means_free = list(y) + ([] if fixed_x else x)
        position = {(int(r), int(c)): k for k, (r, c) in enumerate(zip(rows, cols))}
        base = np.zeros((p + len(rows), len(means_free) + len(free)))
        base[means_free, np.arange(len(means_free))] = 1.0
        for k, (i, j) in enumerate(free):
            base[p + position[(max(i, j), min(i, j))], len(means_free) + k] = 1.0
        base_deltas.append(base[keep])
    wm_all, wmi_all, wc_all, gamma_all, we_all = (block_diag(*m) for m in (wm_all, wmi_all, wc_all, gamma_all,
                                                                          we_all))
    delta = np.vstack(deltas)
    e_inv = inverse(delta.T @ we_all @ delta)
    U = wm_all - wm_all @ delta @ e_inv @ delta.T @ wm_all
    c = _trace(U, wmi_all, wc_all, gamma_all, version) / df
    base_delta = block_diag(*base_deltas)
    e_inv_base = np.linalg.inv(base_delta.T @ we_all @ base_delta)
    U_base = wm_all - wm_all @ base_delta @ e_inv_base @ base_delta.T @ wm_all
    c_null = _trace(U_base, wmi_all, wc_all, gamma_all, version) / base_df
    return FimlCorrected(xx3=xx3, c=c, xx3_null=xx3_null, c_null=c_null)


def _sets_and_start(x: np.ndarray):
    sets, _ = pattern_sets(x)
    return (sets,) + available_case_moments(x)
