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

from govstats.sem.fiml import vech_index
from govstats.sem.fiml_inference import saturated_information


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
    if version == "V3":
        return float(np.trace(U @ wmi @ wc @ wmi @ U @ gamma))
    return float(np.trace(wc @ wmi @ U @ wmi))


def fiml_corrected(groups, df: float, base_df: float, version: str, clustered: bool,
                   inverse=np.linalg.inv) -> FimlCorrected:
    """``groups``: :class:`govstats.sem.fiml_inference.GroupTerms` at the estimate; ``inverse``
    inverts the information (under constraints, the constrained inverse)."""
    n_total = sum(g.d.n for g in groups)
    wm_all, wmi_all, wc_all, gamma_all, deltas, base_deltas = [], [], [], [], [], []
    xx3 = xx3_null = 0.0
    for g in groups:
        d, h1 = g.d, g.d.h1
        f = d.n / n_total
        p = len(h1.mean)
        rows, cols = vech_index(p)
        wm, jm, wc = saturated_information(d, clustered)
        wmi = np.linalg.inv(wm)
        wm_all.append(f * wm)
        wmi_all.append(wmi / f)
        wc_all.append(f * wc)
        gamma_all.append(wmi @ jm @ wmi / f)
        deltas.append(np.vstack([g.dmu, g.dS[rows, cols, :]]))
        xx3 += complete_data_statistic(d.n, h1.mean, h1.cov, g.mu, g.sigma)
        # the independence model: available-case means and variances (their FIML estimates)
        mean0 = np.nanmean(d.raw, axis=0)
        var0 = np.nanvar(d.raw, axis=0)
        xx3_null += complete_data_statistic(d.n, h1.mean, h1.cov, mean0, np.diag(var0))
        base = np.zeros((p + len(rows), 2 * p))
        base[np.arange(p), np.arange(p)] = 1.0
        base[p + np.flatnonzero(rows == cols), p + np.arange(p)] = 1.0
        base_deltas.append(base)
    wm_all, wmi_all, wc_all, gamma_all = (block_diag(*m) for m in (wm_all, wmi_all, wc_all, gamma_all))
    delta = np.vstack(deltas)
    e_inv = inverse(delta.T @ wm_all @ delta)
    U = wm_all - wm_all @ delta @ e_inv @ delta.T @ wm_all
    c = _trace(U, wmi_all, wc_all, gamma_all, version) / df
    base_delta = block_diag(*base_deltas)
    e_inv_base = np.linalg.inv(base_delta.T @ wm_all @ base_delta)
    U_base = wm_all - wm_all @ base_delta @ e_inv_base @ base_delta.T @ wm_all
    c_null = _trace(U_base, wmi_all, wc_all, gamma_all, version) / base_df
    return FimlCorrected(xx3=xx3, c=c, xx3_null=xx3_null, c_null=c_null)
