"""Factor extraction and rotation on a correlation matrix, finished the way psych::fa finishes.

Extraction (minres, ml) and rotation come from factor_analyzer, which agrees with psych::fa to
about 1e-5. We call its extraction and its Rotator directly rather than ``FactorAnalyzer.fit``:
``fit`` passes ``force_all_finite`` to scikit-learn's ``check_array`` (removed in scikit-learn
1.8, a FutureWarning before), and it reorders the loadings by variance without reordering phi.
``_fit_factor_analysis`` is private in factor_analyzer 0.5.x (pyproject pins <0.6); the tests
check it against psych and that nothing here reaches ``check_array``.
"""

from __future__ import annotations

import warnings

import numpy as np

ROTATIONS = {"oblimin": "oblimin", "promax": "promax", "varimax": "varimax", "geomin": "geomin_obl", None: None}
OBLIQUE = {"oblimin", "promax", "geomin"}
METHODS = ("minres", "ml", "principal")


def extract(r: np.ndarray, n_factors: int, method: str) -> np.ndarray:
    """Unrotated loadings of ``n_factors`` factors of the correlation matrix ``r``."""
    if method == "principal":
        values, vectors = np.linalg.eigh(r)
        order = np.argsort(values)[::-1][:n_factors]
        return vectors[:, order] * np.sqrt(np.clip(values[order], 0, None))
    from factor_analyzer import FactorAnalyzer

    fa = FactorAnalyzer(n_factors=n_factors, method=method, rotation=None, is_corr_matrix=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(fa._fit_factor_analysis(np.array(r, dtype=float, copy=True)))


def minres_one(r: np.ndarray, start_communality: float | None = None) -> np.ndarray:
    """Loadings of a one-factor minres solution, fast, for the many fits of parallel analysis.

    psych's objective (sum of squared residuals with 1 - psi on the diagonal) and its analytic
    gradient ``FAgr.minres``, bounds .005-1 as psych; ``start_communality=1`` is psych's
    ``SMC = FALSE`` start, which fa.parallel uses, otherwise squared multiple correlations.
    """
    from scipy.optimize import minimize

    r = np.array(r, dtype=float, copy=True)
    p = len(r)
    if start_communality is None:
        start = 1 / np.diag(np.linalg.inv(r))
    else:
        start = np.full(p, 1 - start_communality)

    def loadings(psi):
        rs = r.copy()
        np.fill_diagonal(rs, 1 - psi)
        values, vectors = np.linalg.eigh(rs)
        return rs, vectors[:, -1:] * np.sqrt(max(values[-1], np.finfo(float).eps * 100))

    def fun(psi):
        rs, lam = loadings(psi)
        res = rs - lam @ lam.T
        return float((res**2).sum()), -2 * np.diag(res).copy()

    out = minimize(fun, np.clip(start, 0.005, 1), jac=True, method="L-BFGS-B", bounds=[(0.005, 1)] * p)
    return loadings(out.x)[1]


def rotate(loadings: np.ndarray, rotation: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotated pattern and, for oblique rotations, the factor correlations (None when orthogonal)."""
    if rotation is None or loadings.shape[1] < 2:
        return loadings, None
    from factor_analyzer.rotator import Rotator

    rot = Rotator(method=ROTATIONS[rotation])
    pattern = rot.fit_transform(loadings)
    phi = rot.phi_ if rotation in OBLIQUE else None
    return pattern, phi


def finish(pattern: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """psych's conventions: factors ordered by variance accounted for, each with a positive column sum."""
    ss = np.diag(phi @ pattern.T @ pattern) if phi is not None else (pattern**2).sum(axis=0)
    order = np.argsort(-ss, kind="stable")
    pattern = pattern[:, order]
    signs = np.sign(pattern.sum(axis=0))
    signs[signs == 0] = 1
    pattern = pattern * signs
    if phi is not None:
        phi = phi[np.ix_(order, order)] * np.outer(signs, signs)
    return pattern, phi


def variance_accounted(pattern: np.ndarray, phi: np.ndarray | None, n_items: int) -> np.ndarray:
    """SS loadings, proportion and cumulative proportion of variance, and proportion explained."""
    ss = np.diag(phi @ pattern.T @ pattern) if phi is not None else (pattern**2).sum(axis=0)
    prop = ss / n_items
    return np.vstack([ss, prop, np.cumsum(prop), ss / ss.sum(), np.cumsum(ss / ss.sum())])
