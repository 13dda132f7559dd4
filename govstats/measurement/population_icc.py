"""The ICCs an instrument's population implies for its items and construct scores, as answered.

:func:`govstats.simulate` draws every construct with its declared ICC on the latent scale: a
share ``icc`` of the factor's variance lies between communities. An item's latent response is
``y* = loading * eta + e`` and is cut into categories at the item's thresholds, so the ICC of
the item's *codes* is smaller than ``icc`` (``loading^2 * icc`` before the cut, and the cut
attenuates it further), and a construct score (the mean of its items' codes) has an ICC of
its own. These are the numbers the sample ICC(1) of :func:`govstats.multilevel` estimates, and
they are computed here exactly (to quadrature precision), not by simulation:

for two codes ``f(Y1)``, ``f(Y2)`` of standard-normal latent responses with correlation rho,
Cov(f(Y1), f(Y2)) = sum_s sum_t d_s d_t [Phi2(s, t; rho) - Phi(s) Phi(t)], where d are the
steps between consecutive codes at thresholds s, t; and Phi2(s, t; rho) - Phi(s) Phi(t) is the
integral of the bivariate normal density phi2(s, t; r) over r from 0 to rho (Plackett 1954),
which 48-point Gauss-Legendre quadrature evaluates within 2e-16 of scipy's adaptive ``quad``
(measured for |rho| <= .9 and thresholds in [-1.5, 1.5]).

Two respondents of one community have latent responses correlated ``l_j l_k icc`` (items j, k),
one respondent's two items ``l_j l_k``; signs follow reverse coding, and reversed items are
scored back (min + max - code), as :func:`govstats.score` and ``multilevel()`` score them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)


def code_covariance(t1, d1, t2, d2, rho: float) -> float:
    """Cov(f1(Y1), f2(Y2)) for codes stepping by ``d`` at thresholds ``t`` of latent responses with correlation rho.

    >>> from scipy.stats import multivariate_normal, norm
    >>> exact = multivariate_normal([0, 0], [[1, .3], [.3, 1]]).cdf([0.5, -0.2]) - norm.cdf(0.5) * norm.cdf(-0.2)
    >>> bool(abs(code_covariance([0.5], [1], [-0.2], [1], 0.3) - exact) < 1e-7)
    True
    """
    if rho == 0:
        return 0.0
    s = np.asarray(t1, dtype=float)[:, None, None]
    t = np.asarray(t2, dtype=float)[None, :, None]
    r = rho * (_NODES + 1) / 2  # Gauss-Legendre nodes mapped from [-1, 1] to [0, rho]
    one = 1 - r * r
    density = np.exp(-(s * s - 2 * r * s * t + t * t) / (2 * one)) / (2 * np.pi * np.sqrt(one))
    integral = density @ _WEIGHTS * rho / 2
    return float(np.asarray(d1, dtype=float) @ integral @ np.asarray(d2, dtype=float))


def code_variance(thresholds, codes) -> float:
    """Variance of the codes of one item answered with standard-normal latent responses."""
    from scipy.special import ndtr

    cdf = np.concatenate([[0.0], ndtr(np.asarray(thresholds, dtype=float)), [1.0]])
    p = np.diff(cdf)
    c = np.asarray(codes, dtype=float)
    return float(p @ c ** 2 - (p @ c) ** 2)


def population_iccs(instrument) -> pd.DataFrame:
    """Per construct score and per item: the latent ICC the instrument declares and the ICC of the codes.

    Returns
    -------
    DataFrame
        Indexed by construct id, then item id: ``kind`` ("construct" or "item"), ``construct``,
        ``latent_icc`` (the construct's declared ICC), ``icc`` (of the item's codes, or of the
        construct score: the mean of its items' codes, reverse-keyed items scored back).

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> t = population_iccs(load_instrument(seed_instrument_path("ri_asset")))
    >>> round(float(t.loc["GR", "latent_icc"]), 2), bool(t.loc["GR", "icc"] < 0.14)
    (0.14, True)
    """
    construct_rows, item_rows = [], []
    for c in instrument.constructs:
        items = list(c.items)
        steps = [np.diff(np.asarray(i.scale.codes, dtype=float)) for i in items]
        sign = np.array([-1.0 if i.reverse else 1.0 for i in items])
        lam = np.array([i.loading for i in items])
        k = len(items)
        between = np.zeros((k, k))
        total = np.zeros((k, k))
        for a in range(k):
            for b in range(a, k):
                pair = sign[a] * sign[b]  # latent responses as answered carry the sign; scoring back undoes it
                cov_b = pair * code_covariance(items[a].thresholds, steps[a], items[b].thresholds, steps[b],
                                               pair * lam[a] * lam[b] * c.icc)
                if a == b:
                    cov_t = code_variance(items[a].thresholds, items[a].scale.codes)
                else:
                    cov_t = pair * code_covariance(items[a].thresholds, steps[a], items[b].thresholds, steps[b],
                                                   pair * lam[a] * lam[b])
                between[a, b] = between[b, a] = cov_b
                total[a, b] = total[b, a] = cov_t
        construct_rows.append({"name": c.id, "kind": "construct", "construct": c.id, "latent_icc": c.icc,
                               "icc": between.sum() / total.sum()})
        for a, item in enumerate(items):
            item_rows.append({"name": item.id, "kind": "item", "construct": c.id, "latent_icc": c.icc,
                              "icc": between[a, a] / total[a, a]})
    return pd.DataFrame(construct_rows + item_rows).set_index("name")
